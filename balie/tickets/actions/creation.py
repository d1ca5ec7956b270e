"""Opening tickets and their participants."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.accounts.models import Agent, Team
from balie.core.actors import Actor
from balie.customers.models import Customer, IdentityKind
from balie.messaging.connectors.base import Party
from balie.messaging.connectors.email.addresses import own_email_addresses
from balie.sla import actions as sla_actions
from balie.tickets import events
from balie.tickets.events import emit, held
from balie.tickets.models import (
    Participant,
    ParticipantRole,
    Priority,
    Status,
    Ticket,
    TicketType,
)


def create_ticket(*, by: Actor, **fields: Any) -> Ticket:
    """A new ticket from the fields `new_ticket_row` takes (customer, subject, channel, team,
    …). A caller that files the first message afterwards does both inside `events.held()`, so
    that the ticket.created consumers see that message."""
    with held():
        return _create_ticket(by=by, **fields)


def _create_ticket(*, by: Actor, **fields: Any) -> Ticket:
    ticket = new_ticket_row(**fields)
    ticket.save(force_insert=True)
    # A brand-new ticket has no participants yet: no need to look for this one first.
    Participant.objects.create(
        ticket=ticket,
        kind="customer",
        value=str(ticket.customer_id),
        role=ParticipantRole.CUSTOMER,
    )
    data: dict[str, Any] = {"channel": ticket.channel, "subject": ticket.subject}
    if ticket.linked_to_id:
        data["linked_to"] = ticket.linked_to_id
    emit(ticket, events.TICKET_CREATED, by=by, data=data)
    sla_actions.start_clocks(ticket, by=by)
    return ticket


def new_ticket_row(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    team: Team | None = None,
    assignee: Agent | None = None,
    priority: str = Priority.NORMAL,
    type: str = TicketType.QUESTION,
    language: str = "",
    claims: dict[str, str] | None = None,
    linked_to: Ticket | None = None,
    account: Any = None,
    at: Any = None,
) -> Ticket:
    """A new ticket, not yet saved (`create_ticket` saves it; the ingest worker inserts a
    burst of them at once)."""
    return Ticket(
        subject=(subject.strip() or _("(geen onderwerp)"))[:255],
        channel=channel,
        customer=customer,
        team=team,
        assignee=assignee,
        priority=priority,
        type=type,
        language=language or customer.language or "nl",
        claims=claims or {},
        linked_to=linked_to,
        account=account,
        status=Status.OPEN if assignee else Status.NEW,
        last_message_at=at or timezone.now(),
    )


def add_participants(ticket: Ticket, parties: Iterable[Party]) -> None:
    for party in parties:
        if not party.value:
            continue
        Participant.objects.get_or_create(
            ticket=ticket,
            kind=party.kind,
            value=party.value.lower(),
            defaults={"name": party.name[:200]},
        )


def add_cc_participants(ticket: Ticket, parties: Iterable[Party], *, sender: str = "") -> int:
    """Keep the Cc'd addresses of a message as the ticket's participants, at most
    BALIE_MAX_CC_PARTICIPANTS of them per ticket (not counting our own mailboxes and the
    sender); returns how many new ones were not kept. Those are recorded only in the message's
    recipients: they get no replies, and the ticket page says so."""
    skip = {*own_email_addresses(), sender.lower()}
    wanted = list(
        {p.value.lower(): p for p in parties if p.value and p.value.lower() not in skip}.values()
    )
    if not wanted:
        return 0
    present = set(
        ticket.participants.filter(kind=IdentityKind.EMAIL).values_list("value", flat=True)
    )
    new = [p for p in wanted if p.value.lower() not in present]
    kept = ticket.participants.filter(role=ParticipantRole.CC).count()
    room = max(0, int(settings.BALIE_MAX_CC_PARTICIPANTS) - kept)
    add_participants(ticket, new[:room])
    return max(0, len(new) - room)


def is_participant(ticket: Ticket, party: Party, customer: Customer | None) -> bool:
    """May this sender add to the ticket? The ticket's customer (any of their identities),
    a CC of the conversation, or an agent."""
    if customer is not None and customer.pk == ticket.customer_id:
        return True
    if Participant.objects.filter(
        ticket=ticket, kind=party.kind, value=party.value.lower()
    ).exists():
        return True
    return (
        party.kind == IdentityKind.EMAIL
        and Agent.objects.filter(user__email__iexact=party.value, user__is_active=True).exists()
    )
