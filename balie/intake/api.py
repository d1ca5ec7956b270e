"""The API endpoints that file a customer's message: `POST /api/v1/tickets` (a new ticket) and
`POST /api/v1/tickets/<n>/messages` (a message in a ticket). They sit on the tickets router
(the same paths and rules as the other ticket endpoints) but live here, above tickets, since
everything they file goes through the intake pipeline (`agent_filing`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field
from ninja.errors import HttpError

from balie.accounts.models import Agent
from balie.core import realtime
from balie.customers.actions import find_customer, find_or_create_customer
from balie.customers.api_schemas import IdentityIn, InputSchema, text
from balie.customers.models import Customer, Identity
from balie.tickets.api import (
    ERRORS,
    _agent,
    _customer,
    _number,
    _team,
    _ticket,
    _value,
    message_out,
    router,
    ticket_out,
)
from balie.tickets.api_schemas import MAX_TEXT, MessageOut, NewTicketChannel, TicketIn, TicketOut
from balie.tickets.models import LOGGED_CHANNELS, Ticket

from . import agent_filing


class MessageIn(InputSchema):
    text: text(MAX_TEXT, 1)  # type: ignore[valid-type]
    subject: text(255) = Field("", description="Standaard het onderwerp van het ticket")  # type: ignore[valid-type]
    channel: NewTicketChannel | None = Field(
        None,
        description="Standaard het kanaal van het ticket; telefoon, balie en brief zijn "
        "contacten die de medewerker vastlegt",
    )
    identity: IdentityIn | None = Field(
        None, description="Van welk adres of nummer van de klant van het ticket het bericht kwam"
    )


@router.post("", response={201: TicketOut, **ERRORS}, summary="Ticket aanmaken")
def post_ticket(request: HttpRequest, payload: TicketIn) -> tuple[int, dict[str, Any]]:
    # The live events of a new ticket (customer, ticket, message, acknowledgement) go out in
    # one trip to the channel layer once committed, not one trip each.
    with realtime.coalesced():
        return _post_ticket(request, payload)


def _post_ticket(request: HttpRequest, payload: TicketIn) -> tuple[int, dict[str, Any]]:
    agent = _agent(request)
    if (payload.customer is None) == (payload.identity is None):
        raise HttpError(422, _("Geef een klant (customer) óf een identiteit (identity) op."))
    team = _team(payload.team) if payload.team else None
    identity: Identity | None = None
    if payload.customer is not None:
        customer = _customer(payload.customer)
    else:
        assert payload.identity is not None
        try:
            customer, identity, _created = find_or_create_customer(
                kind=payload.identity.kind,
                value=payload.identity.value,
                name=payload.name.strip() or payload.identity.display_name.strip(),
                by=agent,
            )
        except DjangoValidationError as exc:
            raise HttpError(422, "; ".join(str(m) for m in exc.messages)) from None
    try:
        ticket = _create(payload, customer=customer, identity=identity, team=team, by=agent)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    return 201, ticket_out(ticket)


def _create(
    payload: TicketIn,
    *,
    customer: Customer,
    identity: Identity | None,
    team: Any,
    by: Agent,
) -> Ticket:
    channel = _value(payload.channel)
    subject = payload.subject.strip() or agent_filing.first_line(payload.text)
    if channel in LOGGED_CHANNELS:
        return agent_filing.log_contact(
            customer,
            by=by,
            channel=channel,
            subject=subject,
            text=payload.text,
            team=team,
            type=_value(payload.type),
            priority=_value(payload.priority),
        )
    # An e-mail or web-form contact that reached the agent another way: filed and
    # acknowledged like any other.
    run = agent_filing.file_for_customer(
        customer,
        by=by,
        channel=channel,
        subject=subject,
        text=payload.text,
        identity=identity,
        ticket_fields={
            "team": team,
            "priority": _value(payload.priority),
            "type": _value(payload.type),
        },
    )
    assert run.ticket is not None
    return run.ticket


@router.post(
    "/{number}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Bericht van de klant toevoegen",
    description=(
        "Een bericht van de klant van het ticket dat de medewerker langs een andere weg bereikte "
        "(of een gesprek, bezoek of brief die hij vastlegt). Het gaat door dezelfde verwerking "
        "als binnenkomende post: een opgelost ticket gaat weer open, de SLA-klokken en "
        "regels volgen."
    ),
)
def post_message(
    request: HttpRequest, payload: MessageIn, number: int = _number()
) -> tuple[int, dict[str, Any]]:
    ticket = _ticket(request, number)
    identity: Identity | None = None
    if payload.identity is not None:
        found = find_customer(payload.identity.kind, payload.identity.value)
        if found is None or found[0].pk != ticket.customer_id:
            raise HttpError(
                422,
                _("Deze identiteit hoort niet bij de klant van ticket #%(n)s.") % {"n": ticket.pk},
            )
        identity = found[1]
    try:
        message = agent_filing.add_customer_message(
            ticket,
            by=_agent(request),
            text=payload.text,
            channel=_value(payload.channel) if payload.channel else "",
            subject=payload.subject.strip(),
            identity=identity,
        )
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    return 201, message_out(message)
