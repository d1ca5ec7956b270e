"""The visitor socket under load: many visitors' chats held open on the one uvicorn process,
and messages both ways between talking visitors and one agent's workspace, measured from the
load process.

- sessions: N visitor sockets on `/ws/chat/<account>/` (the design's 5,000), opened
  `CONNECT_AT_ONCE` at a time, each past its token check (`welcome`), open until the end;
- visitor -> agent: a visitor's message (stored as its envelope, then shown) until the agent's
  workspace socket has it;
- agent -> visitor: an agent's answer (stored, then shown by the web process after commit)
  until the visitor's socket has it; both at once, together `rate` messages a second, while
  every session is held;
- CPU per message of the server and of the worker (which files the visitors' messages behind),
  from /proc: a figure that other work on the machine does not move.

Every loop is bounded in count and in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field

import aiohttp

from .load import percentile
from .report import Result, missing
from .stack import group_cpu_seconds

SESSIONS_TARGET = ">= 5000"
TO_AGENT_P99 = "<= 50"
TO_VISITOR_P99 = "<= 100"
CONNECT_AT_ONCE = 50  # visitor sockets being opened at one moment (a page load's burst)


@dataclass
class Flow:
    sent: dict[str, float] = field(default_factory=dict)  # text -> moment sent
    arrived: dict[str, float] = field(default_factory=dict)  # text -> moment seen


async def _visitor(http, url: str, origin: str, token: str, refused: list[str]):  # type: ignore[no-untyped-def]
    try:
        ws = await http.ws_connect(url, headers={"Origin": origin}, timeout=30)
        await ws.send_json({"type": "hello", "token": token, "after": 1 << 62})
        msg = await asyncio.wait_for(ws.receive(), timeout=30)
        if msg.type != aiohttp.WSMsgType.TEXT or json.loads(msg.data).get("type") != "welcome":
            refused.append(f"no welcome: {str(msg.data)[:60]}")
            await ws.close()
            return None
        return ws
    except (aiohttp.ClientError, TimeoutError) as exc:
        refused.append(repr(exc)[:120])
        return None


async def _read(ws, flow: Flow, side: str, errors: list[str] | None = None) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(aiohttp.ClientError):  # closed: counted as not open at the end
        await _frames(ws, flow, side, errors)


async def _frames(ws, flow: Flow, side: str, errors: list[str] | None) -> None:  # type: ignore[no-untyped-def]
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.TEXT:
            continue
        now = time.perf_counter()
        frame = json.loads(msg.data)
        if frame.get("type") == "error" and errors is not None:
            errors.append(str(frame.get("message") or frame.get("code") or "")[:80])
        if frame.get("type") != "messages":
            continue
        for m in frame.get("messages") or []:
            if m.get("from") == side and m["text"] in flow.sent:
                flow.arrived.setdefault(m["text"], now)


async def visitor_socket(
    base: str, made: dict, *, rate: float, seconds: float, cpu_of: dict[str, int] | None = None
) -> list[Result]:
    """`cpu_of`: process groups (server, worker) whose CPU time the flow is charged with."""
    origin = base
    cpu_of = cpu_of or {}
    url = base.replace("http://", "ws://") + f"/ws/chat/{made['account']}/"
    tokens = [t for t, _n in made["talkers"]] + made["idle"]
    refused: list[str] = []
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    to_agent, to_visitor = Flow(), Flow()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        readers: list[asyncio.Task[None]] = []
        visitor_errors: list[str] = []
        talking = len(made["talkers"])

        async def connect(i: int, token: str):  # type: ignore[no-untyped-def]
            async with gate:
                ws = await _visitor(http, url, origin, token, refused)
            if ws is not None:
                # Read from the first moment: a socket nobody reads answers no ping, and the
                # server closes it while the others are still connecting.
                flow = to_visitor if i < talking else Flow()
                readers.append(asyncio.create_task(_read(ws, flow, "agent", visitor_errors)))
            return ws

        started = time.monotonic()
        sockets = await asyncio.wait_for(
            asyncio.gather(*(connect(i, t) for i, t in enumerate(tokens))), timeout=600
        )
        connect_s = time.monotonic() - started
        talkers = [(ws, n) for ws, (_t, n) in zip(sockets, made["talkers"], strict=False) if ws]
        if not talkers:
            why = "no visitor socket accepted: " + ", ".join(refused[:3])
            return [missing("chat_concurrent_sessions", "count", SESSIONS_TARGET, why)]
        desk = await http.ws_connect(
            base.replace("http://", "ws://") + "/ws/werkplek/",
            headers={"Origin": origin, "Cookie": f"sessionid={made['agent_session']}"},
        )
        desk_errors: list[str] = []
        readers.append(asyncio.create_task(_read(desk, to_agent, "visitor", desk_errors)))
        await asyncio.sleep(2)  # the workspace has opened every chat
        each = rate / 2
        count = int(each * seconds)
        cpu_before = {name: group_cpu_seconds(pgid) for name, pgid in cpu_of.items()}
        begin = time.perf_counter()

        async def visitor_says(i: int) -> None:
            await asyncio.sleep(max(0.0, begin + i / each - time.perf_counter()))
            ws, _n = talkers[i % len(talkers)]
            text = f"bezoeker {i}"
            to_agent.sent[text] = time.perf_counter()
            await ws.send_json({"type": "message", "cid": f"b{i}", "text": text})

        async def agent_says(i: int) -> None:
            await asyncio.sleep(max(0.0, begin + (i + 0.5) / each - time.perf_counter()))
            _ws, number = talkers[i % len(talkers)]
            text = f"medewerker {i}"
            to_visitor.sent[text] = time.perf_counter()
            await desk.send_json({"type": "reply", "ticket": number, "text": text})

        await asyncio.gather(
            *(visitor_says(i) for i in range(count)), *(agent_says(i) for i in range(count))
        )
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and (
            len(to_agent.arrived) < count or len(to_visitor.arrived) < count
        ):
            await asyncio.sleep(0.05)
        cpu = {n: group_cpu_seconds(p) - cpu_before[n] for n, p in cpu_of.items()}
        flow_seconds = time.perf_counter() - begin
        still_open = sum(1 for ws in sockets if ws is not None and not ws.closed)
        for task in readers:
            task.cancel()
        for ws in [*(s for s in sockets if s is not None), desk]:
            await ws.close()
    n = len(tokens)

    def latencies(flow: Flow) -> list[float]:
        return [(flow.arrived[t] - s) * 1000 for t, s in flow.sent.items() if t in flow.arrived]

    a, v = latencies(to_agent), latencies(to_visitor)
    flow_note = (
        f"{len(talkers)} talking chats, {count} messages each way at {rate:.0f}/s together, "
        f"with {still_open} visitor sockets open"
    )
    if visitor_errors:
        flow_note += f"; {len(visitor_errors)} errors to visitors: {visitor_errors[0]}"
    if desk_errors:
        flow_note += f"; {len(desk_errors)} errors on the workspace socket: {desk_errors[0]}"
    cpu_rows = [
        Result(f"chat_{name}_cpu_ms_per_message", used * 1000 / max(1, 2 * count), "ms", "",
               note=f"{name} CPU {used:.1f} s over {flow_seconds:.1f} s for {2 * count} "
               "messages both ways (user + system, every process of it)")
        for name, used in cpu.items()
    ]  # fmt: skip
    return cpu_rows + [
        Result("chat_concurrent_sessions", still_open, "count", SESSIONS_TARGET if n >= 5000 else "",
               note=f"{still_open} of {n} visitor sockets open to the end ({len(refused)} refused), "
               f"connected in {connect_s:.1f} s, {CONNECT_AT_ONCE} at a time, token checked"),
        Result("chat_visitor_to_agent_p99_ms", percentile(a, 99), "ms", TO_AGENT_P99,
               note=f"stored, then shown in the workspace; {len(a)} of {count} arrived; {flow_note}"),
        Result("chat_agent_to_visitor_p99_ms", percentile(v, 99), "ms", TO_VISITOR_P99,
               note=f"stored, then shown by the web process; {len(v)} of {count} arrived; {flow_note}"),
    ]  # fmt: skip
