"""Filing inbound messages: the one action every inbound message ends in.

`file_messages(filings)` files a batch of messages, each as the intake pipeline decided it (the
customer, the ticket it continues or the new ticket's fields, the reason), with a handful of
statements for the whole batch: the new tickets, their participants and SLA clocks, the
messages, their audit entries, then the trigger rules, then the acknowledgements. A batch of
one is the ordinary case (a web form, an API call, a logged call); the ingest worker files a
burst of mail as one batch. What only some messages need (attachments, copies to others, a
ticket that reopens, a bounce) is done for those alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from balie.core.actors import SYSTEM, Actor
from balie.core.bulk_inserts import insert_all
from balie.core.bulk_updates import update_each
from balie.customers.models import Customer, Identity, IdentityKind
from balie.messaging.connectors.base import InboundMessage
from balie.sla import actions as sla_actions
from balie.sla.models import ACTIVE_STATES, SlaClock
from balie.tickets import events
from balie.tickets.events import Event, EventKind, emit, emit_all, held, new_event
from balie.tickets.models import (
    DeliveryStatus,
    Message,
    Participant,
    ParticipantRole,
    Status,
    Ticket,
)

from .acknowledgements import acknowledgement_rows, send_acknowledgement, send_acknowledgements
from .attachments import store_attachments
from .creation import add_cc_participants, new_ticket_row
from .deliveries import mark_delivery, received_entry, sent_entry
from .inbound import inbound_message_row, system_message_row

# A customer's message reopens a ticket in one of these statuses.
REOPENABLE = (Status.SOLVED, Status.PENDING, Status.ON_HOLD, Status.CLOSED)


@dataclass
class Filing:
    """One inbound message to file, as the pipeline decided it. `ticket` None: a new ticket,
    with `new_ticket` (the fields of `new_ticket_row`). `system`: filed by Balie without
    changing the ticket (an auto-reply, a bounce: `text` then says what it is)."""

    inbound: InboundMessage
    by: Actor  # who files it: the customer, or the agent who files it for them
    customer: Customer | None = None
    identity: Identity | None = None
    ticket: Ticket | None = None
    new_ticket: dict[str, Any] = field(default_factory=dict)
    thread_reason: str = ""
    threading: dict[str, Any] = field(default_factory=dict)  # the thread reason as data
    envelope: Any = None
    steps: Sequence[str] = ()  # the intake pipeline's steps it went through
    system: bool = False
    text: str = ""
    bounced: Message | None = None  # a permanent bounce: our message that did not arrive
    bounce_error: str = ""
    author: Any = None  # the agent who logged a call, visit or letter
    logged: bool = False
    acknowledge: bool = True  # a new ticket is acknowledged (not a contact an agent logged)
    # The filer knows that nothing will change a new ticket after filing (no active trigger
    # rule, no routing): its acknowledgement is stored with its message, and its audit entry
    # with the message's.
    quiet: bool = False
    # The message's id and arrival when they were taken as it was stored, before filing (a
    # chat message, shown at once: `tickets.message_ids`); None: new ones now.
    message_id: int | None = None
    received_at: datetime | None = None
    # What filing made: the message, and whether its ticket is new.
    message: Message | None = None
    created: bool = False
    # A new ticket nothing changed after filing (no event but its own two): it holds `message`
    # and `acknowledgement` (None: not acknowledged) and nothing else, as they are in memory.
    untouched: bool = False
    acknowledgement: Message | None = None


def file_messages(filings: Sequence[Filing]) -> None:
    """File each message (at most one per ticket in a batch); sets `message`, `ticket` and
    `created` of each. The trigger rules run once all are filed, those of a new ticket
    before those of its message; then each new ticket is acknowledged."""
    continued = [f.ticket.pk for f in filings if f.ticket is not None and not f.system]
    if len(continued) != len(set(continued)):
        raise ValueError("a batch files at most one message per ticket")
    with held() as hold:
        now = _file(filings)
    touched = {e.ticket.pk for e in hold.events if e.kind == EventKind.RULE_APPLIED}
    new = [f for f in filings if f.created and f.acknowledge]
    # A new ticket that no rule changed holds just its message: the acknowledgement need
    # not read back what was just written.
    # Nothing but filing itself (no rule, no routing's assignment) changed these new tickets.
    # (An acknowledgement stored with its message is the filing's own too.)
    own = (EventKind.TICKET_CREATED, EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_SENT)
    changed = {e.ticket.pk for e in hold.events if e.kind not in own} | touched
    for f in filings:
        f.untouched = f.created and f.ticket.pk not in changed  # type: ignore[union-attr]
    filed = [f.acknowledgement for f in new if f.acknowledgement is not None]
    replies = send_acknowledgements(
        [(f.ticket, f.message) for f in new if f.untouched and not f.quiet],  # type: ignore[misc]
        at=now + timedelta(microseconds=1),  # the acknowledgement follows the message
        filed=filed,
    )
    for f in new:
        f.acknowledgement = replies.get(f.ticket.pk)  # type: ignore[union-attr]
    for f in new:
        # A rule that changed a quiet ticket after all (one made in another process a moment
        # before) finds it acknowledged already: once is enough.
        if f.ticket.pk in touched and f.acknowledgement is None:  # type: ignore[union-attr]
            send_acknowledgement(f.ticket, to_message=f.message)  # type: ignore[arg-type]


def _lock_continued(filings: Sequence[Filing]) -> None:
    """Lock the tickets the batch continues, in id order, and read them afresh: two filers of
    one ticket (two ingest drains filing a chat's messages, or a drain and an agent's answer)
    then take turns instead of deadlocking or starting its SLA clock twice, and neither writes
    back what it read before the other's change."""
    held_tickets: dict[int, list[Ticket]] = defaultdict(list)
    for f in filings:
        if f.ticket is not None:
            held_tickets[f.ticket.pk].append(f.ticket)
    if not held_tickets:
        return
    names = [field.attname for field in Ticket._meta.concrete_fields]
    for row in (
        # NO KEY UPDATE: a message stored meanwhile (its INSERT takes KEY SHARE on the ticket,
        # a chat's answer shown at once) does not wait for the filer.
        Ticket.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=held_tickets)
        .order_by("pk")
    ):
        for ticket in held_tickets[row.pk]:
            for name in names:
                setattr(ticket, name, getattr(row, name))


def _file(filings: Sequence[Filing]) -> datetime:
    now = timezone.now()
    _lock_continued(filings)
    people = [f for f in filings if not f.system]
    clocks = _new_tickets([f for f in people if f.ticket is None], at=now)
    reopening = [f for f in people if not f.created and f.ticket.status in REOPENABLE]  # type: ignore[union-attr]
    clocks += _continue_tickets([f for f in people if not f.created and f not in reopening], at=now)
    insert_all(clocks)

    refused: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for position, f in enumerate(filings):
        if f.system:
            f.message = system_message_row(
                f.ticket,  # type: ignore[arg-type]
                text=f.text or f.inbound.text,
                inbound=f.inbound,
                reason=f.thread_reason,
                envelope=f.envelope,
                at=now,
                threading=f.threading,
            )
            continue
        f.message = inbound_message_row(
            f.ticket,  # type: ignore[arg-type]
            f.inbound,
            identity=f.identity,
            thread_reason=f.thread_reason,
            envelope=f.envelope,
            at=f.received_at or now,
            author=f.author,
            threading=f.threading,
        )
        if f.message_id is not None:
            f.message.pk = f.message_id
        refused[position] = [
            {"filename": r.filename, "content_type": r.content_type, "size": r.size,
             "reason": r.reason}
            for r in f.inbound.refused_attachments
        ]  # fmt: skip
        if refused[position] and not f.inbound.attachments:
            f.message.refused_attachments = refused[position]
    at = now + timedelta(microseconds=1)  # the acknowledgement follows the message
    quiet = [f for f in people if f.created and f.acknowledge and f.quiet]
    early = {
        reply.ticket_id: reply
        for reply in acknowledgement_rows([(f.ticket, f.message) for f in quiet], at=at)  # type: ignore[misc]
    }
    for f in quiet:
        f.acknowledgement = early.get(f.ticket.pk)  # type: ignore[union-attr]
    _insert_together([f.message for f in filings], list(early.values()))  # type: ignore[misc]

    for position, f in enumerate(filings):
        if f.system:
            continue
        if f.inbound.attachments:
            _stored, not_taken = store_attachments(f.message, f.inbound.attachments)  # type: ignore[arg-type]
            refused[position] = not_taken + refused[position]
            if refused[position]:
                f.message.refused_attachments = refused[position]  # type: ignore[union-attr]
                f.message.save(update_fields=["refused_attachments"])  # type: ignore[union-attr]
        _add_others(f)
    reopened_from = {id(f): f.ticket.status for f in reopening}  # type: ignore[union-attr]
    for f in reopening:
        ticket = f.ticket
        assert ticket is not None
        ticket.status, ticket.solved_at, ticket.closed_at = Status.OPEN, None, None
        ticket.last_message_at = ticket.last_inbound_at = now
        ticket.save(
            update_fields=[
                "last_message_at", "updated_at", "last_inbound_at", "status", "solved_at",
                "closed_at",
            ]
        )  # fmt: skip

    trail: list[Event] = []
    for position, f in enumerate(filings):
        if f.system:
            continue
        if f.created:
            data: dict[str, Any] = {"channel": f.ticket.channel, "subject": f.ticket.subject}  # type: ignore[union-attr]
            if f.ticket.linked_to_id:  # type: ignore[union-attr]
                data["linked_to"] = f.ticket.linked_to_id  # type: ignore[union-attr]
            trail.append(new_event(f.ticket, events.TICKET_CREATED, by=f.by, data=data))  # type: ignore[arg-type]
        trail.append(
            received_entry(
                f.message,  # type: ignore[arg-type]
                by=f.by,
                refused=len(refused[position]),
                steps=f.steps,
                logged=f.logged,
            )
        )
    trail += [sent_entry(reply, by=SYSTEM) for reply in early.values()]
    emit_all(trail)
    for f in reopening:
        ticket, old = f.ticket, reopened_from[id(f)]
        assert ticket is not None
        emit(ticket, events.TICKET_REOPENED, by=f.by, data={"from": old, "message": f.message.pk})  # type: ignore[union-attr]
        sla_actions.follow_status_change(ticket, old=old, new=Status.OPEN, by=f.by)
        sla_actions.record_customer_message(ticket, by=f.by)
    for f in filings:
        if f.bounced is not None:
            mark_delivery(f.bounced, status=DeliveryStatus.BOUNCED, error=f.bounce_error)
    return now


def _insert_together(messages: list[Message], answers: list[Message]) -> None:
    """The messages and the answers stored with them in one INSERT on PostgreSQL (which takes
    65,535 values in a statement, `insert_all`); on SQLite (999) one each, so that a burst's
    statements stay the same whatever its size."""
    if connection.vendor == "postgresql":
        insert_all([*messages, *answers])
    else:
        insert_all(messages)
        insert_all(answers)


def _add_others(f: Filing) -> None:
    """The message's Cc, and a sender we do not know, become the ticket's participants (as
    many as `add_cc_participants` keeps; the message records how many were not kept)."""
    others = list(f.inbound.mail.cc)
    if f.inbound.sender.kind == IdentityKind.EMAIL and f.identity is None:
        others.insert(0, f.inbound.sender)  # someone we do not know wrote in: they may again
    if not others:
        return
    not_kept = add_cc_participants(
        f.ticket,  # type: ignore[arg-type]
        others,
        sender=f.inbound.sender.value if f.identity is not None else "",
    )
    mail = f.inbound.mail
    if mail.cc_listed:  # the addresses not even read are not kept either
        not_kept += mail.cc_listed - len(mail.cc)
    if not_kept:
        f.message.recipients["cc_not_kept"] = not_kept  # type: ignore[union-attr]
        f.message.save(update_fields=["recipients"])  # type: ignore[union-attr]


def _new_tickets(filings: list[Filing], *, at: datetime) -> list[SlaClock]:
    """The new tickets, with their customer as participant; returns their clocks, unsaved
    (they start with a customer's message, as `record_customer_message(first=True)` adds)."""
    clocks: list[SlaClock] = []
    for f in filings:
        assert f.customer is not None
        ticket = new_ticket_row(customer=f.customer, at=at, **f.new_ticket)
        ticket.last_inbound_at = at
        clocks += sla_actions.plan_clocks(ticket, at=at, with_message=True)
        f.ticket, f.created = ticket, True
    insert_all([f.ticket for f in filings])  # type: ignore[type-var]
    insert_all(
        Participant(
            ticket=f.ticket, kind="customer", value=str(f.ticket.customer_id),  # type: ignore[union-attr]
            role=ParticipantRole.CUSTOMER,
        )
        for f in filings
    )  # fmt: skip
    return clocks


def _continue_tickets(filings: list[Filing], *, at: datetime) -> list[SlaClock]:
    """A message in an open ticket: its times move on, and a next-response clock starts
    unless a response is already owed (`record_customer_message`); returns those clocks,
    unsaved. Automatic messages do not come here: they are filed as Balie's own. A message
    shown before it was filed (a chat's) moves them on from the moment it was shown, as its
    answer, filed behind in turn, meets the clock at the moment it was shown."""
    tickets = [f.ticket for f in filings]
    if not tickets:
        return []
    active: dict[int, list[SlaClock]] = defaultdict(list)
    for clock in SlaClock.objects.select_for_update().filter(
        ticket_id__in=[t.pk for t in tickets],  # type: ignore[union-attr]
        state__in=ACTIVE_STATES,
    ):
        active[clock.ticket_id].append(clock)
    started = []
    for f in filings:
        ticket = f.ticket
        assert ticket is not None
        moment = f.received_at or at
        ticket.last_message_at = ticket.last_inbound_at = moment
        ticket.updated_at = at
        clock = sla_actions.next_response_clock(ticket, active[ticket.pk], at=moment)
        if clock is not None:
            started.append(clock)
    fields = ["last_message_at", "last_inbound_at", "updated_at"]
    if started:
        fields += [*sla_actions.DUE_FIELDS.values(), "sla_next_due_at"]
    update_each(Ticket, fields, tickets)
    return started


def add_inbound_message(
    ticket: Ticket,
    inbound: InboundMessage,
    *,
    by: Actor,
    identity: Identity | None = None,
    thread_reason: str = "",
    threading: dict[str, Any] | None = None,
    envelope: Any = None,
) -> Message:
    """One customer's message in a ticket they already have (seed data, tests): a batch of
    one for `file_messages`."""
    filing = Filing(
        inbound=inbound,
        by=by,
        customer=ticket.customer,
        identity=identity,
        ticket=ticket,
        thread_reason=thread_reason,
        threading=threading or {},
        envelope=envelope,
    )
    file_messages([filing])
    assert filing.message is not None
    return filing.message
