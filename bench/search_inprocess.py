"""The bench's search requests measured inside one Django process, for figures that a busy
machine disturbs less than wall-clock latency over HTTP: CPU time of the process, statements
and their count, and the server's own time for them (EXPLAIN ANALYZE, planning + execution).

Run against a database a benchmark made (it needs the bench's agent), e.g.

    DATABASE_URL=postgres://…/balie_x_bench SECRET_KEY=x python -m bench.search_inprocess [-n 15]

Per query (rare, medium, common, two words) and per surface (API `?q=`, search page): median
wall and CPU milliseconds of `-n` requests after three warm-up requests, the statements of one
request, and on PostgreSQL the best of five EXPLAIN ANALYZE sums of its SELECTs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from typing import Any
from urllib.parse import quote


def _server_ms(captured: list[dict[str, Any]]) -> float:
    """Planning + execution time of the request's SELECTs as EXPLAIN ANALYZE gives them (a
    statement sent with its SET LOCAL is explained with that setting)."""
    from django.db import connection

    total = 0.0
    pending = None  # a SET LOCAL sent on its own applies to the statements after it
    with connection.cursor() as cursor:
        for query in captured:
            sql = query["sql"]
            setting = pending
            if sql.startswith("SET LOCAL"):
                if "; " not in sql:
                    pending = None if sql.endswith("DEFAULT") else sql
                    continue
                setting, sql, _reset = sql.split("; ", 2)
            if not re.match(r"\s*\(?\s*(SELECT|WITH)", sql):
                continue
            cursor.execute("BEGIN")
            if setting:
                cursor.execute(setting)
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            raw = cursor.fetchone()[0]
            cursor.execute("ROLLBACK")
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            total += plan["Planning Time"] + plan["Execution Time"]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=15, help="requests per query and surface")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from balie.accounts.actions import create_api_token
    from balie.accounts.models import Agent, TokenScope
    from balie.core.actors import SYSTEM

    from .django_side import BENCH_USERNAME
    from .suite import search_terms

    user = get_user_model().objects.get(username=BENCH_USERNAME)
    agent = Agent.objects.get(user=user)
    _token, raw = create_api_token(agent, name="in-process", scope=TokenScope.ADMIN, by=SYSTEM)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for word, kind in search_terms():
        surfaces = (
            ("api", f"/api/v1/tickets?view=all&q={quote(word)}&limit=50",
             {"HTTP_AUTHORIZATION": f"Bearer {raw}"}),
            ("page", f"/zoeken/?q={quote(word)}", {}),
        )  # fmt: skip
        for surface, url, headers in surfaces:
            for _ in range(3):
                assert client.get(url, **headers).status_code == 200
            walls, cpus = [], []
            for _ in range(args.n):
                wall, cpu = time.perf_counter(), time.process_time()
                client.get(url, **headers)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            with CaptureQueriesContext(connection) as captured:
                client.get(url, **headers)
            server = ""
            if connection.vendor == "postgresql":
                best = min(_server_ms(captured.captured_queries) for _ in range(5))
                server = f", server {best:5.1f} ms"
            print(
                f"{kind:9} {surface:4}: wall {statistics.median(walls):5.1f} ms, "
                f"CPU {statistics.median(cpus):5.1f} ms, "
                f"{len(captured.captured_queries)} statements{server}"
            )


if __name__ == "__main__":
    main()
