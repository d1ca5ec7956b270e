"""The order in which a live chat's stored messages are filed: the ticket's message ids.

A visitor's message is stored as its envelope and an agent's answer as an `UnfiledAnswer`;
both are shown at once with an id from the messages' one sequence, and the
ingest worker files them behind. The SLA clocks must see question and answer in the order
they were shown: an answer filed before the question it followed would meet nothing and leave
that question's clock running. So whoever files a chat ticket's items holds the ticket's row
lock (every filer takes it first, in one statement, in id order: two drains take turns and
never deadlock), reads what of the ticket is still unfiled, and files only the prefix of it
that it holds itself: the envelopes it locked and the answers it locked. What another drain
holds, or what is not yet settled (an answer younger than `BALIE_INGEST_ANSWER_SETTLE`, so that
a visitor message that took a lower id a moment before it has surely committed), holds up
everything after it in that ticket until a later burst.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from balie.messaging.connectors import get_connector
from balie.messaging.models import Envelope, EnvelopeStatus
from balie.tickets.actions import file_shown_replies
from balie.tickets.models import Ticket, UnfiledAnswer

# In an envelope's meta, where Balie's own code (a chat) said, as it stored the envelope, that
# its message goes: {"ticket": number, "message": the id it was shown with, "reason": why,
# "threading": why as data (`balie.tickets.threading_words`)}.
FILED_IN = "filed_in"


def filed_in(envelope_meta: Any) -> tuple[int, int] | None:
    """(ticket, message id) of a chat envelope's `FILED_IN`, or None."""
    place = (envelope_meta or {}).get(FILED_IN) if isinstance(envelope_meta, dict) else None
    if not isinstance(place, dict) or not place.get("ticket") or not place.get("message"):
        return None
    return int(place["ticket"]), int(place["message"])


def given_by_envelopes(envelopes: list[Envelope]) -> dict[int, dict[str, Any]]:
    """Per envelope id, what its meta says the filer knows (`FILED_IN`: the ticket, its
    customer, the message's id and arrival), for the channels whose envelopes only Balie's own
    code stores (`Connector.own_envelopes`); an envelope without it is threaded as usual."""
    wanted: dict[int, tuple[Envelope, dict[str, Any]]] = {}
    for envelope in envelopes:
        filed_in = (envelope.meta or {}).get(FILED_IN)
        if isinstance(filed_in, dict) and get_connector(envelope.channel).own_envelopes:
            wanted[envelope.pk] = (envelope, filed_in)
    if not wanted:
        return {}
    tickets = Ticket.objects.select_related("customer", "sla_policy").in_bulk(
        {int(f.get("ticket") or 0) for _e, f in wanted.values()}
    )
    given: dict[int, dict[str, Any]] = {}
    for pk, (envelope, filed_in) in wanted.items():
        ticket = tickets.get(int(filed_in.get("ticket") or 0))
        if ticket is None:
            continue
        message_id = filed_in.get("message")
        given[pk] = {
            "ticket": ticket,
            "customer": ticket.customer,
            "thread_reason": str(filed_in.get("reason") or ticket.pk),
            "threading": filed_in.get("threading")
            if isinstance(filed_in.get("threading"), dict)
            else {},
            "message_id": int(message_id) if message_id else None,
            "received_at": envelope.received_at,
        }
    return given


def settled_before() -> datetime:
    """An answer stored before this moment may be filed. Eager tasks (no worker, the tests)
    file an answer right after its own commit, as `add_reply` did."""
    seconds = 0.0 if settings.CELERY_TASK_ALWAYS_EAGER else settings.BALIE_INGEST_ANSWER_SETTLE
    return timezone.now() - timedelta(seconds=seconds)


def answers_waiting() -> datetime | None:
    """When the oldest answer still to file was stored (None: none waits)."""
    return UnfiledAnswer.objects.order_by("id").values_list("created_at", flat=True).first()


@dataclass
class ChatOrder:
    """One filer's hold on chat tickets, within its transaction."""

    tickets: dict[int, Ticket]
    unfiled: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    answers: dict[int, UnfiledAnswer] = field(default_factory=dict)  # held and settled, by id
    held: dict[int, UnfiledAnswer] = field(default_factory=dict)  # every answer held, by id
    visitor: dict[int, int] = field(default_factory=dict)  # held envelopes: message id -> pk

    def ready(self) -> tuple[list[UnfiledAnswer], list[int]]:
        """What may be filed now: per ticket, the answers at the front of what is unfiled, and
        the envelope (its pk) of the visitor message right after them, if this filer holds it."""
        answers: list[UnfiledAnswer] = []
        envelopes: list[int] = []
        for ids in self.unfiled.values():
            for number in sorted(ids):
                if number in self.answers:
                    answers.append(self.answers[number])
                    continue
                if number in self.visitor:
                    envelopes.append(self.visitor[number])
                break
        return answers, envelopes

    def file_answers(self, answers: list[UnfiledAnswer]) -> None:
        file_shown_replies(answers, tickets=self.tickets)
        self.done(m.pk for m in answers)

    def done(self, numbers: Iterable[int]) -> None:
        for number in numbers:
            self.answers.pop(number, None)
            self.held.pop(number, None)
            self.visitor.pop(number, None)
            for ids in self.unfiled.values():
                ids.discard(number)


def take(
    visitor: dict[int, tuple[int, int]], *, limit: int, also: int | None = None
) -> ChatOrder | None:
    """Within the caller's transaction: lock the tickets of the visitor messages the caller
    holds (`visitor`: envelope pk -> (ticket, message id)), of up to `limit` answers that
    wait and (`also`) one more, read what of them is unfiled, and lock their waiting answers.
    None: no chat here."""
    waiting = (
        list(UnfiledAnswer.objects.order_by("id").values_list("ticket_id", flat=True)[:limit])
        if limit
        else []
    )
    numbers = {ticket for ticket, _m in visitor.values()} | set(waiting)
    if also is not None:
        numbers.add(also)
    if not numbers:
        return None
    tickets = {
        t.pk: t
        # NO KEY UPDATE: an answer stored meanwhile (its INSERT takes KEY SHARE on the ticket)
        # is not held up by the filer, only other filers are.
        for t in Ticket.objects.select_for_update(of=("self",), no_key=True)
        .select_related("customer", "sla_policy")
        .filter(pk__in=numbers)
        .order_by("pk")
    }
    order = ChatOrder(tickets=tickets)
    for meta in Envelope.objects.filter(status=EnvelopeStatus.RECEIVED, channel="chat").values_list(
        "meta", flat=True
    ):
        place = filed_in(meta)
        if place is not None and place[0] in tickets:
            order.unfiled[place[0]].add(place[1])
    for pk, (ticket, number) in visitor.items():
        if ticket in tickets:
            order.unfiled[ticket].add(number)
            order.visitor[number] = pk
    settled = settled_before()
    for answer in (
        UnfiledAnswer.objects.select_for_update(of=("self",))
        .select_related("author")
        .filter(ticket_id__in=tickets)
        .order_by("id")
    ):
        order.unfiled[answer.ticket_id].add(answer.pk)
        order.held[answer.pk] = answer
        if answer.created_at <= settled:
            order.answers[answer.pk] = answer
    return order


def file_answers_before(ticket: int, number: int) -> Ticket | None:
    """For a visitor message filed alone (`pipeline.process_envelope`): file first the
    ticket's waiting answers that were shown before it (ids below `number`), settled or not.
    Returns the ticket, locked and read afresh (None: no such ticket)."""
    order = take({}, limit=0, also=ticket)
    if order is None or ticket not in order.tickets:
        return None
    order.file_answers(
        sorted((m for m in order.held.values() if m.pk < number), key=lambda m: m.pk)
    )
    return order.tickets[ticket]
