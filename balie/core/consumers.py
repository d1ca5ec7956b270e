"""The agents' live connection: one WebSocket per open page, authenticated by the session.

It joins `inbox`, `agent.<id>`, `team.<id>` of the agent's teams and, on a ticket page,
`ticket.<id>`, and relays the `balie.event` messages that `balie.core.realtime` publishes as
JSON (`{"event": ..., "data": {...}}`; the events of one burst as one list of those). The page
then re-fetches the htmx partial that changed.
Events about tickets of a private team the agent is not in are dropped, because `inbox` reaches
every agent. An event that names the ticket's team (`data["team"]`, every audit-trail event
does) is judged from the teams read at connect, without a query; others ask the database.
The teams are read once per connection, like the groups joined: a page load reconnects.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class AgentConsumer(AsyncJsonWebsocketConsumer):
    agent: Any
    joined: list[str]
    hidden_teams: set[int]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        ticket_number = (query.get("ticket") or [""])[0]
        joined = await self._groups_for(user, ticket_number)
        if joined is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.joined = joined
        for group in joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self.flush_timer is not None:
            self.flush_timer.cancel()
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Agents only listen on this socket; writes go through the HTTP views."""

    async def balie_event(self, message: dict[str, Any]) -> None:
        data = message.get("data") or {}
        if await self._visible(data):
            await self._relay([{"event": message.get("event", ""), "data": data}])

    async def balie_events(self, message: dict[str, Any]) -> None:
        """Several events of one trip (a burst filed by the worker): the visible ones go out
        in one frame, a JSON list, instead of one frame each."""
        events = []
        for item in message.get("events") or []:
            data = item.get("data") or {}
            if await self._visible(data):
                events.append({"event": item.get("event", ""), "data": data})
        if events:
            await self._relay(events)

    # At most one frame per FRAME_SECONDS: an event goes out at once when the last frame is
    # older, else with the others of that stretch at its end. During a flood of changes (an
    # outage) a connection then costs the process at most 1/FRAME_SECONDS frames a second,
    # however many events there are, and every event still arrives, in order.
    FRAME_SECONDS = 0.1
    last_frame = float("-inf")
    pending: list[dict[str, Any]] | None = None
    flush_timer: asyncio.TimerHandle | None = None
    flush_task: asyncio.Task[None] | None = None
    closed = False

    async def _relay(self, events: list[dict[str, Any]]) -> None:
        if self.pending is not None:
            self.pending.extend(events)
            return
        loop = asyncio.get_running_loop()
        wait = self.last_frame + self.FRAME_SECONDS - loop.time()
        if wait <= 0:
            await self._send_frame(events)
            return
        self.pending = list(events)
        self.flush_timer = loop.call_later(wait, self._start_flush)

    def _start_flush(self) -> None:
        self.flush_timer = None
        self.flush_task = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        events, self.pending = self.pending or [], None
        if events and not self.closed:
            await self._send_frame(events)

    async def _send_frame(self, events: list[dict[str, Any]]) -> None:
        self.last_frame = asyncio.get_running_loop().time()
        await self.send_json(events[0] if len(events) == 1 else events)

    async def _visible(self, data: dict[str, Any]) -> bool:
        ticket_id = data.get("ticket")
        if ticket_id is None:
            return True
        if "team" in data:
            return data["team"] not in self.hidden_teams
        return await self._may_see(ticket_id)

    @database_sync_to_async
    def _groups_for(self, user: Any, ticket_number: str) -> list[str] | None:
        from django.http import Http404

        from balie.accounts.models import Agent
        from balie.tickets.access import get_ticket_for
        from balie.tickets.models import hidden_team_ids

        agent = Agent.objects.filter(user=user, user__is_active=True).first()
        if agent is None:
            return None
        self.agent = agent
        self.team_ids = agent.team_ids()
        self.hidden_teams = set(hidden_team_ids(agent))
        groups = ["inbox", f"agent.{agent.pk}", *(f"team.{t}" for t in sorted(self.team_ids))]
        if ticket_number:
            try:
                ticket = get_ticket_for(agent, ticket_number)
            except Http404:
                return None
            groups.append(f"ticket.{ticket.pk}")
        return groups

    @database_sync_to_async
    def _may_see(self, ticket_id: Any) -> bool:
        from balie.tickets.access import tickets_for

        return tickets_for(self.agent).filter(pk=ticket_id).exists()
