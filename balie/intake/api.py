"""The API endpoints that file a customer's message: `POST /api/v1/tickets` (a new ticket) and
`POST /api/v1/tickets/<n>/messages` (a message in a ticket). They sit on the tickets router
(the same paths and rules as the other ticket endpoints) but live here, above tickets, since
everything they file goes through the intake pipeline (`agent_filing`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field
from ninja.errors import HttpError

from balie.customers.actions import find_customer
from balie.customers.api_schemas import IdentityIn, InputSchema, text
from balie.customers.identities import normalise
from balie.customers.models import Identity
from balie.tickets.api import ERRORS, _agent, _number, _ticket, _value, message_out, router
from balie.tickets.api_schemas import MAX_TEXT, MessageOut, NewTicketChannel, TicketIn, TicketOut

from . import agent_filing
from .ticket_requests import TicketRequest, ticket_requests


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


@router.post(
    "",
    response={201: TicketOut, **ERRORS},
    summary="Ticket aanmaken",
    description=(
        "Een contact dat de klant langs een andere weg had (e-mail of webformulier: het ticket "
        "krijgt de ontvangstbevestiging, SLA-klokken en regels als een binnengekomen bericht), "
        "of een gesprek, bezoek of brief die de medewerker vastlegt (toegewezen aan hem, zonder "
        "ontvangstbevestiging). Het antwoord komt zodra het ticket is opgeslagen en is het "
        "ticket zoals het dan is, met zijn berichten (ook de ontvangstbevestiging)."
    ),
)
def post_ticket(request: HttpRequest, payload: TicketIn) -> tuple[int, dict[str, Any]]:
    """Requests that arrive together are filed together (`ticket_requests`): each is answered
    once its batch is committed."""
    if (payload.customer is None) == (payload.identity is None):
        raise HttpError(422, _("Geef een klant (customer) óf een identiteit (identity) op."))
    normalised = ""
    if payload.identity is not None:
        try:
            normalised = normalise(payload.identity.kind, payload.identity.value)
        except DjangoValidationError as exc:
            raise HttpError(422, "; ".join(str(m) for m in exc.messages)) from None
    ticket = ticket_requests.submit(
        TicketRequest(
            agent=_agent(request),
            payload=payload,
            normalised=normalised,
            language=translation.get_language() or "",
        )
    )
    return 201, ticket


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
