"""The load: asyncio HTTP clients in the harness process, separate from the server. Every loop
is bounded in count and in time, every request in time.

The GET loops use aiohttp. The inbound POSTs, hundreds a second, use a minimal HTTP/1.1 client
of their own (`Connection`): keep-alive connections, each request encoded to bytes before the
timed loop, and of the answer only the status line, the headers and a Content-Length body are
read. On 2 cores the load generator's CPU is taken from the server it measures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

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
    through `paths`; at most `requests` requests and `seconds` seconds. Every path is asked
    once before the measured requests (at least `warmup` in all): the first request of a view
    in a fresh process compiles its templates and plans, and the quick run's 100 requests over
    7 paths put those first ones in the p95."""
    sample = Sample()
    async with session(cookies) as http:
        for i in range(max(warmup, len(paths))):
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


REQUEST_SECONDS = 30.0  # per request, as aiohttp's total timeout in `session`
MAX_ANSWER_BODY = 1 << 20
USER_AGENT = "balie-bench"


def encode_post(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    """A whole HTTP/1.1 POST as bytes: request line, Host, `headers`, Accept, User-Agent,
    Content-Length, body. (aiohttp also sends Accept-Encoding; this client does not
    decompress, so it does not ask for it.)"""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"POST {target} HTTP/1.1",
        f"Host: {parts.netloc}",
        *(f"{name}: {value}" for name, value in headers.items()),
        "Accept: */*",
        f"User-Agent: {USER_AGENT}",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """(status, body length, whether the server closes the connection) from an answer's status
    line and headers; ValueError for anything this client does not read."""
    status_line, *lines = head.rstrip(b"\r\n").split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    if not version.startswith(b"HTTP/1.") or not rest[:3].isdigit():
        raise ValueError(f"bad status line {status_line[:60]!r}")
    status = int(rest[:3])
    length: int | None = 0 if status in (204, 304) else None
    close = version == b"HTTP/1.0"
    for line in lines:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)  # ValueError when it is no number
        elif name == b"connection":
            close = value == b"close" or (close and value != b"keep-alive")
        elif name == b"transfer-encoding":
            raise ValueError(f"{status} answer with Transfer-Encoding {value[:20]!r}")
    if length is None or not 0 <= length <= MAX_ANSWER_BODY:
        raise ValueError(f"{status} answer with Content-Length {length}")
    return status, length, close


class Connection:
    """One keep-alive HTTP/1.1 connection, (re)opened when needed: at first use, after the
    server closed it and after an error."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def open(self) -> None:
        if self.streams is not None and (self.streams[0].at_eof() or self.streams[1].is_closing()):
            self.close()
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one encoded request on the open connection; (status, body) of the answer."""
        assert self.streams is not None
        reader, writer = self.streams
        writer.write(request)
        await writer.drain()
        status, length, close = parse_head(await reader.readuntil(b"\r\n\r\n"))
        body = await reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def _endpoint(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"only http:// URLs: {url}")
    return parts.hostname, parts.port or 80


async def _post(
    conn: Connection, request: bytes, sample: Sample, *, expect: int | None = None
) -> None:
    """One request on `conn`, recorded in `sample`: the status and the latency from just before
    the write to the whole answer, or status 0 and the error (the connection is then closed)."""
    try:
        async with asyncio.timeout(REQUEST_SECONDS):
            await conn.open()
            begin = time.perf_counter()
            status, body = await conn.exchange(request)
    except (OSError, EOFError, ValueError, asyncio.LimitOverrunError, TimeoutError) as exc:
        conn.close()
        sample.statuses[0] = sample.statuses.get(0, 0) + 1
        if len(sample.errors) < 5:
            sample.errors.append(repr(exc)[:120])
        return
    sample.record(status, (time.perf_counter() - begin) * 1000)
    if expect is not None and status != expect and len(sample.errors) < 5:
        text = " ".join(body.decode("utf-8", "replace").split())
        sample.errors.append(f"{status}: {text[:80]}")


async def post_many(
    url: str,
    bodies: Sequence[bytes],
    *,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    on_start: Callable[[], Any] | None = None,
    expect: int = 202,
) -> Sample:
    """POST bodies with `concurrency` clients, each on a keep-alive connection of its own, until
    the bodies run out or `seconds` pass. An answer other than `expect` is kept as an error."""
    sample = Sample()
    host, port = _endpoint(url)
    queue = iter([encode_post(url, body, headers) for body in bodies])
    connections = [Connection(host, port) for _ in range(concurrency)]
    sample.started = time.monotonic()
    deadline = sample.started + seconds

    async def client(conn: Connection) -> None:
        for request in queue:
            if time.monotonic() > deadline:
                return
            await _post(conn, request, sample, expect=expect)

    if on_start:
        on_start()
    try:
        await asyncio.gather(*(client(conn) for conn in connections))
    finally:
        for conn in connections:
            conn.close()
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
    `max_in_flight` requests open at once, on as many keep-alive connections as were needed."""
    sample = Sample()
    count = min(len(bodies), int(rate * seconds))
    host, port = _endpoint(url)
    requests = [encode_post(url, body, headers) for body in bodies[:count]]
    gate = asyncio.Semaphore(max_in_flight)
    idle: list[Connection] = []
    sample.started = time.monotonic()

    async def send(i: int) -> None:
        await asyncio.sleep(max(0.0, sample.started + i / rate - time.monotonic()))
        async with gate:
            conn = idle.pop() if idle else Connection(host, port)
            try:
                await _post(conn, requests[i], sample)
            finally:
                idle.append(conn)

    try:
        await asyncio.gather(*(send(i) for i in range(count)))
    finally:
        for conn in idle:
            conn.close()
    sample.ended = time.monotonic()
    return sample
