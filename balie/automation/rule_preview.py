"""Which recent tickets a rule's conditions would have matched, before it is saved: the newest
tickets of the last days (a bounded number), each as it is now, at the moment of the rule's
event (its creation, its last message from the customer, else now). Read only: no action runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from balie.tickets.models import Ticket

from .models import Event
from .rule_conditions import Occurrence, conditions_hold

LIMIT = 100
DAYS = 30


@dataclass
class Preview:
    checked: int
    matched: list[Ticket] = field(default_factory=list)
    limit: int = LIMIT
    days: int = DAYS


def _moment(ticket: Ticket, event: str, now: Any) -> Any:
    if event == Event.TICKET_CREATED:
        return ticket.created_at
    if event == Event.MESSAGE_RECEIVED:
        return ticket.last_inbound_at or ticket.created_at
    return now


def preview(
    conditions: list[dict[str, Any]], event: str, *, limit: int = LIMIT, days: int = DAYS
) -> Preview:
    now = timezone.now()
    tickets = list(
        Ticket.objects.filter(created_at__gte=now - timedelta(days=days))
        .select_related("customer", "team", "assignee")
        .order_by("-created_at", "-id")[:limit]
    )
    result = Preview(checked=len(tickets), limit=limit, days=days)
    for ticket in tickets:
        occurrence = Occurrence(ticket=ticket, event=event, by=None, at=_moment(ticket, event, now))
        if conditions_hold(conditions, occurrence):
            result.matched.append(ticket)
    return result
