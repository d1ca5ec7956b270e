"""The search page's table rows, built in Python as the inbox's are (`inbox_rows`): 50 rows
of four cells through template nodes, with two `{% url %}` and a choice label each, cost more
CPU than the search behind them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from balie.core.html import escaped
from balie.tickets.models import Status

register = template.Library()

ROW = (
    '<tr><td><a href="{href}">#{number}</a></td>'
    '<td><a href="{href}">{subject}</a>{snippet}</td>'
    "<td>{status}</td><td>{customer}</td></tr>"
)
SNIPPET = '<p class="snippet">{}</p>'


@register.simple_tag
def result_rows(tickets: Iterable[dict[str, Any]]) -> SafeString:
    """The rows of a page of search results, read as `search.views.RESULT_COLUMNS` values with
    the ticket's marked `snippet` (safe HTML, or "")."""
    placeholder = "1234567890"
    detail = reverse("tickets:detail", args=[placeholder])
    statuses = {value: escaped(label) for value, label in Status.choices}

    def row(ticket: dict[str, Any]) -> str:
        number = ticket["id"]
        snippet = ticket.get("snippet")
        return ROW.format(
            href=escaped(detail.replace(placeholder, str(number))),
            number=number,
            subject=escaped(ticket["subject"]),
            snippet=SNIPPET.format(escaped(snippet)) if snippet else "",
            status=statuses.get(ticket["status"]) or escaped(ticket["status"]),
            customer=escaped(ticket["customer__name"] or ticket["customer__number"]),
        )

    # Every value is escaped (a snippet is safe HTML already); the row template is constant.
    return mark_safe("\n".join(row(ticket) for ticket in tickets))  # noqa: S308
