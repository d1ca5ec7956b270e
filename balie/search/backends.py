"""Search interface (replaced by the full-text backends)."""

from __future__ import annotations

from django.db.models import Q, QuerySet


def filter_tickets(queryset: QuerySet, q: str) -> QuerySet:
    q = q.strip()
    if not q:
        return queryset
    condition = Q(subject__icontains=q) | Q(messages__body_text__icontains=q)
    if q.lstrip("#").isdigit():
        condition |= Q(pk=int(q.lstrip("#")))
    return queryset.filter(condition).distinct()
