"""The agents' live connection: one WebSocket per open page, authenticated by the session.

It joins `inbox`, `agent.<id>`, `team.<id>` of the agent's teams, `routing.supervisor` for team
leads and admins and, on a ticket page,
`ticket.<id>`, and relays the `balie.event` messages that `balie.core.realtime` publishes as
JSON (`{"event": ..., "data": {...}}`; the events of one burst as one list of those). The page
then re-fetches the htmx partial that changed.
Events about tickets of a private team the agent is not in are dropped, because `inbox` reaches
every agent. An event that names the ticket's team (`data["team"]`, every audit-trail event
does) is judged from the teams read at connect, without a query; others ask the database.
The teams are read once per connection, like the groups joined: a page load reconnects.
"""

from __future__ import annotations

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
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Agents only listen on this socket; writes go through the HTTP views."""

    async def balie_event(self, message: dict[str, Any]) -> None:
        data = message.get("data") or {}
        if await self._visible(data):
            await self.send_json({"event": message.get("event", ""), "data": data})

    async def balie_events(self, message: dict[str, Any]) -> None:
        """Several events of one trip (a burst filed by the worker): the visible ones go out
        in one frame, a JSON list, instead of one frame each."""
        events = []
        for item in message.get("events") or []:
            data = item.get("data") or {}
            if await self._visible(data):
                events.append({"event": item.get("event", ""), "data": data})
        if len(events) == 1:
            await self.send_json(events[0])
        elif events:
            await self.send_json(events)

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
        if agent.is_team_lead:
            groups.append("routing.supervisor")  # queue and presence changes (docs/routing.md)
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
