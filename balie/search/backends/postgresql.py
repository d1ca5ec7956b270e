"""PostgreSQL: full-text search with the `dutch` configuration. Messages and ticket subjects are
searched through their stored vectors (`tickets_message.search_vector`, kept by a trigger:
tickets migration 0005, GIN index: search migration 0002; `tickets_ticket.search_vector`: search
migration 0004).

"Newest first, LIMIT n" has two good plans and the planner's choice between them is often
wrong: for a common word, walking the tickets newest first and testing each row stops after a
few hundred rows; for a rare word that walk reads the whole table, and the GIN index answers in
a millisecond. We choose ourselves: first a probe tests the newest few thousand rows (for a
common word that is the answer already); otherwise the expected number of hits comes from the
probe's share of hits, or, when it saw too few, from the planner's estimate (EXPLAIN uses the
lexeme statistics ANALYZE keeps), and `choose_plan` compares the measured costs of both plans.
Each plan has a budget and hands over to the other when the estimate proves wrong. See
docs/performance.md ("Search and inbox at 1M").

Every plan skips the tickets of the teams an agent may not see (`hidden`: a handful of team
ids) while it reads, so that the newest matches it returns are the agent's own: the team is on
the row read, the ticket's own for a subject, a copy kept by triggers for a message
(`tickets_message.team_id`, search migration 0006).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import psycopg
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

from . import query_words
from .postgresql_customers import customer_ids, customer_ids_at_once

__all__ = [  # the backend's interface (see `balie.search.backends`)
    "customer_ids",
    "customer_ids_at_once",
    "message_snippets",
    "message_ticket_ids",
    "planned_hits",
    "snippet_of_ticket",
    "subject_ticket_ids",
    "ticket_condition",
]

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

Plan = Literal["walk", "gin", "slice"]

# The "slice" plan: the GIN index's hits ANDed with a range of the newest keys in one bitmap,
# so only the hits in that range are fetched. Costs in µs (measured at 1M, see Target): a hit in
# the GIN bitmap, a row in the key range's bitmap; the range covers SLICE_MARGIN times the rows
# a walk would need.
BITMAP_US_PER_HIT = 0.2
RANGE_US_PER_ROW = 0.035
SLICE_MARGIN = 3.0


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
    team: str  # the row's team column (the ticket's team)


MESSAGES = Target(
    "tickets_message", "search_vector", "ticket_id",
    walk_us_per_row=0.5, gin_us_per_hit=4.0, per_key=MESSAGES_PER_TICKET, probe_rows=4_000,
    team="team_id",
)  # fmt: skip
SUBJECTS = Target(
    "tickets_ticket", "search_vector", "id",
    walk_us_per_row=0.5, gin_us_per_hit=1.5, per_key=1.0, probe_rows=1_000,
    team="team_id",
)  # fmt: skip
# A query the planner expects in at most RARE_HITS rows (and RARE_SHARE of the table) is
# answered through the GIN index without a probe (fetching 2,000 hits costs about what probing
# 4,000 rows does; a word not among ANALYZE's most common lexemes is estimated at about 1,700
# hits at 3.2M messages), fetching at least RARE_BUDGET hits before it reconsiders: the
# planner's estimate for several words, which assumes they occur independently, can be far
# too low.
RARE_HITS = 2_000.0
RARE_SHARE = 0.005  # and in at most this share of the rows (in a small table 2,000 are many)
RARE_BUDGET = 2_000
# A probe with at least this many hits measures the share of matching rows better than the
# planner, whose estimate for several words assumes they occur independently.
PROBE_TRUSTED_HITS = 5
TSQUERY = f"websearch_to_tsquery('{CONFIG}'::regconfig, %s)"


def walk_rows(*, estimated_hits: float, table_rows: float, limit: int, per_key: float) -> float:
    """Rows a newest-first walk is expected to read before it has `limit` distinct keys."""
    hits = max(estimated_hits, 1.0)
    rows = max(table_rows, hits)
    return min(rows, limit * per_key * rows / hits)


def skips_probe(
    *, planner: float, table_rows: float, limit: int, per_key: float, probe_rows: int, words: int
) -> bool:
    """Whether the GIN index answers without a probe: when the planner expects at most
    RARE_HITS hits and RARE_SHARE of the table, or, for one word (whose estimate is good), when
    fetching its hits costs less than the probe would: RARE_HITS hits cost what probing
    `probe_rows` rows does, and the probe stops early for a word that fills the page in fewer
    rows. (A medium word of a small table, 315 of 31,500 messages, was probed in 4,000 rows,
    2.9 ms, before the GIN index answered in 0.8.)"""
    if planner <= min(RARE_HITS, RARE_SHARE * table_rows):
        return True
    if words > 1:
        return False
    needed = walk_rows(estimated_hits=planner, table_rows=table_rows, limit=limit, per_key=per_key)
    return planner <= RARE_HITS * min(needed, probe_rows) / probe_rows


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


def _estimate(cursor, target: Target, q: str) -> float:
    """The planner's estimate of the rows matching q (from ANALYZE's lexeme statistics)."""
    cursor.execute(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {target.table} "  # noqa: S608 - constants
        f"WHERE {target.document} @@ {TSQUERY}",
        [q],
    )
    raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return float(plan["Plan Rows"])


def _rows_without(cursor, plan_type: str, sql: str, params: Sequence[object]) -> list[tuple]:
    """The rows of one statement planned without `plan_type` ("indexscan", "bitmapscan"),
    which is switched off for that statement only (SET LOCAL, and back to the default after
    it). The three statements are sent as one: a single round trip, in an implicit
    transaction of their own or in the caller's (a client-side binding cursor, Django's
    default on psycopg 3); one by one in a savepoint otherwise."""
    setting = f"enable_{plan_type}"
    if isinstance(getattr(cursor, "cursor", None), psycopg.ClientCursor):
        cursor.execute(f"SET LOCAL {setting} = off; {sql}; SET LOCAL {setting} = DEFAULT", params)
        cursor.cursor.nextset()  # the SELECT's result, after SET's
        return cursor.fetchall()
    with transaction.atomic():
        cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.execute(f"SET LOCAL {setting} = DEFAULT")
    return rows


def planned_hits(q: str) -> dict[str, float] | None:
    """The planner's estimates of the messages and of the ticket subjects matching q (by table
    name), from one EXPLAIN of both; None when its plan is not the two scans expected (each
    target then asks on its own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {MESSAGES.table} "  # noqa: S608 - constants
            f"WHERE {MESSAGES.document} @@ {TSQUERY} UNION ALL SELECT 1 FROM {SUBJECTS.table} "
            f"WHERE {SUBJECTS.document} @@ {TSQUERY}",
            [q, q],
        )
        raw = cursor.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    found = {
        child.get("Relation Name"): float(child["Plan Rows"]) for child in plan.get("Plans", ())
    }
    if {MESSAGES.table, SUBJECTS.table} - found.keys():
        return None
    return {MESSAGES.table: found[MESSAGES.table], SUBJECTS.table: found[SUBJECTS.table]}


def _below(target: Target, below: int | None) -> tuple[str, list[int]]:
    """The condition "key below `below`" (the next page of a search), or nothing."""
    if below is None:
        return "", []
    return f" AND {target.key} < %s", [below]


def _visible(
    target: Target, hidden: Sequence[int], *, team: str | None = None
) -> tuple[str, list[object]]:
    """The condition "not a ticket of a hidden team" on the rows being read, or nothing. `team`:
    the alias holding the row's team when the row's own columns are not at hand (a subquery's
    output). A ticket without a team is no hidden team's."""
    if not hidden:
        return "", []
    return f" AND NOT COALESCE({team or target.team} = ANY(%s), false)", [list(hidden)]


def _gin(
    cursor,
    target: Target,
    q: str,
    *,
    limit: int,
    budget: int | None,
    below: int | None = None,
    hidden: Sequence[int] = (),
) -> list[int] | None:
    """Every hit through the GIN index (at most `budget`), then the newest `limit` visible keys.
    None when the budget ran out (the newest keys may be among the hits not fetched)."""
    # MATERIALIZED keeps the ORDER BY … LIMIT outside, so the planner cannot turn the query
    # into a backwards walk. The budget counts every hit, the agent's or not. The first row
    # (key -1) is the number of hits.
    cap = "" if budget is None else " LIMIT %s"
    under, under_params = _below(target, below)
    seen, seen_params = _visible(target, hidden, team="team")
    cursor.execute(
        f"WITH hits AS MATERIALIZED (SELECT {target.key} AS key, {target.team} AS team "  # noqa: S608
        f"FROM {target.table} WHERE {target.document} @@ {TSQUERY}{under}{cap}) "
        "SELECT -1, count(*) FROM hits UNION ALL (SELECT key, 0 FROM "
        f"(SELECT DISTINCT key FROM hits WHERE TRUE{seen}) AS distinct_hits "
        "ORDER BY key DESC LIMIT %s)",
        [q, *under_params, *([] if budget is None else [budget]), *seen_params, limit],
    )
    rows = cursor.fetchall()
    hits = next(count for key, count in rows if key == -1)
    if budget is not None and hits >= budget:
        return None
    return sorted((key for key, _count in rows if key != -1), reverse=True)


def _newest(
    cursor,
    target: Target,
    q: str,
    *,
    limit: int,
    rows: int,
    below: int | None = None,
    hidden: Sequence[int] = (),
) -> list[int]:
    """The newest `limit` visible keys among the newest `rows` rows, testing them backwards
    along the key's btree: the executor stops as soon as it has `limit` keys."""
    under, under_params = _below(target, below)
    seen, seen_params = _visible(target, hidden, team="team")
    # The inner LIMIT has no condition, so no plan but the walk serves it.
    cursor.execute(
        f"SELECT DISTINCT key FROM (SELECT {target.key} AS key, {target.document} AS document, "  # noqa: S608
        f"{target.team} AS team FROM {target.table} WHERE TRUE{under} "
        f"ORDER BY {target.key} DESC LIMIT %s) AS newest "
        f"WHERE document @@ {TSQUERY}{seen} ORDER BY key DESC LIMIT %s",
        [*under_params, rows, q, *seen_params, limit],
    )
    return [row[0] for row in cursor.fetchall()]


def _walk(
    cursor,
    target: Target,
    q: str,
    *,
    limit: int,
    budget: int | None,
    below: int | None = None,
    hidden: Sequence[int] = (),
) -> list[int] | None:
    """The newest `limit` visible keys, testing the rows backwards along the key's btree (the
    newest `budget` rows at most). None when the budget ran out first."""
    if budget is None:
        under, under_params = _below(target, below)
        seen, seen_params = _visible(target, hidden)
        # Bitmap scans off for this statement only, so the planner walks the key's btree
        # backwards and stops at the limit instead of fetching every hit.
        rows = _rows_without(
            cursor,
            "bitmapscan",
            f"SELECT DISTINCT {target.key} FROM {target.table} "  # noqa: S608
            f"WHERE {target.document} @@ {TSQUERY}{under}{seen} "
            f"ORDER BY {target.key} DESC LIMIT %s",
            [q, *under_params, *seen_params, limit],
        )
        return [row[0] for row in rows]
    found = _newest(cursor, target, q, limit=limit, rows=budget, below=below, hidden=hidden)
    return found if len(found) >= limit else None


def _slice(
    cursor,
    target: Target,
    q: str,
    *,
    limit: int,
    rows: float,
    below: int | None = None,
    hidden: Sequence[int] = (),
) -> list[int]:
    """The newest `limit` visible keys: the hits whose key lies in the newest range of about
    SLICE_MARGIN × `rows` rows (below `below`); when that range held fewer, a walk below it,
    as long as the density of the hits in the range says the rest needs (with the margin);
    when that too falls short, every hit below the range through the GIN index."""
    low, high = _key_range(cursor, target)
    if below is not None:
        high = min(high, below - 1)
    seen, seen_params = _visible(target, hidden)
    under, under_params = _below(target, below)
    table_rows = max(_rows_in(cursor, target.table), 1.0)
    rows_per_key = table_rows / max(high - low, 1)
    span = int(SLICE_MARGIN * rows / rows_per_key) + 1
    bottom = high - span
    # No plain index scans for this statement: the planner ANDs the GIN bitmap with the key
    # range's bitmap instead of walking the key's btree. The range is open upwards: the key
    # range read is a few minutes old, and the newest keys are above it.
    in_range = _rows_without(
        cursor,
        "indexscan",
        f"SELECT DISTINCT {target.key} FROM {target.table} "  # noqa: S608
        f"WHERE {target.document} @@ {TSQUERY} AND {target.key} >= %s{under}{seen} "
        f"ORDER BY {target.key} DESC LIMIT %s",
        [q, bottom, *under_params, *seen_params, limit],
    )
    found = [row[0] for row in in_range]
    if len(found) >= limit or bottom <= low:
        return found
    rest = limit - len(found)
    if found:
        walk = int(SLICE_MARGIN * rest * span * rows_per_key / len(found)) + 1
        more = _newest(cursor, target, q, limit=rest, rows=walk, below=bottom, hidden=hidden)
        if len(more) >= rest:
            return found + more
    more = _gin(cursor, target, q, limit=rest, budget=None, below=bottom, hidden=hidden) or []
    return found + more


@dataclass(frozen=True)
class Probe:
    rows: int  # newest rows tested
    hits: float  # about how many visible matching rows were among them


def _rows_newest(cursor, target: Target, rows: int, below: int | None) -> int:
    """How many rows the newest `rows` (below `below`) are: fewer in a small table."""
    under, under_params = _below(target, below)
    cursor.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {target.table} WHERE TRUE{under} "  # noqa: S608
        f"ORDER BY {target.key} DESC LIMIT %s) AS newest",
        [*under_params, rows],
    )
    return int(cursor.fetchone()[0])


def expected_hits(*, planner: float, probe: Probe, table_rows: float, words: int) -> float:
    """Hits in the whole table: from the probe's share when it saw enough hits (of the agent's
    visible tickets, as the probe counts them); else, for one word, the planner's estimate (its
    statistics per word are good, and the newest rows need not be typical: a burst of mails
    about one outage); for several words, whose estimate assumes they occur independently, the
    planner's estimate capped by what the probe makes plausible."""
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
    target: Target,
    q: str,
    *,
    limit: int,
    plan: Plan | None = None,
    below: int | None = None,
    hidden: Sequence[int] = (),
    planned: float | None = None,
) -> list[int]:
    with connection.cursor() as cursor:
        # Below a page's last ticket only that part of the table counts.
        share = _share_below(cursor, target, below)
        rows = max(_rows_in(cursor, target.table) * share, 1.0)
        planner = (_estimate(cursor, target, q) if planned is None else planned) * share
        words = len(query_words(q))
        if plan is None and skips_probe(
            planner=planner, table_rows=rows, limit=limit, per_key=target.per_key,
            probe_rows=target.probe_rows, words=words,
        ):  # fmt: skip
            plan = "gin"  # the planner's statistics say rare enough: no probe
        if plan is None:
            # A probe: the newest rows, tested until `limit` visible keys are found (for a
            # common word that is the answer, after a few hundred rows).
            keys = _newest(
                cursor, target, q, limit=limit, rows=target.probe_rows, below=below, hidden=hidden
            )
            if len(keys) >= limit:
                return keys
            probed = target.probe_rows
            if rows < 2 * probed:  # a small table: the probe may have read all of it
                probed = _rows_newest(cursor, target, probed, below)
                if probed < target.probe_rows:
                    return keys
            probe = Probe(rows=probed, hits=len(keys) * target.per_key)
            hits = expected_hits(planner=planner, probe=probe, table_rows=rows, words=words)
            plan = _plan(target, hits=hits, rows=rows, limit=limit)
        else:
            hits = planner
        expected = walk_rows(
            estimated_hits=hits, table_rows=rows, limit=limit, per_key=target.per_key
        )
        if plan == "slice":
            return _slice(cursor, target, q, limit=limit, rows=expected, below=below, hidden=hidden)
        if plan == "walk":
            budget = int(max(expected * BUDGET_FACTOR, WALK_MIN_BUDGET))
            found = _walk(cursor, target, q, limit=limit, budget=budget, below=below, hidden=hidden)
            if found is None:  # rarer than expected
                found = (
                    _gin(cursor, target, q, limit=limit, budget=None, below=below, hidden=hidden)
                    or []
                )
            return found
        least = GIN_MIN_BUDGET if hits > RARE_HITS else min(GIN_MIN_BUDGET, RARE_BUDGET)
        budget = int(max(hits * BUDGET_FACTOR, least))
        while (
            found := _gin(cursor, target, q, limit=limit, budget=budget, below=below, hidden=hidden)
        ) is None:
            # At least `budget` hits: walk once the GIN plan is no longer the cheapest.
            if _plan(target, hits=budget, rows=rows, limit=limit) != "gin":
                return (
                    _walk(cursor, target, q, limit=limit, budget=None, below=below, hidden=hidden)
                    or []
                )
            budget *= 4
        return found


def _plan(target: Target, *, hits: float, rows: float, limit: int) -> Plan:
    return choose_plan(
        estimated_hits=hits, table_rows=rows, limit=limit, per_key=target.per_key,
        walk_us_per_row=target.walk_us_per_row, gin_us_per_hit=target.gin_us_per_hit,
    )  # fmt: skip


def message_ticket_ids(
    q: str,
    *,
    limit: int,
    plan: Plan | None = None,
    below: int | None = None,
    hidden: Sequence[int] = (),
    planned: float | None = None,
) -> list[int]:
    """The newest `limit` tickets with a message matching q, none of a `hidden` team.
    `planned`: the planner's estimate of the matching messages, when the caller has it."""
    return _ids(MESSAGES, q, limit=limit, plan=plan, below=below, hidden=hidden, planned=planned)


def subject_ticket_ids(
    q: str,
    *,
    limit: int,
    plan: Plan | None = None,
    below: int | None = None,
    hidden: Sequence[int] = (),
    planned: float | None = None,
) -> list[int]:
    """The newest `limit` tickets whose subject matches q, none of a `hidden` team.
    `planned`: the planner's estimate of the matching subjects, when the caller has it."""
    return _ids(SUBJECTS, q, limit=limit, plan=plan, below=below, hidden=hidden, planned=planned)


def ticket_condition(q: str) -> Q:
    """Tickets with a message or subject matching q, as a condition on tickets_ticket: every
    match, whatever else the query filters on or sorts by."""
    return Q(
        pk__in=RawSQL(  # noqa: S611 - constants; the query is a parameter
            f"SELECT ticket_id FROM tickets_message WHERE search_vector @@ {TSQUERY} "  # noqa: S608
            f"UNION SELECT id FROM tickets_ticket WHERE search_vector @@ {TSQUERY}",
            [q, q],
        )
    )


HEADLINE_OPTIONS = (
    'StartSel="\x02", StopSel="\x03", MaxWords=30, MinWords=12, MaxFragments=2, '
    'FragmentDelimiter=" … "'
)


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
            f"'{CONFIG}'::regconfig, translate(body_text, chr(2) || chr(3), ''), {TSQUERY}, %s) "
            "FROM (SELECT DISTINCT ON (ticket_id) ticket_id, body_text FROM candidates "
            f"WHERE search_vector @@ {TSQUERY} ORDER BY ticket_id, id DESC) AS newest",
            [ticket_ids, q, HEADLINE_OPTIONS, q],
        )
        return dict(cursor.fetchall())


def snippet_of_ticket(q: str) -> RawSQL:
    """The snippet `message_snippets` makes, as a column of a query on tickets_ticket, so that
    the rows of a search page come with their snippets in the same statement: one headline
    per ticket read, of its newest matching message. The ticket's messages are read through
    its ticket number (`IS TRUE` keeps the GIN index out of it: ANDing its bitmap with one
    ticket's messages would read every hit of a common word)."""
    return RawSQL(  # noqa: S611 - constants; the query is a parameter
        f"SELECT ts_headline('{CONFIG}'::regconfig, "  # noqa: S608 - constants
        f"translate(snippet.body_text, chr(2) || chr(3), ''), {TSQUERY}, %s) "
        "FROM tickets_message AS snippet WHERE snippet.ticket_id = tickets_ticket.id "
        f"AND (snippet.search_vector @@ {TSQUERY}) IS TRUE ORDER BY snippet.id DESC LIMIT 1",
        [q, HEADLINE_OPTIONS, q],
    )
