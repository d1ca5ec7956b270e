"""Reads that need permission: one access function per object, used by the UI and the API."""

from __future__ import annotations

from django.http import Http404

from balie.accounts.models import Agent
from balie.customers.models import Customer

from .models import Ticket


def tickets_for(agent: Agent):
    return Ticket.objects.visible_to(agent)


def get_ticket_for(agent: Agent, number: int | str) -> Ticket:
    """The ticket with this number if the agent may see it; 404 otherwise (the same answer
    whether it does not exist or is hidden, so numbers of private tickets do not leak)."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("Ticket bestaat niet") from None
    ticket = (
        tickets_for(agent)
        .select_related("customer", "team", "assignee", "account")
        .filter(pk=number)
        .first()
    )
    if ticket is None:
        raise Http404("Ticket bestaat niet")
    return ticket


def get_ticket_for_customer(customer: Customer, number: int | str) -> Ticket:
    """A customer's own ticket (portal); 404 for any other."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("Ticket bestaat niet") from None
    ticket = Ticket.objects.filter(pk=number, customer=customer).select_related("customer").first()
    if ticket is None:
        raise Http404("Ticket bestaat niet")
    return ticket
