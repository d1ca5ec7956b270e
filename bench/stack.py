"""The system under test: a database of the benchmark's own, a real uvicorn process on a free
loopback port and, when Redis is configured, a real Celery worker."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PYTHON = sys.executable


@dataclass
class Database:
    """Where the benchmark's data lives: `<name>_bench` on the configured PostgreSQL server,
    else a SQLite file under var/bench/."""

    url: str = ""  # PostgreSQL URL of the bench database; empty for SQLite
    sqlite_path: Path = VAR / "bench.sqlite3"

    @property
    def label(self) -> str:
        if self.url:
            return f"PostgreSQL {urlsplit(self.url).path.lstrip('/')}"
        return f"SQLite {self.sqlite_path.relative_to(ROOT)}"

    def env(self) -> dict[str, str]:
        if self.url:
            return {"DATABASE_URL": self.url}
        return {"BALIE_SQLITE_PATH": str(self.sqlite_path)}

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """A read of the bench database from the harness (envelope counts while mail flows)."""
        if self.url:
            import psycopg

            with psycopg.connect(_libpq_url(self.url), autocommit=True) as conn:
                return list(conn.execute(sql).fetchall())
        with sqlite3.connect(self.sqlite_path, timeout=30) as conn:
            return list(conn.execute(sql).fetchall())

    def autovacuum_off(self) -> bool:
        """Whether the PostgreSQL server runs without autovacuum: dead rows of earlier runs
        then stay, and every run measures a more bloated database than the one before."""
        return bool(self.url) and self.query("SHOW autovacuum")[0][0] == "off"

    def settle(self) -> None:
        """After a bulk load: VACUUM ANALYZE, as autovacuum would do some minutes later. Until
        then the planner lacks statistics for the tables the generator did not analyze, and
        every search scans the GIN indexes' pending lists of the rows just copied in (5 ms per
        query on the customer indexes at 1M), which a settled installation does not."""
        if not self.url:
            with sqlite3.connect(self.sqlite_path, timeout=30) as conn:
                conn.execute("ANALYZE")
            return
        import psycopg

        with psycopg.connect(_libpq_url(self.url), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def group_cpu_seconds(pgid: int) -> float:
    """User and system CPU of every process in a process group (a server and its children),
    from /proc: what the measured work cost, whatever else the machine was doing."""
    total = 0
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def database_cpu_seconds(db: Database) -> float | None:
    """User and system CPU of the PostgreSQL backends connected to the bench database now (the
    server's and worker's pooled connections stay for the whole run), from /proc; None on
    SQLite. A backend that ended meanwhile is not counted."""
    if not db.url:
        return None
    sql = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()"
    )
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for (pid,) in db.query(sql):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # another machine's server, or gone
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _libpq_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql", "pgsql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


def bench_database(*, fresh: bool) -> Database:
    main_url = os.environ.get("DATABASE_URL", "")
    if not main_url:
        VAR.mkdir(parents=True, exist_ok=True)
        db = Database()
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db.sqlite_path}{suffix}").unlink(missing_ok=True)
        return db
    parts = urlsplit(main_url)
    name = parts.path.lstrip("/") or "balie"
    bench_name = f"{name}_bench"
    if bench_name in ("test", name):
        raise SystemExit(f"refusing to use database {bench_name!r} for the benchmark")
    import psycopg
    from psycopg import sql

    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [bench_name]
        ).fetchone()
        if exists and fresh:
            conn.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(bench_name))
            )
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench_name)))
    return Database(url=urlunsplit((parts.scheme, parts.netloc, f"/{bench_name}", parts.query, "")))


BENCH_SECRET_KEY = secrets.token_urlsafe(50)


def child_env(db: Database, *, eager: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BALIE_SQLITE_PATH")}
    env.update(db.env())
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "BALIE_LOG_LEVEL": "WARNING",
            "BALIE_MEDIA_ROOT": str(VAR / "media"),
            # Replies (the acknowledgement of a new ticket) go to a provider that accepts all.
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # A bench on PostgreSQL is deployment-shaped: its processes share one secret key.
    env.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    # The chat rows send a talking visitor's messages faster than the flood limit lets one
    # visitor (ten, then one a second): they measure the socket, not the limit.
    env.setdefault("BALIE_CHAT_MESSAGE_RATE_LIMIT", "100000/10")
    if eager:
        env["BALIE_EAGER_TASKS"] = "1"
    # Every worker process may file mail at the same time, as a deployment with its worker
    # processes on the ingest queue is configured (README: BALIE_INGEST_DRAINS).
    env.setdefault("BALIE_INGEST_DRAINS", os.environ.get("BENCH_WORKER_PROCESSES", "2"))
    return env


def run_django(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    """Run a manage.py command or a bench.django_side call; returns its stdout."""
    result = subprocess.run(
        [PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result.stdout


def django_json(
    env: dict[str, str], command: str, *args: str, timeout: float = 1800
) -> dict[str, Any]:
    out = run_django(env, "-m", "bench.django_side", command, *args, timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Processes:
    base_url: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    worker: bool = False
    # Celery worker processes (BENCH_WORKER_PROCESSES, default 2 as `make run`).
    worker_processes: int = field(
        default_factory=lambda: int(os.environ.get("BENCH_WORKER_PROCESSES", "2"))
    )

    # ASGI server processes (BENCH_SERVER_PROCESSES, default 1 as `make run`); production runs
    # several behind a load balancer, which uvicorn's --workers stands in for on one port.
    server_processes: int = field(
        default_factory=lambda: max(1, int(os.environ.get("BENCH_SERVER_PROCESSES", "1")))
    )

    def start_server(self, env: dict[str, str]) -> None:
        # BENCH_PORT: a port of one's own (several benchmarks on one machine), else any free one.
        port = int(os.environ.get("BENCH_PORT") or 0) or free_port()
        VAR.mkdir(parents=True, exist_ok=True)  # a fresh checkout on PostgreSQL has none yet
        log = open(VAR / "uvicorn.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(self.server_processes),
             "--log-level", "warning",
             "--no-access-log", "--lifespan", "off"],
            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        self.procs.append(proc)
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited ({proc.returncode}); see {log.name}")
            try:
                urllib.request.urlopen(self.base_url + "/api/v1/openapi.json", timeout=2)  # noqa: S310
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("uvicorn did not answer within 60 s")

    def start_worker(self, env: dict[str, str]) -> None:
        log = open(VAR / "celery.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "config", "worker", "-Q", "ingest,default,outbound",
             "-c", str(self.worker_processes), "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-l", "WARNING"],
            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        self.procs.append(proc)
        self.worker = True
        time.sleep(3)
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited ({proc.returncode}); see {log.name}")

    def cpu_of(self) -> dict[str, int]:
        """The process groups of the server and the worker (each started in a session of
        its own), for the items that measure their CPU."""
        groups = {"server": self.procs[0].pid} if self.procs else {}
        if self.worker:
            groups["worker"] = self.procs[1].pid
        return groups

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()
