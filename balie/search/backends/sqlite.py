"""SQLite (the embedded default): an FTS5 table over tickets_message, kept in sync by triggers
(see `balie.search.schema`), queried with MATCH. Index and query hold Dutch stems
(`balie.search.stemming`), as PostgreSQL's `dutch` configuration does. The user's words are
always quoted, so no FTS5 syntax (`NEAR(`, `*`, `"`, `-`, column filters) from the query
reaches the parser."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from balie.customers.models import Customer
from balie.search.stemming import stem_word
from balie.tickets.models import Ticket

from . import query_phrases, query_words

FTS_TABLE = "search_message_fts"


def match_expression(q: str) -> str:
    """The FTS5 MATCH expression for q: every phrase quoted, all required (AND). Empty when q
    has no words."""
    quoted = []
    for phrase in query_phrases(q):
        text = " ".join(stem_word(word) for word in phrase).replace('"', '""')
        quoted.append(f'"{text}"')
    return " AND ".join(quoted)


def message_ticket_ids(
    q: str, *, limit: int, below: int | None = None, hidden: Sequence[int] = ()
) -> list[int]:
    expression = match_expression(q)
    if not expression:
        return []
    under = "" if below is None else " AND m.ticket_id < %s"
    # Not a ticket of a hidden team (the ids are integers, so they are written in the SQL).
    teams = ", ".join(str(int(pk)) for pk in hidden)
    seen = (
        " AND NOT EXISTS (SELECT 1 FROM tickets_ticket t WHERE t.id = m.ticket_id "  # noqa: S608 - integers
        f"AND t.team_id IN ({teams}))"
        if teams
        else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT m.ticket_id FROM {FTS_TABLE} f "  # noqa: S608 - constant name
            "JOIN tickets_message m ON m.id = f.rowid "
            f"WHERE {FTS_TABLE} MATCH %s{under}{seen} ORDER BY m.ticket_id DESC LIMIT %s",
            [expression, *([] if below is None else [below]), limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _subject_condition(q: str) -> Q | None:
    words = query_words(q)
    if not words:
        return None
    condition = Q()
    for word in words:
        condition &= Q(subject__icontains=word)
    return condition


def subject_ticket_ids(
    q: str, *, limit: int, below: int | None = None, hidden: Sequence[int] = ()
) -> list[int]:
    condition = _subject_condition(q)
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
    expression = match_expression(q)
    subject = _subject_condition(q)
    if not expression or subject is None:
        return Q(pk__in=[])
    messages = RawSQL(  # noqa: S611 - constants; the query is a parameter
        f"SELECT m.ticket_id FROM {FTS_TABLE} f JOIN tickets_message m ON m.id = f.rowid "  # noqa: S608
        f"WHERE {FTS_TABLE} MATCH %s",
        [expression],
    )
    return Q(pk__in=messages) | subject


def customer_ids(q: str, *, limit: int) -> list[int]:
    words = query_words(q)
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(name__icontains=word)
    condition |= Q(contract_numbers__icontains=q)
    return list(
        Customer.objects.active()
        .filter(condition)
        .order_by("name")
        .values_list("pk", flat=True)[:limit]
    )


def message_snippets(ticket_ids: list[int], q: str) -> dict[int, str]:
    expression = match_expression(q)
    if not expression:
        return {}
    placeholders = ", ".join(["%s"] * len(ticket_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.ticket_id, snippet({FTS_TABLE}, -1, char(2), char(3), '…', 24) "  # noqa: S608
            f"FROM {FTS_TABLE} f JOIN tickets_message m ON m.id = f.rowid "
            f"WHERE {FTS_TABLE} MATCH %s AND m.ticket_id IN ({placeholders}) "
            "ORDER BY m.id DESC",
            [expression, *ticket_ids],
        )
        snippets: dict[int, str] = {}
        for ticket_id, snippet in cursor.fetchall():
            snippets.setdefault(ticket_id, snippet)
    return snippets
