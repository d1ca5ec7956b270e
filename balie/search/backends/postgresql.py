"""PostgreSQL: full-text search with the `dutch` configuration. Messages are searched through
their stored vector (`tickets_message.search_vector`, kept by a trigger: tickets migration 0005;
GIN index: search migration 0002), ticket subjects through a GIN index on the expression
`to_tsvector('dutch', subject)`, which the query repeats word for word.

"Newest first, LIMIT n" has two good plans and the planner's choice between them is often
wrong: for a common word, walking the tickets newest first and testing each row stops after a
few hundred rows; for a rare word that walk reads the whole table, and the GIN index answers in
a millisecond. We choose ourselves: first a probe tests the newest few thousand rows (for a
common word that is the answer already); otherwise the expected number of hits comes from the
probe's share of hits, or, when it saw too few, from the planner's estimate (EXPLAIN uses the
lexeme statistics ANALYZE keeps), and `choose_plan` compares the measured costs of both plans.
Each plan has a budget and hands over to the other when the estimate proves wrong. See
docs/performance.md ("Search and inbox at 1M").
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Literal

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

from . import query_words

CONFIG = "dutch"
# Several messages of one ticket may match; walking reads this many hits per distinct ticket.
MESSAGES_PER_TICKET = 1.7
# Each plan has a budget, so that a wrong estimate costs a bounded detour, not seconds: the walk
# reads at most BUDGET_FACTOR times the rows it is expected to need, the GIN plan fetches at
# most BUDGET_FACTOR times the hits expected (at least the minimums). When the walk runs out,
# the query is rarer than estimated and the GIN plan answers; when the GIN plan runs out, it
# is commoner and tries again with a 4 times bigger budget, or walks once walking is the
# cheaper plan.
BUDGET_FACTOR = 4.0
WALK_MIN_BUDGET = 2_000
GIN_MIN_BUDGET = 5_000

# Customers matching a name or contract number that are sorted by name to pick the first ones.
CUSTOMER_MATCHES = 1_000

Plan = Literal["walk", "gin", "slice"]

# The "slice" plan: the GIN index's hits ANDed with a range of the newest keys in one bitmap,
# so only the hits in that range are fetched. Costs in µs (measured at 1M, see Target): a hit in
# the GIN bitmap, a row in the key range's bitmap; the range covers SLICE_MARGIN times the rows
# a walk would need.
BITMAP_US_PER_HIT = 0.2
RANGE_US_PER_ROW = 0.035
SLICE_MARGIN = 2.0


@dataclass(frozen=True)
class Target:
    table: str
    document: str  # the indexed column or expression, word for word
    key: str  # the ticket number column, walked newest first
    # Cost in µs of testing one row while walking the key's btree newest first, and of fetching
    # one hit through the GIN index (its heap row, for the key), measured at 1M tickets / 3.2M
    # messages (docs/performance.md). A message's vector is stored, so its walk only reads it;
    # a subject's is recomputed.
    walk_us_per_row: float
    gin_us_per_hit: float
    per_key: float  # rows per distinct key among the hits
    probe_rows: int  # newest rows tested first (about 2 ms)


MESSAGES = Target(
    "tickets_message", "search_vector", "ticket_id",
    walk_us_per_row=0.5, gin_us_per_hit=4.0, per_key=MESSAGES_PER_TICKET, probe_rows=4_000,
)  # fmt: skip
SUBJECTS = Target(
    "tickets_ticket", f"to_tsvector('{CONFIG}'::regconfig, subject)", "id",
    walk_us_per_row=2.0, gin_us_per_hit=1.5, per_key=1.0, probe_rows=1_000,
)  # fmt: skip
# A probe with at least this many hits measures the share of matching rows better than the
# planner, whose estimate for several words assumes they occur independently.
PROBE_TRUSTED_HITS = 5
TSQUERY = f"websearch_to_tsquery('{CONFIG}'::regconfig, %s)"


def walk_rows(*, estimated_hits: float, table_rows: float, limit: int, per_key: float) -> float:
    """Rows a newest-first walk is expected to read before it has `limit` distinct keys."""
    hits = max(estimated_hits, 1.0)
    rows = max(table_rows, hits)
    return min(rows, limit * per_key * rows / hits)


def choose_plan(
    *,
    estimated_hits: float,
    table_rows: float,
    limit: int,
    per_key: float = 1.0,
    walk_us_per_row: float = MESSAGES.walk_us_per_row,
    gin_us_per_hit: float = MESSAGES.gin_us_per_hit,
) -> Plan:
    """The cheapest of: 'walk' (read newest first until `limit` tickets are found), 'gin'
    (fetch every hit through the GIN index) and 'slice' (fetch the hits among the newest keys
    only, enough of them for `limit` tickets)."""
    hits = max(estimated_hits, 1.0)
    rows = walk_rows(estimated_hits=hits, table_rows=table_rows, limit=limit, per_key=per_key)
    costs: dict[Plan, float] = {
        "walk": walk_us_per_row * rows,
        "gin": gin_us_per_hit * hits,
        "slice": BITMAP_US_PER_HIT * hits
        + SLICE_MARGIN * (RANGE_US_PER_ROW * rows + gin_us_per_hit * min(hits, limit * per_key)),
    }
    return min(costs, key=costs.__getitem__)


# Table sizes change slowly; one lookup per process every few minutes is enough.
TABLE_ROWS_SECONDS = 300.0
_table_rows: dict[str, tuple[float, float]] = {}  # table -> (rows, monotonic time read)


def _rows_in(cursor, table: str) -> float:
    now = time.monotonic()
    known = _table_rows.get(table)
    if known is not None and now - known[1] < TABLE_ROWS_SECONDS:
        return known[0]
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
    rows = float(cursor.fetchone()[0])
    _table_rows[table] = (rows, now)
    return rows


_key_ranges: dict[str, tuple[tuple[int, int], float]] = {}  # table -> ((min, max), time read)


def _key_range(cursor, target: Target) -> tuple[int, int]:
    """Lowest and highest key (a few minutes old at most: a newer key only widens a slice)."""
    now = time.monotonic()
    known = _key_ranges.get(target.table)
    if known is not None and now - known[1] < TABLE_ROWS_SECONDS:
        return known[0]
    cursor.execute(
        f"SELECT COALESCE(min({target.key}), 0), COALESCE(max({target.key}), 0) "  # noqa: S608
        f"FROM {target.table}"
    )
    low, high = cursor.fetchone()
    _key_ranges[target.table] = ((low, high), now)
    return low, high


def _estimate(cursor, target: Target, q: str) -> tuple[float, float]:
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {target.table} "  # noqa: S608 - constants
        f"WHERE {target.document} @@ {TSQUERY}",
        [q],
    )
    raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return float(plan["Plan Rows"]), _rows_in(cursor, target.table)


def _below(target: Target, below: int | None) -> tuple[str, list[int]]:
    """The condition "key below `below`" (the next page of a search), or nothing."""
    if below is None:
        return "", []
    return f" AND {target.key} < %s", [below]


def _gin(
    cursor, target: Target, q: str, *, limit: int, budget: int | None, below: int | None = None
) -> list[int] | None:
    """Every hit through the GIN index (at most `budget`), then the newest `limit` keys. None
    when the budget ran out (the newest keys may be among the hits not fetched)."""
    # MATERIALIZED keeps the ORDER BY … LIMIT outside, so the planner cannot turn the query
    # into a backwards walk.
    cap = "" if budget is None else " LIMIT %s"
    under, under_params = _below(target, below)
    cursor.execute(
        f"WITH hits AS MATERIALIZED (SELECT {target.key} AS key FROM {target.table} "  # noqa: S608
        f"WHERE {target.document} @@ {TSQUERY}{under}{cap}) "
        "SELECT key, (SELECT count(*) FROM hits) FROM "
        "(SELECT DISTINCT key FROM hits ORDER BY key DESC LIMIT %s) AS newest ORDER BY key DESC",
        [q, *under_params, limit] if budget is None else [q, *under_params, budget, limit],
    )
    rows = cursor.fetchall()
    if budget is not None and rows and rows[0][1] >= budget:
        return None
    return [row[0] for row in rows]


def _walk(
    cursor, target: Target, q: str, *, limit: int, budget: int | None, below: int | None = None
) -> list[int] | None:
    """The newest `limit` keys, testing the rows backwards along the key's btree (the newest
    `budget` rows at most). None when the budget ran out first."""
    under, under_params = _below(target, below)
    if budget is None:
        # Bitmap scans off for this statement only, so the planner walks the key's btree
        # backwards and stops at the limit instead of fetching every hit.
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(
            f"SELECT DISTINCT {target.key} FROM {target.table} "  # noqa: S608
            f"WHERE {target.document} @@ {TSQUERY}{under} ORDER BY {target.key} DESC LIMIT %s",
            [q, *under_params, limit],
        )
        found = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_bitmapscan = DEFAULT")
        return found
    # The inner LIMIT has no condition, so no plan but the walk serves it; the executor stops
    # as soon as `limit` keys are found.
    cursor.execute(
        f"SELECT DISTINCT key FROM (SELECT {target.key} AS key, {target.document} AS document "  # noqa: S608
        f"FROM {target.table} WHERE TRUE{under} ORDER BY {target.key} DESC LIMIT %s) AS newest "
        f"WHERE document @@ {TSQUERY} ORDER BY key DESC LIMIT %s",
        [*under_params, budget, q, limit],
    )
    found = [row[0] for row in cursor.fetchall()]
    return found if len(found) >= limit else None


def _slice(
    cursor, target: Target, q: str, *, limit: int, rows: float, below: int | None = None
) -> list[int] | None:
    """The newest `limit` keys among the hits whose key lies in the newest range of about
    SLICE_MARGIN × `rows` rows (below `below`). None when the range held fewer."""
    low, high = _key_range(cursor, target)
    under, under_params = _below(target, below)
    if below is not None:
        high = min(high, below - 1)
    table_rows = max(_rows_in(cursor, target.table), 1.0)
    span = int(SLICE_MARGIN * rows * max(high - low, 1) / table_rows) + 1
    with transaction.atomic():
        # No plain index scans for this statement: the planner ANDs the GIN bitmap with the
        # key range's bitmap instead of walking the key's btree.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(
            f"SELECT DISTINCT {target.key} FROM {target.table} "  # noqa: S608
            f"WHERE {target.document} @@ {TSQUERY} AND {target.key} >= %s{under} "
            f"ORDER BY {target.key} DESC LIMIT %s",
            [q, high - span, *under_params, limit],
        )
        found = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_indexscan = DEFAULT")
    return found if len(found) >= limit else None


@dataclass(frozen=True)
class Probe:
    rows: int  # rows read
    hits: int  # rows that matched
    keys: list[int]  # distinct keys of the matching rows, newest first


def _probe(cursor, target: Target, q: str, *, below: int | None = None) -> Probe:
    """Test the newest `target.probe_rows` rows (below `below`): for a common word that
    already gives the answer, otherwise it measures how common the query is among recent
    rows."""
    under, under_params = _below(target, below)
    cursor.execute(
        "SELECT count(*), count(*) FILTER (WHERE hit), "  # noqa: S608 - constants
        "COALESCE(array_agg(DISTINCT key) FILTER (WHERE hit), '{}') FROM "
        f"(SELECT {target.key} AS key, {target.document} @@ {TSQUERY} AS hit "
        f"FROM {target.table} WHERE TRUE{under} ORDER BY {target.key} DESC LIMIT %s) AS newest",
        [q, *under_params, target.probe_rows],
    )
    rows, hits, keys = cursor.fetchone()
    return Probe(rows=rows, hits=hits, keys=sorted(keys, reverse=True))


def expected_hits(*, planner: float, probe: Probe, table_rows: float, words: int) -> float:
    """Hits in the whole table: from the probe's share when it saw enough hits; else, for one
    word, the planner's estimate (its statistics per word are good, and the newest rows need
    not be typical: a burst of mails about one outage); for several words, whose estimate
    assumes they occur independently, the planner's estimate capped by what the probe makes
    plausible."""
    if probe.rows <= 0:
        return planner
    scale = max(table_rows, probe.rows) / probe.rows
    if probe.hits >= PROBE_TRUSTED_HITS:
        return probe.hits * scale
    if words <= 1:
        return planner
    return min(planner, (probe.hits + 3) * scale)


def _share_below(cursor, target: Target, below: int | None) -> float:
    """About which share of the table lies below `below` (1 without it)."""
    if below is None:
        return 1.0
    low, high = _key_range(cursor, target)
    return min(1.0, max(0.0, (below - low) / max(high - low + 1, 1)))


def _ids(
    target: Target, q: str, *, limit: int, plan: Plan | None = None, below: int | None = None
) -> list[int]:
    with connection.cursor() as cursor:
        planner, rows = _estimate(cursor, target, q)
        # Below a page's last ticket only that part of the table counts.
        share = _share_below(cursor, target, below)
        planner, rows = planner * share, max(rows * share, 1.0)
        hits = planner
        if plan is None:
            probe = _probe(cursor, target, q, below=below)
            if len(probe.keys) >= limit or probe.rows < target.probe_rows:
                return probe.keys[:limit]  # enough, or the probe read the whole table
            words = len(query_words(q))
            hits = expected_hits(planner=planner, probe=probe, table_rows=rows, words=words)
            plan = _plan(target, hits=hits, rows=rows, limit=limit)
        expected = walk_rows(
            estimated_hits=hits, table_rows=rows, limit=limit, per_key=target.per_key
        )
        if plan == "slice":
            found = _slice(cursor, target, q, limit=limit, rows=expected, below=below)
            if found is None:  # rarer than expected
                found = _gin(cursor, target, q, limit=limit, budget=None, below=below) or []
            return found
        if plan == "walk":
            budget = int(max(expected * BUDGET_FACTOR, WALK_MIN_BUDGET))
            found = _walk(cursor, target, q, limit=limit, budget=budget, below=below)
            if found is None:  # rarer than expected
                found = _gin(cursor, target, q, limit=limit, budget=None, below=below) or []
            return found
        budget = int(max(hits * BUDGET_FACTOR, GIN_MIN_BUDGET))
        while (found := _gin(cursor, target, q, limit=limit, budget=budget, below=below)) is None:
            # At least `budget` hits: walk once the GIN plan is no longer the cheapest.
            if _plan(target, hits=budget, rows=rows, limit=limit) != "gin":
                with transaction.atomic():  # for SET LOCAL
                    return _walk(cursor, target, q, limit=limit, budget=None, below=below) or []
            budget *= 4
        return found


def _plan(target: Target, *, hits: float, rows: float, limit: int) -> Plan:
    return choose_plan(
        estimated_hits=hits, table_rows=rows, limit=limit, per_key=target.per_key,
        walk_us_per_row=target.walk_us_per_row, gin_us_per_hit=target.gin_us_per_hit,
    )  # fmt: skip


def message_ticket_ids(
    q: str, *, limit: int, plan: Plan | None = None, below: int | None = None
) -> list[int]:
    return _ids(MESSAGES, q, limit=limit, plan=plan, below=below)


def subject_ticket_ids(
    q: str, *, limit: int, plan: Plan | None = None, below: int | None = None
) -> list[int]:
    return _ids(SUBJECTS, q, limit=limit, plan=plan, below=below)


def ticket_condition(q: str) -> Q:
    """Tickets with a message or subject matching q, as a condition on tickets_ticket: every
    match, whatever else the query filters on or sorts by."""
    return Q(
        pk__in=RawSQL(  # noqa: S611 - constants; the query is a parameter
            f"SELECT ticket_id FROM tickets_message WHERE search_vector @@ {TSQUERY} "  # noqa: S608
            f"UNION SELECT id FROM tickets_ticket WHERE {SUBJECTS.document} @@ {TSQUERY}",
            [q, q],
        )
    )


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
        # At most CUSTOMER_MATCHES matches are sorted by name: a lone common name word
        # ("de", 108k of 333k customers) would otherwise sort a third of the table (60 ms).
        cursor.execute(
            "WITH found AS MATERIALIZED (SELECT id, name FROM customers_customer "  # noqa: S608
            "WHERE merged_into_id IS NULL AND ("
            + " OR ".join(conditions)
            + ") LIMIT %s) SELECT id FROM found ORDER BY name LIMIT %s",
            [*params, CUSTOMER_MATCHES, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def message_snippets(ticket_ids: list[int], q: str) -> dict[int, str]:
    # The messages of these tickets first (MATERIALIZED: otherwise the planner may AND the
    # ticket numbers with the GIN index, whose bitmap for two common words took 40 ms at 1M),
    # then the newest matching one per ticket, then ts_headline for those only (in one SELECT
    # DISTINCT ON it ran for every matching message).
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH candidates AS MATERIALIZED (SELECT id, ticket_id, body_text, search_vector "  # noqa: S608 - constants
            "FROM tickets_message WHERE ticket_id = ANY(%s)) "
            "SELECT ticket_id, ts_headline("
            f"'{CONFIG}'::regconfig, translate(body_text, chr(2) || chr(3), ''), {TSQUERY}, "
            '\'StartSel="\x02", StopSel="\x03", MaxWords=30, MinWords=12, MaxFragments=2, '
            'FragmentDelimiter=" … "\') '
            "FROM (SELECT DISTINCT ON (ticket_id) ticket_id, body_text FROM candidates "
            f"WHERE search_vector @@ {TSQUERY} ORDER BY ticket_id, id DESC) AS newest",
            [ticket_ids, q, q],
        )
        return dict(cursor.fetchall())
