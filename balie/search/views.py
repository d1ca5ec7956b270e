"""The agent's search page: tickets and customers matching a query."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from balie.accounts.views import agent_required
from balie.tickets.access import tickets_for

from .backends import (
    clean_query,
    customers_in_order,
    matching_customer_ids,
    message_snippets,
    search_ticket_ids,
)
from .highlighting import render_snippet

PAGE_SIZE = 50
CUSTOMERS_SHOWN = 10


@agent_required
def search(request: HttpRequest) -> HttpResponse:
    q = clean_query(request.GET.get("q", ""))
    tickets: list = []
    customers: list = []
    if q:
        customer_ids = matching_customer_ids(q)
        ids = search_ticket_ids(q, limit=PAGE_SIZE * 4, customer_ids=customer_ids)
        tickets = list(
            tickets_for(request.agent)  # type: ignore[attr-defined]
            .filter(pk__in=ids)
            .select_related("customer", "team", "assignee")
            .order_by("-id")[:PAGE_SIZE]
        )
        snippets = message_snippets([t.pk for t in tickets], q)
        for ticket in tickets:
            ticket.snippet = render_snippet(snippets.get(ticket.pk, ""))
        customers = customers_in_order(customer_ids[:CUSTOMERS_SHOWN])
    return render(
        request,
        "search/results.html",
        {"q": q, "tickets": tickets, "customers": customers, "page_size": PAGE_SIZE},
    )
