"""Any database without a full-text engine Balie knows: every word must occur (icontains)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from balie.customers.models import Customer
from balie.tickets.models import Message, Ticket

from ..highlighting import mark_words
from . import query_words


def _all_words(field: str, q: str) -> Q | None:
    words = query_words(q)
    if not words:
        return None
    condition = Q()
    for word in words:
        condition &= Q(**{f"{field}__icontains": word})
    return condition


def message_ticket_ids(
    q: str, *, limit: int, below: int | None = None, hidden: Sequence[int] = ()
) -> list[int]:
    condition = _all_words("body_text", q)
    if condition is None:
        return []
    messages = Message.objects.filter(condition)
    if hidden:
        messages = messages.exclude(ticket__team_id__in=list(hidden))
    if below is not None:
        messages = messages.filter(ticket_id__lt=below)
    return list(
        messages.order_by("-ticket_id").values_list("ticket_id", flat=True).distinct()[:limit]
    )


def subject_ticket_ids(
    q: str, *, limit: int, below: int | None = None, hidden: Sequence[int] = ()
) -> list[int]:
    condition = _all_words("subject", q)
    if condition is None:
        return []
    tickets = Ticket.objects.filter(condition)
    if hidden:
        tickets = tickets.exclude(team_id__in=list(hidden))
    if below is not None:
        tickets = tickets.filter(pk__lt=below)
    return list(tickets.order_by("-id").values_list("pk", flat=True)[:limit])


def ticket_condition(q: str) -> Q:
    """Tickets with a message or subject matching q, as a condition on tickets_ticket."""
    body = _all_words("body_text", q)
    subject = _all_words("subject", q)
    if body is None or subject is None:
        return Q(pk__in=[])
    return Q(pk__in=Message.objects.filter(body).values("ticket_id")) | subject


def customer_ids(q: str, *, limit: int) -> list[int]:
    condition = _all_words("name", q)
    if condition is None:
        return []
    return list(
        Customer.objects.active()
        .filter(condition)
        .order_by("name")
        .values_list("pk", flat=True)[:limit]
    )


def message_snippets(ticket_ids: list[int], q: str) -> dict[int, str]:
    condition = _all_words("body_text", q)
    if condition is None:
        return {}
    snippets: dict[int, str] = {}
    rows = (
        Message.objects.filter(condition, ticket_id__in=ticket_ids)
        .order_by("-id")
        .values_list("ticket_id", "body_text")
    )
    for ticket_id, body in rows:
        if ticket_id not in snippets:
            snippets[ticket_id] = mark_words(body, q)
    return snippets
