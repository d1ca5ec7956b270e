"""Customers in the REST API: search, read, create and merge. Every endpoint needs an agent
(bearer token or session); tickets shown with a customer are only those the agent may see."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import IntegrityError
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError

from balie.accounts.api_auth import agent_auth
from balie.accounts.models import Agent

from .actions import create_customer, merge_customers
from .api_schemas import (
    CustomerIn,
    CustomerList,
    CustomerOut,
    DbId,
    ErrorOut,
    MergeIn,
    text,
)
from .identities import normalise_phone
from .models import Customer, Identity

router = Router(auth=agent_auth)

RECENT_TICKETS = 20
ERRORS: dict[int | str, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
}


class CustomerFilters(Schema):
    q: text(200) = Field("", description="Naam, klantnummer, e-mailadres of telefoonnummer")  # type: ignore[valid-type]
    limit: int = Field(50, ge=1, le=100)
    cursor: text(40) = Field("", description="next_cursor van de vorige pagina")  # type: ignore[valid-type]


def _agent(request: HttpRequest) -> Agent:
    return request.agent  # type: ignore[attr-defined]


def _search(q: str) -> Q:
    q = q.strip()
    identity_match = Q(value__icontains=q.lower())
    with contextlib.suppress(Exception):  # not a phone number: search the other fields
        identity_match |= Q(value=normalise_phone(q))
    return (
        Q(name__icontains=q)
        | Q(number__iexact=q)
        | Q(pk__in=Identity.objects.filter(identity_match).values("customer_id"))
    )


def customer_out(customer: Customer, agent: Agent) -> dict[str, Any]:
    from balie.tickets.access import tickets_for

    tickets = tickets_for(agent).of_customer(customer).order_by("-id")[:RECENT_TICKETS]
    return {
        "id": customer.pk,
        "number": customer.number,
        "name": customer.name,
        "language": customer.language,
        "tier": customer.tier,
        "created_at": customer.created_at,
        "notes": customer.notes,
        "contract_numbers": [str(n) for n in customer.contract_numbers or []],
        "merged_into": customer.merged_into_id,
        "identities": list(customer.identities.order_by("kind", "id")),
        "recent_tickets": [
            {
                "number": t.pk,
                "subject": t.subject,
                "status": t.status,
                "channel": t.channel,
                "created_at": t.created_at,
                "last_message_at": t.last_message_at,
            }
            for t in tickets
        ],
    }


@router.get("", response={200: CustomerList, **ERRORS}, summary="Klanten zoeken")
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]) -> dict[str, Any]:
    qs = Customer.objects.active().order_by("id")
    if filters.q.strip():
        qs = qs.filter(_search(filters.q))
    if filters.cursor:
        try:
            after = int(filters.cursor)
        except ValueError:
            raise HttpError(400, _("Ongeldige cursor.")) from None
        if not 0 <= after <= 2**63 - 1:
            raise HttpError(400, _("Ongeldige cursor."))
        qs = qs.filter(pk__gt=after)
    rows = list(qs[: filters.limit + 1])
    next_cursor = None
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        next_cursor = str(rows[-1].pk)
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Eén klant")
def get_customer(request: HttpRequest, customer_id: Path[DbId]) -> dict[str, Any]:
    customer = get_object_or_404(Customer, pk=customer_id)
    return customer_out(customer, _agent(request))


@router.post(
    "",
    response={201: CustomerOut, 409: ErrorOut, **ERRORS},
    summary="Klant aanmaken",
)
def post_customer(request: HttpRequest, payload: CustomerIn) -> tuple[int, dict[str, Any]]:
    number = payload.number.strip()
    if number and Customer.objects.filter(number=number).exists():
        raise HttpError(409, _("Klantnummer %(number)s is al in gebruik.") % {"number": number})
    try:
        customer = create_customer(
            name=payload.name.strip(),
            language=payload.language,
            tier=payload.tier,
            number=number,
            notes=payload.notes,
            identities=[(str(i.kind), i.value) for i in payload.identities],
            by=_agent(request),
        )
    except ValueError as exc:  # an identity that belongs to another customer
        raise HttpError(409, str(exc)) from None
    except IntegrityError:  # created at the same moment by someone else
        raise HttpError(
            409, _("Deze klant of een van de identiteiten bestaat al; probeer het opnieuw.")
        ) from None
    return 201, customer_out(customer, _agent(request))


@router.post(
    "/{customer_id}/merge",
    response={200: CustomerOut, 403: ErrorOut, **ERRORS},
    summary="Klanten samenvoegen",
    description="Voegt klant `source` samen in deze klant: identiteiten en tickets gaan over. "
    "Alleen voor teamleiders en beheerders.",
)
def merge_customer(
    request: HttpRequest, customer_id: Path[DbId], payload: MergeIn
) -> dict[str, Any]:
    agent = _agent(request)
    if not agent.is_team_lead:
        raise HttpError(403, _("Alleen teamleiders en beheerders kunnen klanten samenvoegen."))
    target = get_object_or_404(Customer, pk=customer_id)
    source = Customer.objects.filter(pk=payload.source).first()
    if source is None:
        raise HttpError(422, _("Klant %(id)s bestaat niet.") % {"id": payload.source})
    if target.merged_into_id:
        raise HttpError(
            400,
            _("Deze klant is zelf al samengevoegd met klant %(id)s.")
            % {"id": target.merged_into_id},
        )
    try:
        merged = merge_customers(target, source, by=agent)
    except ValueError as exc:  # the same customer, or one already merged
        raise HttpError(400, str(exc)) from None
    return customer_out(merged, agent)
