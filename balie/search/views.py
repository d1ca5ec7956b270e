"""The agent's search page: tickets and customers matching a query, every visible ticket that
matches, newest first, page by page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from balie.accounts.views import agent_required
from balie.tickets.access import tickets_for
from balie.tickets.models import hidden_team_ids

from .backends import (
    clean_query,
    customers_in_order,
    matching_customer_ids,
    message_snippets,
    search_rows,
    with_snippets,
)
from .highlighting import render_snippet

PAGE_SIZE = 50
CUSTOMERS_SHOWN = 10
# What a result row shows (`search_results.result_rows`): read as values, not as tickets with
# their customer, team and assignee, which cost 4 ms of CPU for 50 rows.
RESULT_COLUMNS = ("id", "subject", "status", "customer__name", "customer__number")


def _below(raw: str | None) -> int | None:
    """The page's cursor: the ticket number the page continues below (a bad one: the first
    page)."""
    text = (raw or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


@agent_required
def search(request: HttpRequest) -> HttpResponse:
    q = clean_query(request.GET.get("q", ""))
    below = _below(request.GET.get("voor"))
    tickets: list = []
    customers: list = []
    next_below: int | None = None
    if q:
        customer_ids = matching_customer_ids(q)
        visible = tickets_for(request.agent)  # type: ignore[attr-defined]
        # The snippets come with the rows where the database can (PostgreSQL), else after them.
        annotated = with_snippets(visible, q)
        rows = (
            annotated.values(*RESULT_COLUMNS, "snippet")
            if annotated is not None
            else visible.values(*RESULT_COLUMNS)
        )
        tickets, next_below = search_rows(
            rows, q, limit=PAGE_SIZE, below=below, customer_ids=customer_ids,
            hidden_teams=hidden_team_ids(request.agent),  # type: ignore[attr-defined]
        )  # fmt: skip
        if annotated is None:
            snippets = message_snippets([t["id"] for t in tickets], q)
            for ticket in tickets:
                ticket["snippet"] = snippets.get(ticket["id"], "")
        for ticket in tickets:
            ticket["snippet"] = render_snippet(ticket["snippet"] or "")
        if below is None:
            customers = customers_in_order(customer_ids[:CUSTOMERS_SHOWN])
    return render(
        request,
        "search/results.html",
        {
            "q": q,
            "tickets": tickets,
            "customers": customers,
            "page_size": PAGE_SIZE,
            "later_page": below is not None,
            "next_below": next_below,
        },
    )
