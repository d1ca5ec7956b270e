"""PostgreSQL: full-text search with the `dutch` configuration on expression GIN indexes
(`to_tsvector('dutch', body_text)` on tickets_message, `to_tsvector('dutch', subject)` on
tickets_ticket; created by the search app's migration). Every query uses exactly the indexed
expression.

"Newest first, LIMIT n" has two good plans and the planner's choice between them is often
wrong: for a common word, walking the tickets newest first and testing each row stops after a
few hundred rows; for a rare word that walk reads the whole table, and the GIN index answers in
a millisecond. We choose ourselves, from the planner's own estimate of the number of hits
(EXPLAIN uses the lexeme statistics ANALYZE keeps for the expression index) and the table's
size: see `choose_plan` and docs/performance.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from django.db import connection, transaction

from . import query_words

CONFIG = "dutch"
# Relative cost per row of the two plans, measured at 1M messages (docs/performance.md): testing
# one row while walking the btree recomputes to_tsvector (about 50 µs for a short e-mail); one
# GIN hit costs a posting-list entry plus a heap visit (about 6 µs once the heap is not cached).
WALK_COST_PER_ROW = 8.0
GIN_COST_PER_ROW = 1.0
# Several messages of one ticket may match; walking reads this many hits per distinct ticket.
MESSAGES_PER_TICKET = 1.7


@dataclass(frozen=True)
class Target:
    table: str
    document: str  # the indexed expression, word for word
    key: str  # the ticket number column, walked newest first


MESSAGES = Target("tickets_message", f"to_tsvector('{CONFIG}'::regconfig, body_text)", "ticket_id")
SUBJECTS = Target("tickets_ticket", f"to_tsvector('{CONFIG}'::regconfig, subject)", "id")
TSQUERY = f"websearch_to_tsquery('{CONFIG}'::regconfig, %s)"


def choose_plan(
    *, estimated_hits: float, table_rows: float, limit: int, per_key: float = 1.0
) -> Literal["walk", "gin"]:
    """'walk' when reading newest first until `limit` tickets are found is cheaper than
    fetching every hit through the GIN index."""
    hits = max(estimated_hits, 1.0)
    rows = max(table_rows, hits)
    walk = WALK_COST_PER_ROW * min(rows, limit * per_key * rows / hits)
    gin = GIN_COST_PER_ROW * hits
    return "walk" if walk < gin else "gin"


def _estimate(cursor, target: Target, q: str) -> tuple[float, float]:
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {target.table} "  # noqa: S608 - constants
        f"WHERE {target.document} @@ {TSQUERY}",
        [q],
    )
    raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [target.table])
    rows = float(cursor.fetchone()[0])
    return float(plan["Plan Rows"]), rows


def _ids(target: Target, q: str, *, limit: int, per_key: float) -> list[int]:
    with connection.cursor() as cursor:
        hits, rows = _estimate(cursor, target, q)
        plan = choose_plan(estimated_hits=hits, table_rows=rows, limit=limit, per_key=per_key)
        if plan == "gin":
            # MATERIALIZED keeps the ORDER BY … LIMIT outside, so the planner cannot turn the
            # query into a backwards walk: it fetches the hits through the GIN index.
            sql = (
                f"WITH hits AS MATERIALIZED (SELECT {target.key} AS key FROM {target.table} "  # noqa: S608
                f"WHERE {target.document} @@ {TSQUERY}) "
                "SELECT DISTINCT key FROM hits ORDER BY key DESC LIMIT %s"
            )
            cursor.execute(sql, [q, limit])
        else:
            # Bitmap scans off for this statement only, so the planner walks the btree of the
            # key backwards and stops at the limit.
            sql = (
                f"SELECT DISTINCT {target.key} FROM {target.table} "  # noqa: S608
                f"WHERE {target.document} @@ {TSQUERY} "
                f"ORDER BY {target.key} DESC LIMIT %s"
            )
            with transaction.atomic():
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute(sql, [q, limit])
                rows = cursor.fetchall()
                cursor.execute("SET LOCAL enable_bitmapscan = DEFAULT")
            return [row[0] for row in rows]
        return [row[0] for row in cursor.fetchall()]


def message_ticket_ids(q: str, *, limit: int) -> list[int]:
    return _ids(MESSAGES, q, limit=limit, per_key=MESSAGES_PER_TICKET)


def subject_ticket_ids(q: str, *, limit: int) -> list[int]:
    return _ids(SUBJECTS, q, limit=limit, per_key=1.0)


def _prefix_tsquery(q: str) -> str:
    """'jans' & 'carl' style prefix query from the words of q (letters and digits only, so
    nothing needs escaping)."""
    return " & ".join(f"'{word}':*" for word in query_words(q)[:8])


def customer_ids(q: str, *, limit: int) -> list[int]:
    prefix = _prefix_tsquery(q)
    with connection.cursor() as cursor:
        params: list[object] = []
        conditions = ["contract_numbers @> %s::jsonb"]
        params.append(json.dumps([q]))
        if prefix:
            conditions.append("to_tsvector('simple'::regconfig, name) @@ to_tsquery('simple', %s)")
            params.append(prefix)
        cursor.execute(
            "SELECT id FROM customers_customer WHERE merged_into_id IS NULL AND ("  # noqa: S608
            + " OR ".join(conditions)
            + ") ORDER BY name LIMIT %s",
            [*params, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def message_snippets(ticket_ids: list[int], q: str) -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (ticket_id) ticket_id, ts_headline("  # noqa: S608 - constants
            f"'{CONFIG}'::regconfig, translate(body_text, chr(2) || chr(3), ''), {TSQUERY}, "
            '\'StartSel="\x02", StopSel="\x03", MaxWords=30, MinWords=12, MaxFragments=2, '
            'FragmentDelimiter=" … "\') '
            f"FROM tickets_message WHERE ticket_id = ANY(%s) AND {MESSAGES.document} @@ {TSQUERY} "
            "ORDER BY ticket_id, id DESC",
            [q, ticket_ids, q],
        )
        return dict(cursor.fetchall())
