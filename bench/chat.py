"""The visitor socket under load: many visitors' chats held open on the one uvicorn process,
and messages both ways between talking visitors and one agent's workspace, measured from the
load process.

- sessions: N visitor sockets on `/ws/chat/<account>/`, each past its token check (`welcome`),
  open until the end;
- visitor -> agent: a visitor's message (stored, then announced) until the agent's workspace
  socket has it;
- agent -> visitor: an agent's answer (stored, sent by the outbox worker through the chat
  connector) until the visitor's socket has it; both at once, together `rate` messages a second.

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

SESSIONS_TARGET = ">= 5000"
TO_AGENT_P99 = "<= 50"
TO_VISITOR_P99 = "<= 100"


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


async def visitor_socket(base: str, made: dict, *, rate: float, seconds: float) -> list[Result]:
    origin = base
    url = base.replace("http://", "ws://") + f"/ws/chat/{made['account']}/"
    tokens = [t for t, _n in made["talkers"]] + made["idle"]
    refused: list[str] = []
    gate = asyncio.Semaphore(50)
    to_agent, to_visitor = Flow(), Flow()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def connect(token: str):  # type: ignore[no-untyped-def]
            async with gate:
                return await _visitor(http, url, origin, token, refused)

        started = time.monotonic()
        sockets = await asyncio.wait_for(asyncio.gather(*(connect(t) for t in tokens)), timeout=600)
        connect_s = time.monotonic() - started
        talkers = [(ws, n) for ws, (_t, n) in zip(sockets, made["talkers"], strict=False) if ws]
        if not talkers:
            why = "no visitor socket accepted: " + ", ".join(refused[:3])
            return [missing("chat_concurrent_sessions", "count", SESSIONS_TARGET, why)]
        desk = await http.ws_connect(
            base.replace("http://", "ws://") + "/ws/werkplek/",
            headers={"Origin": origin, "Cookie": f"sessionid={made['agent_session']}"},
        )
        readers = [asyncio.create_task(_read(ws, to_visitor, "agent")) for ws, _n in talkers]
        desk_errors: list[str] = []
        readers.append(asyncio.create_task(_read(desk, to_agent, "visitor", desk_errors)))
        await asyncio.sleep(2)  # the workspace has opened every chat
        each = rate / 2
        count = int(each * seconds)
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
    if desk_errors:
        flow_note += f"; {len(desk_errors)} errors on the workspace socket: {desk_errors[0]}"
    return [
        Result("chat_concurrent_sessions", still_open, "count", SESSIONS_TARGET if n >= 5000 else "",
               note=f"{still_open} of {n} visitor sockets open to the end ({len(refused)} refused), "
               f"connected in {connect_s:.1f} s, 50 at a time, token checked"),
        Result("chat_visitor_to_agent_p99_ms", percentile(a, 99), "ms", TO_AGENT_P99,
               note=f"stored, then shown in the workspace; {len(a)} of {count} arrived; {flow_note}"),
        Result("chat_agent_to_visitor_p99_ms", percentile(v, 99), "ms", TO_VISITOR_P99,
               note=f"stored, sent by the outbox worker; {len(v)} of {count} arrived; {flow_note}"),
    ]  # fmt: skip
