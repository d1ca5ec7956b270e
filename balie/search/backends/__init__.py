"""One search interface for the agent UI and the API, shaped like Django's pluggable backends.

`search_ticket_ids(q)` answers "which tickets match, newest first" from the ticket subject,
every message text and the customer (name, number, contract number, e-mail, phone), and a
ticket number (`#10023` or `10023`). The database decides how: PostgreSQL full-text search
with the `dutch` configuration, SQLite FTS5, or a plain `icontains` for any other database.

Search is complete: what an agent asks for is every matching ticket they may see, page by page.
`search_rows(tickets, q)` gives the newest page of a ticket queryset (visibility and any
filters applied) that match q, and the number to continue below; `filter_tickets(tickets, q)`
restricts a queryset to every match, for any other order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet

from balie.customers.identities import normalise_email, normalise_phone
from balie.customers.models import Customer, Identity, IdentityKind
from balie.tickets.models import Ticket

MAX_QUERY_LENGTH = 200
MAX_CUSTOMERS_PER_QUERY = 50
# `search_rows` asks for the newest matches in rounds: first CANDIDATES_PER_ROW × the page's
# rows (at least MIN_CANDIDATES), then four times as many each round (at most MAX_CANDIDATES),
# below the last one seen, until the page is full of visible tickets or no match is left.
# When the caller names the agent's hidden teams, the backend skips their tickets while it
# reads, and the first round asks for just the page's rows: it is usually the only one.
CANDIDATES_PER_ROW = 2
MIN_CANDIDATES = 100
MAX_CANDIDATES = 10_000

_TICKET_NUMBER = re.compile(r"^#?\s*(\d{1,12})$")
_WORD = re.compile(r"\w+", re.UNICODE)
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"|(\S+)')


def clean_query(q: object) -> str:
    """The user's query made safe to hand to any database: no NULs or control characters,
    whitespace collapsed, at most MAX_QUERY_LENGTH characters."""
    text = str(q or "")
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch for ch in text
    )
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def query_words(q: str) -> list[str]:
    """The words of a query (letters and digits), lowercased, for backends without a parser."""
    return [w.lower() for w in _WORD.findall(q)][:32]


def query_phrases(q: str) -> list[list[str]]:
    """The query as phrases: a quoted part is one phrase, every other word a phrase of one.
    Words only (letters and digits); punctuation is dropped, so the result is always safe to
    quote into a MATCH expression."""
    phrases: list[list[str]] = []
    for quoted, bare in _PHRASE_OR_WORD.findall(q):
        words = query_words(quoted if quoted else bare)
        if not words:
            continue
        if quoted:
            phrases.append(words)
        else:
            phrases.extend([w] for w in words)
    return phrases[:32]


def ticket_number_in(q: str) -> int | None:
    match = _TICKET_NUMBER.match(q)
    if not match:
        return None
    number = int(match.group(1))
    return number if 0 < number < 2**62 else None


def get_backend() -> ModuleType:
    if connection.vendor == "postgresql":
        from . import postgresql

        return postgresql
    if connection.vendor == "sqlite":
        from . import sqlite

        return sqlite
    from . import fallback

    return fallback


def matching_customer_ids(q: str, *, limit: int = MAX_CUSTOMERS_PER_QUERY) -> list[int]:
    """Customers whose name, customer number, contract number, e-mail or phone matches."""
    q = clean_query(q)
    if not q:
        return []
    backend = get_backend()
    numbers = [q, q.upper()]
    kinds = [k for k, _label in IdentityKind.choices]
    if hasattr(backend, "customer_ids_at_once"):  # the same three lookups in one statement
        found = backend.customer_ids_at_once(
            q, limit=limit, numbers=numbers, kinds=kinds, identity_values=_identity_values(q)
        )
        return list(dict.fromkeys(found))[:limit]
    ids: list[int] = []

    def add(found: list[int]) -> None:
        for pk in found:
            if pk not in ids:
                ids.append(pk)

    exact = Customer.objects.active().filter(number__in=numbers)
    add(list(exact.values_list("pk", flat=True)[:limit]))
    identity_values = _identity_values(q)
    if identity_values:
        add(
            list(
                Identity.objects.filter(
                    kind__in=kinds,
                    value__in=identity_values,
                    customer__merged_into__isnull=True,
                ).values_list("customer_id", flat=True)[:limit]
            )
        )
    add(backend.customer_ids(q, limit=limit))
    return ids[:limit]


def _identity_values(q: str) -> list[str]:
    values = {q, q.lower()}
    for normaliser in (normalise_email, normalise_phone):
        try:
            values.add(normaliser(q))
        except (ValidationError, ValueError):
            continue
    return sorted(values)


def search_ticket_ids(
    q: str,
    *,
    limit: int = 500,
    customer_ids: list[int] | None = None,
    below: int | None = None,
    hidden_teams: Sequence[int] = (),
) -> list[int]:
    """Ticket numbers matching q, newest first, at most `limit`, none of the `hidden_teams`
    (the rest of visibility is the caller's, see `search_rows`). `below`: only numbers below
    it (the next round or page). `customer_ids`: the result of `matching_customer_ids(q)` when
    the caller already has it."""
    q = clean_query(q)
    limit = max(1, min(int(limit), MAX_CANDIDATES))
    if not q:
        return []
    backend = get_backend()
    found: set[int] = set()
    hidden = list(hidden_teams)
    number = ticket_number_in(q)
    if (
        number is not None
        and (below is None or number < below)
        and Ticket.objects.filter(pk=number).exclude(team_id__in=hidden).exists()
    ):
        found.add(number)
    # PostgreSQL: the planner's estimates for messages and subjects in one round trip.
    planned = backend.planned_hits(q) if hasattr(backend, "planned_hits") else None
    messages, subjects = ({}, {}) if planned is None else (
        {"planned": planned["tickets_message"]}, {"planned": planned["tickets_ticket"]}
    )  # fmt: skip
    found.update(backend.message_ticket_ids(q, limit=limit, below=below, hidden=hidden, **messages))
    found.update(backend.subject_ticket_ids(q, limit=limit, below=below, hidden=hidden, **subjects))
    if customer_ids is None:
        customer_ids = matching_customer_ids(q)
    if customer_ids:
        tickets = Ticket.objects.filter(customer_id__in=customer_ids)
        if hidden:
            tickets = tickets.exclude(team_id__in=hidden)
        if below is not None:
            tickets = tickets.filter(pk__lt=below)
        found.update(tickets.order_by("-id").values_list("pk", flat=True)[:limit])
    return sorted(found, reverse=True)[:limit]


def search_rows(
    tickets: QuerySet[Any],
    q: str,
    *,
    limit: int = 50,
    below: int | None = None,
    customer_ids: list[int] | None = None,
    hidden_teams: Sequence[int] | None = None,
) -> tuple[list[Any], int | None]:
    """The newest `limit` rows of `tickets` (a ticket queryset with the agent's visibility and
    any filters, as instances or values) that match q, below `below`, and the number to
    continue below for the next page (None when there is none).

    Complete: the newest matches are read in growing rounds and each round is narrowed to
    `tickets`, until the page is full or no match is left, so an agent finds every ticket they
    may see however many newer matches other teams have. Each round reads its rows at once:
    the round that fills the page is the page. `hidden_teams`: the teams whose tickets
    `tickets` leaves out (`hidden_team_ids(agent)`); the backend then skips them while it
    reads, so one round of the page's size usually fills the page."""
    q = clean_query(q)
    if not q:
        return [], None
    if customer_ids is None:
        customer_ids = matching_customer_ids(q)
    wanted = limit + 1  # one more tells whether there is a next page
    found: list[Any] = []
    numbers: list[int] = []
    hidden = list(hidden_teams or ())
    if hidden_teams is None:
        size = min(max(CANDIDATES_PER_ROW * wanted, MIN_CANDIDATES), MAX_CANDIDATES)
    else:
        size = min(wanted, MAX_CANDIDATES)
    newest_first = tickets.order_by("-pk")
    while len(found) < wanted:
        candidates = search_ticket_ids(
            q, limit=size, customer_ids=customer_ids, below=below, hidden_teams=hidden
        )
        if candidates:
            got = list(newest_first.filter(pk__in=candidates)[: wanted - len(found)])
            found += got
            numbers += [_number(row) for row in got]
        if len(candidates) < size:
            break  # no match left below the last candidate
        below = candidates[-1]
        size = min(size * 4, MAX_CANDIDATES)
    if len(found) > limit:
        return found[:limit], numbers[limit - 1]
    return found, None


def _number(row: Any) -> int:
    """A row's ticket number: the value itself (values_list), a dict's id (values) or an
    instance's pk."""
    if isinstance(row, int):
        return row
    if isinstance(row, dict):
        return int(row["id"])
    return int(row.pk)


def ticket_condition(q: str, *, customer_ids: list[int] | None = None) -> Q:
    """A condition on tickets that holds for every ticket matching q: message text, subject,
    customer, ticket number."""
    q = clean_query(q)
    if not q:
        return Q(pk__in=[])
    condition = get_backend().ticket_condition(q)
    if customer_ids is None:
        customer_ids = matching_customer_ids(q)
    if customer_ids:
        condition |= Q(customer_id__in=customer_ids)
    number = ticket_number_in(q)
    if number is not None:
        condition |= Q(pk=number)
    return condition


def filter_tickets(queryset: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """Restrict a Ticket queryset to every ticket matching q (any order, any filter applied
    before or after). An empty query leaves the queryset as it is."""
    if not clean_query(q):
        return queryset
    return queryset.filter(ticket_condition(q))


def search_customers(q: str, limit: int = 20) -> list[Customer]:
    return customers_in_order(matching_customer_ids(q, limit=max(1, min(int(limit), 200))))


def customers_in_order(ids: list[int]) -> list[Customer]:
    """The customers with these ids (and their identities), in the order of `ids`."""
    if not ids:
        return []
    by_id = {c.pk: c for c in Customer.objects.filter(pk__in=ids).prefetch_related("identities")}
    return [by_id[pk] for pk in ids if pk in by_id]


def with_snippets(tickets: QuerySet[Any], q: str) -> QuerySet[Any] | None:
    """`tickets` with each row's snippet (see `message_snippets`) in a column `snippet`, read
    in the same statement as the rows; None when the database's backend makes snippets
    in a statement of their own (then call `message_snippets` for the rows read)."""
    q = clean_query(q)
    backend = get_backend()
    if not q or not hasattr(backend, "snippet_of_ticket"):
        return None
    return tickets.annotate(snippet=backend.snippet_of_ticket(q))


def message_snippets(ticket_ids: list[int], q: str) -> dict[int, str]:
    """For each ticket, a short excerpt of its newest matching message, with the matched terms
    between the sentinels START_MARK and STOP_MARK (see `balie.search.highlighting`)."""
    q = clean_query(q)
    if not q or not ticket_ids:
        return {}
    return get_backend().message_snippets(list(ticket_ids), q)
