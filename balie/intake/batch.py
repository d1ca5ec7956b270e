"""Filing a burst of plain messages together.

The ingest worker takes the waiting envelopes in order of arrival. The leading run of *plain*
ones is filed in one transaction with a handful of statements for the whole run, instead of
some twenty per message. Plain means: one message from a person (no auto-reply, bounce or
loop), without attachments or CC, from a sender that occurs once in the run, that either opens
a new ticket or continues an open ticket of the same customer, of a customer that was not
merged. The result is what PIPELINE gives, message by message: the same customers, tickets,
messages, SLA clocks, audit entries, acknowledgements, trigger rules and envelope reasons (the
tests compare both ways).

Everything else stops the run: that envelope goes through PIPELINE on its own, and the next
run starts after it, so the order of arrival is kept. A run that fails as a whole is rolled
back and its envelopes go through PIPELINE one by one, so that a bad message is still
quarantined alone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from balie.core.bulk_updates import update_each
from balie.core.events import SYSTEM
from balie.customers.identities import normalise
from balie.customers.models import Customer, Identity
from balie.messaging.connectors import get_connector
from balie.messaging.connectors.base import InboundMessage
from balie.messaging.models import Envelope, EnvelopeStatus, OutboxItem
from balie.messaging.outbox import outbox_row
from balie.routing.actions import choose_team
from balie.sla import actions as sla_actions
from balie.sla.models import ACTIVE_STATES, SlaClock
from balie.tickets import actions as ticket_actions
from balie.tickets import events
from balie.tickets.events import Event, EventKind, emit_all, held, new_event
from balie.tickets.models import (
    Direction,
    Message,
    Participant,
    ParticipantRole,
    Status,
    Ticket,
)

from .pipeline import (
    CONVERSATIONAL,
    DONE,
    STEP_NAMES,
    Run,
    choose_thread,
    detect_loop,
    inbound_language,
    subject_numbers,
    thread_headers,
)

logger = logging.getLogger(__name__)

# A plain message continues a ticket in one of these statuses with the others of the burst;
# one that reopens a ticket (solved, waiting, on hold, recently closed) is filed on its own.
CONTINUABLE = (Status.NEW, Status.OPEN)
REOPENABLE = (Status.SOLVED, Status.PENDING, Status.ON_HOLD, Status.CLOSED)


class NotPlain(Exception):
    """This message needs PIPELINE: the run stops before it."""


@dataclass
class Item:
    """One waiting envelope of the burst and what it holds."""

    position: int  # in the order of arrival
    envelope: Envelope
    inbound: InboundMessage | None  # None: it could not be read here (PIPELINE will say why)
    identity_key: tuple[str, str] | None  # (kind, normalised value) of the sender
    run: Run | None
    plain: bool


def file_burst(envelope_ids: list[int]) -> tuple[list[Envelope], list[int]]:
    """File the plain envelopes among `envelope_ids` (in order of arrival) together. Returns
    the envelopes filed and, in order of arrival, the ids left for PIPELINE: the envelopes
    that are not plain, and every later one of the same sender or customer, or that refers to
    one of them, so that each conversation keeps its order. Envelopes another worker holds,
    and those already done, are passed over."""
    with transaction.atomic():
        locked = {
            envelope.pk: envelope
            for envelope in Envelope.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("account")
            .filter(pk__in=envelope_ids)
        }
        items = _sort(envelope_ids, locked)
        _resolve(items)
        plain = [item for item in items if item.plain]
        if plain:
            _write(plain)
    return [item.envelope for item in plain], [item.envelope.pk for item in items if not item.plain]


def _sort(envelope_ids: list[int], locked: dict[int, Envelope]) -> list[Item]:
    """Read each envelope and tell the plain ones from the rest by what they hold: a message
    is left to PIPELINE when it is not plain by itself, when its sender or the Message-ID it
    answers occurs earlier in the burst, or when it repeats an earlier message's id."""
    items: list[Item] = []
    held: set[tuple[str, str]] = set()  # senders of messages left to PIPELINE
    senders: set[tuple[str, str]] = set()
    seen_ids: set[tuple[str, str]] = set()
    message_ids: set[str] = set()
    for position, envelope_id in enumerate(envelope_ids):
        envelope = locked.get(envelope_id)
        if envelope is None or envelope.status in DONE:
            continue
        item = _read(position, envelope)
        items.append(item)
        inbound, key = item.inbound, item.identity_key
        if inbound is None:
            continue
        refers = {inbound.mail.in_reply_to, *inbound.mail.references} - {""}
        if item.plain and (
            key in held
            or key in senders
            or (inbound.channel, inbound.external_id) in seen_ids
            or refers & message_ids
        ):
            item.plain = False
        if key is not None:
            (senders if item.plain else held).add(key)
        seen_ids.add((inbound.channel, inbound.external_id))
        if inbound.mail.message_id:
            message_ids.add(inbound.mail.message_id)
    return items


def _read(position: int, envelope: Envelope) -> Item:
    item = Item(position, envelope, None, None, None, plain=False)
    if envelope.status != EnvelopeStatus.RECEIVED:
        return item  # failed before: PIPELINE again, which quarantines it with the reason
    try:
        parsed = get_connector(envelope.channel).parse(envelope)
    except Exception:
        return item
    if len(parsed) != 1 or not isinstance(parsed[0], InboundMessage):
        return item  # several messages, or a delivery receipt: PIPELINE's
    inbound = item.inbound = parsed[0]
    try:
        sender = inbound.sender
        item.identity_key = (sender.kind, normalise(sender.kind, sender.value))
    except Exception:
        return item
    item.run = Run(inbound=inbound, envelope=envelope, account=envelope.account)
    item.plain = not (
        inbound.automatic
        or inbound.attachments
        or inbound.refused_attachments
        or inbound.mail.cc
        or detect_loop(item.run).stopped
    )
    return item


def _resolve(items: list[Item]) -> None:
    """Look up, for the whole burst at once, what PIPELINE looks up per message: earlier
    copies, the senders' customers and the tickets the messages continue. A message that is a
    duplicate or needs more than a plain filing is left to PIPELINE, and so is every later
    message of the same customer."""
    candidates = [item for item in items if item.plain]
    if not candidates:
        return
    external: dict[str, list[str]] = defaultdict(list)
    for item in candidates:
        if item.inbound.external_id:  # type: ignore[union-attr]
            external[item.inbound.channel].append(item.inbound.external_id)  # type: ignore[union-attr]
    duplicates = set()
    if external:
        query = Q()
        for channel, values in external.items():
            query |= Q(channel=channel, external_id__in=values)
        # The same condition as the unique index on (channel, external_id), so that it is used.
        duplicates = set(
            Message.objects.filter(query)
            .exclude(external_id="")
            .values_list("channel", "external_id")
        )
    by_key: dict[tuple[str, str], Identity] = {}
    kinds: dict[str, list[str]] = defaultdict(list)
    for item in items:
        if item.identity_key is not None:
            kinds[item.identity_key[0]].append(item.identity_key[1])
    query = Q()
    for kind, values in kinds.items():
        query |= Q(kind=kind, value__in=values)
    for identity in Identity.objects.filter(query).select_related("customer"):
        by_key[(identity.kind, identity.value)] = identity

    mids = {mid for item in candidates for _h, mid in thread_headers(item.inbound)}  # type: ignore[arg-type]
    known = dict(
        Message.objects.filter(message_id__in=mids)
        .exclude(direction=Direction.NOTE)
        .values_list("message_id", "ticket_id")
        if mids
        else []
    )
    numbers = {n for item in candidates for n in subject_numbers(item.inbound)}  # type: ignore[arg-type]
    tickets = (
        Ticket.objects.select_related("customer", "sla_policy").in_bulk({*known.values(), *numbers})
        if known or numbers
        else {}
    )
    by_message_id = {mid: tickets[t] for mid, t in known.items() if t in tickets}
    conversations: dict[tuple[int, str], Ticket] = {}
    talking = [
        (identity.customer_id, item.inbound.channel)  # type: ignore[union-attr]
        for item in candidates
        if item.inbound.channel in CONVERSATIONAL  # type: ignore[union-attr]
        and (identity := by_key.get(item.identity_key)) is not None  # type: ignore[arg-type]
    ]
    if talking:
        for ticket in (
            Ticket.objects.filter(
                customer_id__in={c for c, _ch in talking},
                channel__in={ch for _c, ch in talking},
            )
            .exclude(status=Status.CLOSED)
            .select_related("customer", "sla_policy")
            .order_by("-id")
        ):
            conversations.setdefault((ticket.customer_id, ticket.channel), ticket)

    held: set[int] = set()  # customers with a message left to PIPELINE
    used: set[int] = set()  # tickets a plain message of the burst continues
    for item in items:
        identity = by_key.get(item.identity_key) if item.identity_key else None
        customer = identity.customer if identity else None
        if item.plain and not _files_plainly(
            item, identity, held, used, duplicates, by_message_id, tickets, conversations
        ):
            item.plain = False
        if not item.plain and customer is not None:
            held.add(customer.pk)


def _files_plainly(
    item: Item,
    identity: Identity | None,
    held: set[int],
    used: set[int],
    duplicates: set[tuple[str, str]],
    by_message_id: dict[str, Ticket],
    tickets: dict[int, Ticket],
    conversations: dict[tuple[int, str], Ticket],
) -> bool:
    """Find the plain message's customer and ticket as PIPELINE would; False when it takes
    more than a plain filing."""
    inbound, run = item.inbound, item.run
    assert inbound is not None and run is not None
    if (inbound.channel, inbound.external_id) in duplicates:
        return False
    if identity is not None:
        customer = identity.customer
        if (
            customer.pk in held
            or customer.merged_into_id
            or (inbound.sender.name and not customer.name)
        ):
            return False
        run.customer, run.identity = customer, identity
    try:
        choose_thread(
            run,
            by_message_id=by_message_id,
            by_number=tickets.get,
            conversation=lambda: conversations.get(
                (run.customer.pk, inbound.channel)  # type: ignore[union-attr]
            ),
            accepts=lambda ticket: _same_customer(ticket, run),
        )
    except NotPlain:
        return False
    ticket = run.ticket
    if run.link_to is not None or (
        ticket is not None
        and (ticket.status not in (*CONTINUABLE, *REOPENABLE) or ticket.pk in used)
    ):
        return False
    if ticket is not None:
        used.add(ticket.pk)
    return True


def _same_customer(ticket: Ticket, run: Run) -> bool:
    """A plain message continues only its own customer's ticket; anyone else (a CC, an agent,
    a stranger with a matching reference) is for PIPELINE to judge."""
    if run.customer is not None and run.customer.pk == ticket.customer_id:
        return True
    raise NotPlain


def _write(items: list[Item]) -> None:
    # The consumers of the events (trigger rules) run once every message is filed, as
    # PIPELINE runs them: first those of a new ticket, then those of its message.
    with held() as hold:
        new, now = _file(items)
    touched = {e.ticket.pk for e in hold.events if e.kind == EventKind.RULE_APPLIED}
    ack_at = now + timedelta(microseconds=1)  # the acknowledgement follows the message
    _acknowledge([i for i in new if i.run.ticket.pk not in touched], at=ack_at)  # type: ignore[union-attr]
    for item in new:
        if item.run.ticket.pk in touched:  # type: ignore[union-attr]
            ticket_actions.send_acknowledgement(item.run.ticket, to_message=item.run.message)  # type: ignore[arg-type]

    for item in items:
        envelope, run = item.envelope, item.run
        envelope.status = EnvelopeStatus.PROCESSED
        envelope.reason = f"#{run.ticket.pk}: {run.thread_reason}"[:2000]  # type: ignore[union-attr]
        envelope.attempts += 1
        envelope.processed_at = now
    update_each(
        Envelope,
        ["status", "reason", "attempts", "processed_at"],
        [item.envelope for item in items],
    )


def _file(items: list[Item]) -> tuple[list[Item], datetime]:
    """Customers, tickets, clocks, messages and audit entries of a batch, a few INSERTs each."""
    now = timezone.now()
    _create_customers([item for item in items if item.run.customer is None])

    new = [item for item in items if item.run.ticket is None]
    clocks: list[SlaClock] = []
    for item in new:
        run, inbound = item.run, item.inbound
        assert run.customer is not None
        ticket = ticket_actions.new_ticket_row(
            customer=run.customer,
            subject=inbound.subject or (inbound.text.strip().splitlines() or [""])[0][:80],
            channel=inbound.channel,
            team=choose_team(channel=inbound.channel, account=run.account, claims=inbound.claims),
            claims=dict(inbound.claims),
            account=run.account,
            language=inbound_language(inbound),
            at=now,
        )
        ticket.last_inbound_at = now
        clocks += sla_actions.plan_clocks(ticket, at=now, with_message=True)
        run.ticket, run.created_ticket = ticket, True
    Ticket.objects.bulk_create([item.run.ticket for item in new])  # type: ignore[misc]
    Participant.objects.bulk_create(
        Participant(
            ticket=item.run.ticket,
            kind="customer",
            value=str(item.run.customer.pk),  # type: ignore[union-attr]
            role=ParticipantRole.CUSTOMER,
        )
        for item in new
    )
    reopening = [
        item
        for item in items
        if not item.run.created_ticket and item.run.ticket.status not in CONTINUABLE  # type: ignore[union-attr]
    ]
    together = [item for item in items if item not in reopening]
    clocks += _continue_tickets([item for item in together if not item.run.created_ticket], at=now)
    SlaClock.objects.bulk_create(clocks)

    for item in together:
        item.run.message = ticket_actions.inbound_message_row(
            item.run.ticket,  # type: ignore[arg-type]
            item.inbound,
            identity=item.run.identity,
            thread_reason=item.run.thread_reason,
            threading=item.run.threading,
            envelope=item.envelope,
            at=now,
        )
    Message.objects.bulk_create([item.run.message for item in together])  # type: ignore[misc]
    trail: list[Event] = []
    for item in together:
        run = item.run
        if run.created_ticket:
            data = {"channel": run.inbound.channel, "subject": run.ticket.subject}  # type: ignore[union-attr]
            trail.append(new_event(run.ticket, events.TICKET_CREATED, by=run.customer, data=data))  # type: ignore[arg-type]
        trail.append(ticket_actions.received_entry(run.message, by=run.customer, steps=STEP_NAMES))  # type: ignore[arg-type]
    for item in reopening:
        # Reopening moves the ticket's status and SLA clocks: the pipeline's own step.
        item.run.message = ticket_actions.add_inbound_message(
            item.run.ticket,  # type: ignore[arg-type]
            item.inbound,  # type: ignore[arg-type]
            by=item.run.customer,
            identity=item.run.identity,
            thread_reason=item.run.thread_reason,
            threading=item.run.threading,
            envelope=item.envelope,
            steps=STEP_NAMES,
        )
    emit_all(trail)
    return new, now


def _create_customers(items: list[Item]) -> None:
    """New senders: a customer with one identity each, as `find_or_create_customer` makes
    them (a concurrent insert of the same identity fails the run, which PIPELINE then takes
    message by message)."""
    if not items:
        return
    customers = Customer.objects.bulk_create(
        Customer(
            name=item.inbound.sender.name,
            language=inbound_language(item.inbound) or "nl",
        )
        for item in items
    )
    for customer in customers:
        customer.number = f"K{100000 + customer.pk}"
    update_each(Customer, ["number"], customers)
    identities = Identity.objects.bulk_create(
        Identity(
            customer=customer,
            kind=item.identity_key[0],
            value=item.identity_key[1],
            display_name=item.inbound.sender.name,
        )
        for item, customer in zip(items, customers, strict=True)
    )
    for item, customer, identity in zip(items, customers, identities, strict=True):
        item.run.customer, item.run.identity = customer, identity


def _continue_tickets(items: list[Item], *, at) -> list[SlaClock]:  # noqa: ANN001
    """A customer's message in their open ticket: its times move on, and a next-response
    clock starts unless a response is already owed (`record_customer_message`)."""
    if not items:
        return []
    tickets = [item.run.ticket for item in items]
    active: dict[int, list[SlaClock]] = defaultdict(list)
    for clock in SlaClock.objects.select_for_update().filter(
        ticket_id__in=[t.pk for t in tickets],
        state__in=ACTIVE_STATES,  # type: ignore[union-attr]
    ):
        active[clock.ticket_id].append(clock)
    started = []
    for ticket in tickets:
        assert ticket is not None
        ticket.last_message_at = ticket.last_inbound_at = at
        clock = sla_actions.next_response_clock(ticket, active[ticket.pk], at=at)
        if clock is not None:
            started.append(clock)
    fields = ["last_message_at", "last_inbound_at", "updated_at"]
    if started:
        fields += [*sla_actions.DUE_FIELDS.values(), "sla_next_due_at"]
    for ticket in tickets:
        ticket.updated_at = at  # type: ignore[union-attr]
    update_each(Ticket, fields, tickets)  # type: ignore[arg-type]
    return started


def _acknowledge(items: list[Item], *, at) -> None:  # noqa: ANN001
    """`send_acknowledgement` for new tickets that nothing else touched: the answers, their
    outbox entries and audit entries in three INSERTs, and one task sends them all."""
    from balie.messaging.tasks import send_outbox_items

    replies: list[Message] = []
    for item in items:
        ticket, message = item.run.ticket, item.run.message
        assert ticket is not None and message is not None
        text = ticket_actions.acknowledgement_text(ticket, to_message=message, untouched=True)
        if text is None:
            continue
        try:
            reply = ticket_actions.outbound_message_row(
                ticket, by=SYSTEM, text=text, automatic=True, only_message=message, at=at
            )
        except ValueError:
            continue
        replies.append(reply)
    if not replies:
        return
    Message.objects.bulk_create(replies)
    outbox = OutboxItem.objects.bulk_create(
        outbox_row(reply, account=reply.ticket.account) for reply in replies
    )
    Ticket.objects.filter(pk__in=[reply.ticket_id for reply in replies]).update(
        last_message_at=at, updated_at=at
    )
    emit_all([ticket_actions.sent_entry(reply, by=SYSTEM) for reply in replies])
    ids = [item.pk for item in outbox]
    transaction.on_commit(lambda: send_outbox_items.delay(ids))
