"""The load: an asyncio HTTP client (aiohttp) in the harness process, separate from the server.
Every loop is bounded in count and in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def record(self, status: int, ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies_ms.append(ms)

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    def p(self, pct: float) -> float | None:
        return percentile(self.latencies_ms, pct)


def session(cookies: dict[str, str] | None = None) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30),
        connector=aiohttp.TCPConnector(limit=64),
        cookies=cookies,
    )


async def probe(
    base: str, path: str, *, method: str = "GET", headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None, data: bytes | None = None,
) -> int:  # fmt: skip
    """The status an endpoint answers with (404: not there yet)."""
    async with (
        session(cookies) as http,
        http.request(method, base + path, headers=headers, data=data, allow_redirects=False) as r,
    ):
        await r.read()
        return r.status


async def sequential(
    base: str,
    paths: Sequence[str],
    *,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    requests: int,
    seconds: float,
    warmup: int = 5,
) -> Sample:
    """One request at a time (so latency is the server's time plus the loopback), cycling
    through `paths`; at most `requests` requests and `seconds` seconds."""
    sample = Sample()
    async with session(cookies) as http:
        for i in range(warmup):
            async with http.get(base + paths[i % len(paths)], headers=headers) as r:
                await r.read()
        sample.started = time.monotonic()
        deadline = sample.started + seconds
        for i in range(requests):
            if time.monotonic() > deadline:
                break
            begin = time.perf_counter()
            async with http.get(
                base + paths[i % len(paths)], headers=headers, allow_redirects=False
            ) as r:
                await r.read()
                sample.record(r.status, (time.perf_counter() - begin) * 1000)
                if r.status >= 300 and len(sample.errors) < 5:
                    sample.errors.append(f"{r.status} {paths[i % len(paths)]}")
        sample.ended = time.monotonic()
    return sample


async def post_many(
    url: str,
    bodies: Sequence[bytes],
    *,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    on_start: Callable[[], Any] | None = None,
) -> Sample:
    """POST bodies with `concurrency` clients until they run out or `seconds` pass."""
    sample = Sample()
    queue = iter(bodies)
    async with session() as http:
        sample.started = time.monotonic()
        deadline = sample.started + seconds

        async def client() -> None:
            for body in queue:
                if time.monotonic() > deadline:
                    return
                begin = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers=headers) as r:
                        await r.read()
                        sample.record(r.status, (time.perf_counter() - begin) * 1000)
                        if r.status != 202 and len(sample.errors) < 5:
                            text = " ".join((await r.text()).split())
                            sample.errors.append(f"{r.status}: {text[:80]}")
                except (aiohttp.ClientError, TimeoutError) as exc:
                    sample.statuses[0] = sample.statuses.get(0, 0) + 1
                    if len(sample.errors) < 5:
                        sample.errors.append(repr(exc))

        if on_start:
            on_start()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        sample.ended = time.monotonic()
    return sample


async def post_paced(
    url: str,
    bodies: Sequence[bytes],
    *,
    headers: dict[str, str],
    rate: float,
    seconds: float,
    max_in_flight: int = 64,
) -> Sample:
    """POST bodies at a steady `rate` per second (open loop: a slow answer does not delay the
    next request), for at most `seconds` and `len(bodies)` requests, with at most
    `max_in_flight` requests open at once."""
    sample = Sample()
    count = min(len(bodies), int(rate * seconds))
    gate = asyncio.Semaphore(max_in_flight)
    async with session() as http:
        sample.started = time.monotonic()

        async def send(i: int) -> None:
            await asyncio.sleep(max(0.0, sample.started + i / rate - time.monotonic()))
            async with gate:
                begin = time.perf_counter()
                try:
                    async with http.post(url, data=bodies[i], headers=headers) as r:
                        await r.read()
                        sample.record(r.status, (time.perf_counter() - begin) * 1000)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    sample.statuses[0] = sample.statuses.get(0, 0) + 1
                    if len(sample.errors) < 5:
                        sample.errors.append(repr(exc))

        await asyncio.gather(*(send(i) for i in range(count)))
        sample.ended = time.monotonic()
    return sample
