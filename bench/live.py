"""Live updates over WebSocket: many agents' connections held open on the one uvicorn process,
measured from the load process.

- sessions: N agents (each a user with a session of their own) connect to `/ws/agent/` as the
  inbox page does, and stay connected until the end;
- relay: events published into one agent's group through the channel layer (as a worker or
  another web process publishes them), at a steady rate, until that agent's socket has them;
- fan-out: an internal note added through the API (an audit-trail change, which goes to every
  agent) until each of the N sockets has the event about that ticket.

Every loop is bounded in count and in seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import aiohttp

from .load import percentile
from .report import Result, missing

SESSIONS_TARGET = ">= 1000"
RELAY_P99 = "<= 25"
RELAY_EVENT = "bench.relay"


@dataclass
class Socket:
    agent: int
    ws: aiohttp.ClientWebSocketResponse
    ticket_events: list[float] = field(default_factory=list)


@dataclass
class Live:
    ticket: int | None
    relayed: dict[int, float] = field(default_factory=dict)  # seq -> arrival
    sockets: list[Socket] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    connect_ms: list[float] = field(default_factory=list)

    async def read(self, sock: Socket) -> None:
        async for msg in sock.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            now = time.perf_counter()
            events = json.loads(msg.data)  # one event, or a list of a burst's events
            for event in events if isinstance(events, list) else [events]:
                data = event.get("data") or {}
                if event.get("event") == RELAY_EVENT:
                    self.relayed[int(data["seq"])] = now
                elif self.ticket is not None and data.get("ticket") == self.ticket:
                    sock.ticket_events.append(now)


async def _connect(
    http: aiohttp.ClientSession, live: Live, url: str, origin: str, agent: int, key: str
) -> None:
    begin = time.perf_counter()
    try:
        ws = await http.ws_connect(
            url, headers={"Origin": origin, "Cookie": f"sessionid={key}"}, timeout=30
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        live.refused.append(repr(exc)[:120])
        return
    live.connect_ms.append((time.perf_counter() - begin) * 1000)
    live.sockets.append(Socket(agent, ws))


async def _relay(
    live: Live, redis_url: str, prefix: str, *, rate: float, seconds: float
) -> dict[int, float]:
    """Publish one event per 1/rate seconds, each to the next agent's group, through the
    server's channel layer (its Redis and prefix); returns the moments of publishing by
    sequence number."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=prefix)
    sent: dict[int, float] = {}
    count = int(rate * seconds)
    started = time.perf_counter()

    async def publish(seq: int) -> None:
        await asyncio.sleep(max(0.0, started + seq / rate - time.perf_counter()))
        sock = live.sockets[seq % len(live.sockets)]
        sent[seq] = time.perf_counter()
        message = {"type": "balie.event", "event": RELAY_EVENT, "data": {"seq": seq}}
        await layer.group_send(f"agent.{sock.agent}", message)

    try:
        await asyncio.gather(*(publish(i) for i in range(count)))
        deadline = time.perf_counter() + 5
        while len(live.relayed) < count and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await layer.flush()
    return sent


async def _fan_out(
    http: aiohttp.ClientSession, live: Live, url: str, bearer: dict[str, str], *, notes: int
) -> tuple[list[float], int, list[str]]:
    """Add `notes` internal notes one after another; for each, the time until every socket has
    an event about the ticket (bounded). Returns latencies, missing deliveries, errors."""
    latencies: list[float] = []
    lost = 0
    errors: list[str] = []
    for i in range(notes):
        begin = time.perf_counter()
        async with http.post(
            url, json={"text": f"Benchmark: notitie {i + 1}"}, headers=bearer
        ) as r:
            await r.read()
            if r.status != 201:
                errors.append(f"note answered {r.status}")
                break
        deadline = time.perf_counter() + 20
        while time.perf_counter() < deadline:
            if all(any(t >= begin for t in s.ticket_events) for s in live.sockets):
                break
            await asyncio.sleep(0.01)
        for sock in live.sockets:
            arrivals = [t for t in sock.ticket_events if t >= begin]
            if arrivals:
                latencies.append((arrivals[0] - begin) * 1000)
            else:
                lost += 1
        await asyncio.sleep(0.5)
    return latencies, lost, errors


async def live_updates(
    base: str, env: dict[str, str], agents: list[tuple[int, str]], *, ticket: int | None,
    channel_prefix: str, bearer: dict[str, str], quick: bool,
) -> list[Result]:  # fmt: skip
    url = base.replace("http://", "ws://") + "/ws/agent/"
    live = Live(ticket=ticket)
    gate = asyncio.Semaphore(50)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def connect(agent: int, key: str) -> None:
            async with gate:
                await _connect(http, live, url, base, agent, key)

        started = time.monotonic()
        await asyncio.wait_for(
            asyncio.gather(*(connect(agent, key) for agent, key in agents)), timeout=180
        )
        connect_s = time.monotonic() - started
        if not live.sockets:
            why = "no WebSocket connection accepted: " + ", ".join(live.refused[:3])
            return [
                missing("live_sessions", "count", SESSIONS_TARGET, why),
                missing("live_relay_p99_ms", "ms", RELAY_P99, why),
            ]
        readers = [asyncio.create_task(live.read(s)) for s in live.sockets]
        try:
            rate, seconds = (100.0, 5.0) if quick else (200.0, 10.0)
            sent = await _relay(live, env["REDIS_URL"], channel_prefix, rate=rate, seconds=seconds)
            relay_ms = [(live.relayed[s] - t) * 1000 for s, t in sent.items() if s in live.relayed]
            fan_ms: list[float] = []
            lost_fan, fan_errors = 0, ["no open ticket of Klantenservice"]
            if ticket is not None:
                notes_url = f"{base}/api/v1/tickets/{ticket}/notes"
                fan_ms, lost_fan, fan_errors = await _fan_out(
                    http, live, notes_url, bearer, notes=3 if quick else 10
                )
            still_open = sum(1 for s in live.sockets if not s.ws.closed)
        finally:
            for sock in live.sockets:
                await sock.ws.close()
            for task in readers:
                task.cancel()
    n = len(agents)
    refused = len(live.refused)
    session_note = (
        f"{still_open} of {n} agents' sockets open to the end ({refused} refused), "
        f"connected in {connect_s:.1f} s, 50 at a time"
    )
    relay_note = (
        f"{len(relay_ms)} of {len(sent)} events at {rate:.0f}/s through the channel layer to "
        f"one agent's group each, with {still_open} sockets open"
    )
    fan_note = (
        f"a note added over the API until each of {len(live.sockets)} sockets had the event; "
        f"{len(fan_ms)} deliveries, {lost_fan} missing"
    )
    if fan_errors:
        fan_note += "; " + ", ".join(fan_errors)
    return [
        Result("live_sessions", still_open, "count", SESSIONS_TARGET if n >= 1000 else "",
               note=session_note),
        Result("live_connect_p99_ms", percentile(live.connect_ms, 99), "ms", "",
               note=f"handshake incl. session and team lookup, {len(live.connect_ms)} sockets"),
        Result("live_relay_p50_ms", percentile(relay_ms, 50), "ms", "", note=relay_note),
        Result("live_relay_p99_ms", percentile(relay_ms, 99), "ms", RELAY_P99, note=relay_note),
        Result("live_fanout_p50_ms", percentile(fan_ms, 50), "ms", "", note=fan_note),
        Result("live_fanout_p99_ms", percentile(fan_ms, 99), "ms", "", note=fan_note),
    ]  # fmt: skip
