"""The benchmarks. Each returns result rows; one whose endpoint answers 404 returns rows with
no value and "not available yet", so that the suite can be rerun as features land."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from balie.demo.seed_text import COMMON_TERM, RARE_TERM, TextFactory

from .load import percentile, post_many, post_paced, probe, sequential
from .mails import raw_mails, ticket_bodies
from .report import Result, missing
from .stack import Database, database_cpu_seconds, django_json, group_cpu_seconds

INBOX_P95 = "<= 30"
SEARCH_P95 = "<= 30"
INBOUND_RATE = ">= 1000"
API_CREATE_RATE = ">= 300"
API_CREATE_CLIENTS = 4
API_CREATE_WARMUP = 40
ACK_P99 = "<= 50"
SLA_SECONDS = "<= 10"


@dataclass
class Context:
    base: str
    db: Database
    env: dict[str, str]
    info: dict[str, Any]
    scale: str  # "10k", "100k", "1M"
    quick: bool
    worker: bool
    worker_processes: int = 2
    # Process groups whose CPU an item is charged with ("server", "worker").
    cpu_of: dict[str, int] = field(default_factory=dict)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.info['token']}"}

    @property
    def cookies(self) -> dict[str, str]:
        return {"sessionid": self.info["session"]}

    @property
    def requests(self) -> int:
        return 100 if self.quick else 400


def _latency_rows(name: str, sample: Any, target_p95: str, note: str = "") -> list[Result]:
    if sample.errors:
        note = (note + "; " if note else "") + "errors: " + ", ".join(sample.errors[:3])
    n = f"{len(sample.latencies_ms)} requests"
    return [
        Result(f"{name}_p50_ms@{{s}}", sample.p(50), "ms", "", note=n),
        Result(f"{name}_p95_ms@{{s}}", sample.p(95), "ms", target_p95, note=note or n),
    ]


def _scaled(rows: list[Result], scale: str) -> list[Result]:
    for row in rows:
        row.metric = row.metric.replace("{s}", scale)
    return rows


# --- inbox: API list and page ----------------------------------------------------------------


async def inbox_api(ctx: Context, name: str = "inbox_api") -> list[Result]:
    status = await probe(ctx.base, "/api/v1/tickets?limit=1", headers=ctx.bearer)
    if status == 404:
        return _scaled(
            [missing(f"{name}_p95_ms@{{s}}", "ms", INBOX_P95, "GET /api/v1/tickets is 404")],
            ctx.scale,
        )
    teams, assignee = ctx.info["teams"], ctx.info["assignee"]
    paths = [
        "/api/v1/tickets?view=all_open&limit=50",
        f"/api/v1/tickets?view=all_open&team={teams['facturen']}&sort=recent&limit=50",
        f"/api/v1/tickets?status=open&assignee={assignee}&sort=recent&limit=50",
        "/api/v1/tickets?view=unassigned&sort=least_recent&limit=50",
        "/api/v1/tickets?view=waiting&sort=recent&limit=50",
        "/api/v1/tickets?view=all&sort=newest&limit=50",
    ]
    async with (
        aiohttp.ClientSession() as http,
        http.get(ctx.base + paths[0], headers=ctx.bearer) as r,
    ):
        body = await r.json() if r.status == 200 else {}
    if body.get("next_cursor"):
        paths.append(paths[0] + "&cursor=" + quote(body["next_cursor"]))
    sample = await sequential(
        ctx.base, paths, headers=ctx.bearer, requests=ctx.requests, seconds=90
    )
    note = f"{len(paths)} filtered/sorted views incl. page 2, 50 rows, one request at a time"
    return _scaled(_latency_rows(name, sample, INBOX_P95, note), ctx.scale)


async def inbox_page(ctx: Context, name: str = "inbox_page") -> list[Result]:
    status = await probe(ctx.base, "/tickets/", cookies=ctx.cookies)
    if status == 404:
        return _scaled(
            [missing(f"{name}_p95_ms@{{s}}", "ms", INBOX_P95, "/tickets/ is 404")], ctx.scale
        )
    if status != 200:
        return _scaled(
            [missing(f"{name}_p95_ms@{{s}}", "ms", INBOX_P95, f"/tickets/ answers {status}")],
            ctx.scale,
        )
    teams = ctx.info["teams"]
    paths = [
        "/tickets/?view=all_open",
        "/tickets/?view=team&sort=recent",
        f"/tickets/?view=all_open&team={teams['facturen']}",
        "/tickets/?view=unassigned&sort=least_recent",
        "/tickets/?view=waiting",
        f"/tickets/?view=all_open&assignee={ctx.info['assignee']}&status=open",
    ]
    sample = await sequential(
        ctx.base, paths, cookies=ctx.cookies, requests=ctx.requests, seconds=90
    )
    note = f"{len(paths)} views, logged-in agent, whole HTML page"
    return _scaled(_latency_rows(name, sample, INBOX_P95, note), ctx.scale)


# --- search ---------------------------------------------------------------------------------


def search_terms() -> list[tuple[str, str]]:
    """(query, kind): a rare word (the least likely of the generator's Zipf-distributed place
    names, about 11 in a million messages), RARE_TERM (which the generator's texts make a
    medium word: about 1 % of the messages), a common word (about 23 %), and two common words
    that often occur together (the planner assumes they do not)."""
    rare = TextFactory(random.Random(0)).places[-1]
    return [
        (rare, "rare"),
        (RARE_TERM, "medium"),
        (COMMON_TERM, "common"),
        (f"{COMMON_TERM} doorgeven", "two_words"),
    ]


async def search(ctx: Context) -> list[Result]:
    rows: list[Result] = []
    messages = f"{ctx.info['messages']:,} messages".replace(",", ".")
    for word, kind in search_terms():
        api = f"/api/v1/tickets?view=all&q={quote(word)}&limit=50"
        status = await probe(ctx.base, api, headers=ctx.bearer)
        if status == 404:
            rows.append(missing(f"search_api_{kind}_p95_ms@{{s}}", "ms", SEARCH_P95, "404"))
        else:
            sample = await sequential(
                ctx.base, [api], headers=ctx.bearer, requests=ctx.requests // 3, seconds=60
            )
            note = f"'{word}' over {messages}, API ?q=, 50 rows"
            rows += _latency_rows(f"search_api_{kind}", sample, SEARCH_P95, note)
        page = f"/zoeken/?q={quote(word)}"
        status = await probe(ctx.base, page, cookies=ctx.cookies)
        if status == 404:
            rows.append(missing(f"search_page_{kind}_p95_ms@{{s}}", "ms", SEARCH_P95, "404"))
        else:
            sample = await sequential(
                ctx.base, [page], cookies=ctx.cookies, requests=ctx.requests // 3, seconds=60
            )
            note = f"'{word}' over {messages}, search page /zoeken/"
            rows += _latency_rows(f"search_page_{kind}", sample, SEARCH_P95, note)
    return _scaled(rows, ctx.scale)


# --- inbound e-mail through the whole pipeline -------------------------------------------------


def _done(db: Database, after_id: int) -> dict[str, int]:
    """Envelopes of this run (ids above `after_id`) by status."""
    sql = (
        "SELECT status, COUNT(*) FROM messaging_envelope "  # noqa: S608
        f"WHERE id > {int(after_id)} GROUP BY status"
    )
    return dict(db.query(sql))


WAITING_WORK = (
    "SELECT (SELECT COUNT(*) FROM messaging_envelope WHERE status = 'received')"
    " + (SELECT COUNT(*) FROM messaging_outboxitem WHERE status = 'pending' AND attempts = 0)"
)


async def settled(db: Database, seconds: float) -> None:
    """Wait (bounded) until no envelope of an earlier run is still waiting to be filed and no
    acknowledgement to be sent, so that each measurement starts with an idle worker."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        (waiting,) = db.query(WAITING_WORK)[0]
        if not waiting:
            return
        await asyncio.sleep(0.5)


async def inbound(ctx: Context) -> list[Result]:
    url = ctx.base + "/api/v1/inbound/email"
    status = await probe(ctx.base, "/api/v1/inbound/email", method="POST", data=b"")
    if status == 404:
        return [
            missing("inbound_messages_per_s", "msg/s", INBOUND_RATE, "endpoint is 404"),
            missing("inbound_ack_p99_ms", "ms", ACK_P99, "endpoint is 404"),
        ]
    # 8 senders: more make today's server run out of PostgreSQL connections (see
    # docs/performance.md), which would also starve everyone else on a shared server.
    count, seconds, concurrency = (2000, 8, 8) if ctx.quick else (15000, 30, 8)
    mails = raw_mails(count, run=uuid.uuid4().hex[:10], reply_to=ctx.info["reply_to"])
    await settled(ctx.db, 60)
    (max_ticket,) = ctx.db.query("SELECT COALESCE(MAX(id), 0) FROM tickets_ticket")[0]
    (max_envelope,) = ctx.db.query("SELECT COALESCE(MAX(id), 0) FROM messaging_envelope")[0]
    headers = {**ctx.bearer, "Content-Type": "message/rfc822"}
    sample = await post_many(url, mails, headers=headers, concurrency=concurrency, seconds=seconds)
    accepted = sample.statuses.get(202, 0)
    at_end = _done(ctx.db, max_envelope)
    # Wait (bounded) until every accepted mail is processed: filed, skipped or failed.
    deadline = time.monotonic() + (30 if ctx.quick else 240)
    finished_at = sample.ended
    while True:
        now = _done(ctx.db, max_envelope)
        done = sum(now.get(s, 0) for s in ("processed", "skipped", "failed"))
        if done >= accepted or time.monotonic() > deadline:
            break
        finished_at = time.monotonic()
        await asyncio.sleep(0.25)
    failed = now.get("failed", 0)
    (new_tickets,) = ctx.db.query(
        f"SELECT COUNT(*) FROM tickets_ticket WHERE id > {int(max_ticket)}"  # noqa: S608
    )[0]
    elapsed = max(finished_at - sample.started, 1e-6)
    backlog = done - sum(at_end.get(s, 0) for s in ("processed", "skipped", "failed"))
    worker_rate, worker_note = _worker_rate(ctx.db, after_id=int(max_envelope))
    mode = f"Celery worker ({ctx.worker_processes} processes)" if ctx.worker else "eager tasks"
    note = (
        f"{done} of {accepted} accepted mails stored in {elapsed:.1f} s, {new_tickets} new "
        f"tickets, {failed} failed; {mode}; {concurrency} concurrent senders"
    )
    if sample.errors:
        note += "; errors: " + ", ".join(sample.errors[:2])
    ack_rate = len(sample.latencies_ms) / max(sample.ended - sample.started, 1e-6)
    # The acknowledgement at a steady rate the server keeps up with (half of what it just
    # took), as a mail server delivers outside a burst: the saturated figures above are
    # mostly the time a request waits behind the others.
    paced_rate = max(10.0, round(ack_rate / 2 / 10) * 10)
    paced_seconds = 5 if ctx.quick else 10
    paced = await post_paced(
        url,
        raw_mails(
            int(paced_rate * paced_seconds),
            run=uuid.uuid4().hex[:10],
            reply_to=ctx.info["reply_to"],
            seed=11,
        ),
        headers=headers,
        rate=paced_rate,
        seconds=paced_seconds,
    )
    await settled(ctx.db, 60)  # what comes next measures an idle machine
    paced_note = f"{len(paced.latencies_ms)} mails at {paced_rate:.0f}/s offered"
    if paced.errors:
        paced_note += "; errors: " + ", ".join(paced.errors[:2])
    return [
        Result("inbound_messages_per_s", done / elapsed, "msg/s", INBOUND_RATE, note=note),
        Result(
            "inbound_worker_per_s",
            worker_rate,
            "msg/s",
            "",
            note=f"{worker_note}; {backlog} still queued when the last post was answered",
        ),
        Result("inbound_ack_per_s", ack_rate, "req/s", "", note="acknowledged requests/s"),
        Result("inbound_ack_p50_ms", sample.p(50), "ms", ""),
        Result("inbound_ack_p95_ms", sample.p(95), "ms", ""),
        Result("inbound_ack_p99_ms", percentile(sample.latencies_ms, 99), "ms", ACK_P99),
        Result("inbound_ack_paced_p50_ms", paced.p(50), "ms", "", note=paced_note),
        Result("inbound_ack_paced_p99_ms", paced.p(99), "ms", "", note=paced_note),
    ]


def _worker_rate(db: Database, *, after_id: int) -> tuple[float | None, str]:
    """Envelopes of this run processed per second between the first and the last one processed
    (the worker's pace; it equals the arrival rate when the worker keeps up)."""
    sql = (
        "SELECT COUNT(*), MIN(processed_at), MAX(processed_at) FROM messaging_envelope "  # noqa: S608
        f"WHERE id > {int(after_id)} AND processed_at IS NOT NULL"
    )
    rows = db.query(sql)
    count, first, last = rows[0]
    if not count or first is None or last is None:
        return None, "nothing processed"
    if isinstance(first, str):
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    span = max((last - first).total_seconds(), 1e-3)
    return count / span, f"{count} envelopes processed in {span:.1f} s"


# --- tickets created over the REST API ---------------------------------------------------------


async def api_create(ctx: Context) -> list[Result]:
    """`POST /api/v1/tickets` from 4 concurrent clients (an integration filing contacts), each
    answered with the new ticket once it is filed: acknowledgement queued, SLA clocks, rules and
    audit entry, as for mail. Also the CPU each part of the machine spent per ticket created:
    the server, the worker (the acknowledgements), the database's backends and the load
    generator itself, all on the same 2 cores."""
    url = ctx.base + "/api/v1/tickets"
    count, seconds = (1500, 8) if ctx.quick else (6000, 20)
    bodies = ticket_bodies(
        count + API_CREATE_WARMUP, run=uuid.uuid4().hex[:8], reply_to=ctx.info["reply_to"]
    )
    headers = {**ctx.bearer, "Content-Type": "application/json"}
    # Warm-up, not measured: the first tickets of a fresh process compile the view's schemas,
    # templates and plans (~12 ms of CPU each against ~6 later), a fixed cost of the process
    # that a quick run's few hundred tickets would otherwise spread over every ticket.
    warm, bodies = bodies[:API_CREATE_WARMUP], bodies[API_CREATE_WARMUP:]
    await post_many(
        url, warm, headers=headers, concurrency=API_CREATE_CLIENTS, seconds=30, expect=201
    )
    await settled(ctx.db, 60)
    (max_ticket,) = ctx.db.query("SELECT COALESCE(MAX(id), 0) FROM tickets_ticket")[0]
    cpu_before = {name: group_cpu_seconds(pgid) for name, pgid in ctx.cpu_of.items()}
    db_before = database_cpu_seconds(ctx.db)
    client_before = time.process_time()
    sample = await post_many(
        url, bodies, headers=headers, concurrency=API_CREATE_CLIENTS, seconds=seconds, expect=201
    )
    cpu = {"client": time.process_time() - client_before}
    cpu |= {name: group_cpu_seconds(p) - cpu_before[name] for name, p in ctx.cpu_of.items()}
    (made,) = ctx.db.query(
        f"SELECT COUNT(*) FROM tickets_ticket WHERE id > {int(max_ticket)}"  # noqa: S608
    )[0]
    elapsed = max(sample.ended - sample.started, 1e-6)
    created = sample.statuses.get(201, 0)
    note = (
        f"{created} tickets created in {elapsed:.1f} s ({made} new in the database), "
        f"{API_CREATE_CLIENTS} concurrent clients, half of them for known customers"
    )
    if sample.errors:
        note += "; errors: " + ", ".join(sample.errors[:2])
    await settled(ctx.db, 60)  # the acknowledgements, before the next item measures
    # The worker sends the acknowledgements of this item's tickets after it: charged to it.
    if "worker" in ctx.cpu_of:
        cpu["worker"] = group_cpu_seconds(ctx.cpu_of["worker"]) - cpu_before["worker"]
    db_after = database_cpu_seconds(ctx.db)
    if db_after is not None and db_before is not None:
        cpu["database"] = db_after - db_before
    per_ticket = [
        Result(
            f"api_create_{name}_cpu_ms_per_ticket",
            used * 1000 / max(1, created),
            "ms",
            "",
            note=f"{used:.2f} s of CPU over the item",
        )  # fmt: skip
        for name, used in cpu.items()
    ]
    return [
        Result(
            "api_create_tickets_per_s", created / elapsed, "tickets/s", API_CREATE_RATE, note=note
        ),
        Result("api_create_p50_ms", sample.p(50), "ms", ""),
        Result("api_create_p99_ms", percentile(sample.latencies_ms, 99), "ms", ""),
        *per_ticket,
    ]


# --- SLA and chat -----------------------------------------------------------------------------


def sla(ctx: Context) -> list[Result]:
    found = django_json(ctx.env, "sla", timeout=900)
    if not found.get("available"):
        reason = found.get("reason", "no recompute function in balie.sla")
        return [missing("sla_recompute_100k_open_s", "s", SLA_SECONDS, reason)]
    open_tickets = max(int(found["open_tickets"]), 1)
    scaled = found["seconds"] * 100_000 / open_tickets
    note = (
        f"recompute_due_times() after a closing day on {found['closing_day']} was entered: "
        f"{found['seconds']:.2f} s for {open_tickets} open tickets ({found['clocks']} running "
        f"clocks, {found['moved']} due on or after that day), scaled to 100.000; "
        f"{found['undo_seconds']:.2f} s once it was taken away again"
    )
    return [Result("sla_recompute_100k_open_s", scaled, "s", SLA_SECONDS, note=note)]


def describe(info: dict[str, Any]) -> str:
    keep = {k: info[k] for k in ("tickets", "open", "messages") if k in info}
    return json.dumps(keep)
