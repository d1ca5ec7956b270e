"""Which recent tickets a rule's conditions would have matched, before it is saved: the newest
tickets of the last days (a bounded number), each as it is now, at the moment of the rule's
event (its creation, its last message from the customer, else now). Read only: no action runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from balie.tickets.models import Direction, Message, Ticket

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


def _read_ahead(conditions: list[dict[str, Any]], ids: list[int]) -> dict[str, dict[int, Any]]:
    """What the conditions will read of every ticket, in one query each instead of one per
    ticket: the customer's last message, the tags, the running SLA clocks."""
    from balie.sla.models import ClockState, SlaClock

    fields = {condition.get("field") for condition in conditions}
    known: dict[str, dict[int, Any]] = {}
    if fields & {"body", "text"}:
        bodies: dict[int, str] = {}
        rows = (
            Message.objects.filter(ticket_id__in=ids, direction=Direction.INBOUND)
            .order_by("ticket_id", "-created_at", "-id")
            .values_list("ticket_id", "body_text")
        )
        for ticket_id, body in rows:
            bodies.setdefault(ticket_id, body)
        known["body"] = bodies
    if "tag" in fields:
        tags: dict[int, list[str]] = {}
        pairs = Ticket.tags.through.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "tag__name"
        )
        for ticket_id, name in pairs:
            tags.setdefault(ticket_id, []).append(name)
        known["tag"] = tags
    if "sla" in fields:
        clocks: dict[int, list[tuple[Any, Any]]] = {}
        running = SlaClock.objects.filter(ticket_id__in=ids, state=ClockState.RUNNING)
        for ticket_id, warn_at, due_at in running.values_list("ticket_id", "warn_at", "due_at"):
            clocks.setdefault(ticket_id, []).append((warn_at, due_at))
        known["sla"] = clocks
    return known


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
    known = _read_ahead(conditions, [t.pk for t in tickets])
    for ticket in tickets:
        occurrence = Occurrence(
            ticket=ticket,
            event=event,
            by=None,
            at=_moment(ticket, event, now),
            _body=known["body"].get(ticket.pk, "") if "body" in known else None,
            _tags=frozenset(known["tag"].get(ticket.pk, ())) if "tag" in known else None,
            _running_clocks=known["sla"].get(ticket.pk, []) if "sla" in known else None,
        )
        if conditions_hold(conditions, occurrence):
            result.matched.append(ticket)
    return result
