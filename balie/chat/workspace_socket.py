"""The agents' chat workspace socket, `/ws/werkplek/`: session log-in and the agents' origin
check (routed beside `/ws/agent/` in `config/asgi.py`).

It joins `agent.<id>` (the routing engine's offers), `chat.team.<id>` of the agent's teams (a
new waiting chat) and the group of every chat the agent opens. Frames from the page: `open`,
`reply`, `note`, `typing`, `read`, `accept` (`offer` when routing offered it), `transfer`,
`end`, each with `ticket`. Frames to it: `waiting` (the chats nobody has yet), `offer`,
`chat` (what is beside a chat, on open), `messages`, `typing`, `read`, `ended`, `error`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import translation

from balie.core.request_bodies import language_of
from balie.messaging.connectors.chat import group_of

from . import actions, desk, history
from .actions import ChatError
from .socket_db import database_sync_to_async

CLOSE_UNAUTHENTICATED = 4401


def team_group(team_id: int) -> str:
    return f"chat.team.{team_id}"


class WorkspaceConsumer(AsyncJsonWebsocketConsumer):
    agent: Any = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.agent = await database_sync_to_async(self._agent)(user)
        if self.agent is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # The agent's language as their pages have it (the header's NL/EN, else the browser's):
        # the database calls run in copies of this context, so what they say is in it too.
        translation.activate(self._language())
        self.chats: dict[int, dict[str, Any]] = {}
        self.pending: dict[int, Any] = {}  # per chat: the agent's last answer still being stored
        self.reading: dict[int, bool] = {}  # per chat: a read running (True: read again after)
        self.joined = [f"agent.{self.agent.pk}", *(team_group(t) for t in self.team_ids)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._send_waiting()
        for number in await database_sync_to_async(self._open_numbers)():
            await self._open(number)

    def _language(self) -> str:
        chosen = (self.scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen in dict(settings.LANGUAGES):
            return str(chosen)
        for key, value in self.scope.get("headers", []):
            if key == b"accept-language":
                return language_of(value.decode("latin-1"))
        return str(settings.LANGUAGE_CODE)

    def _agent(self, user: Any) -> Any:
        from balie.accounts.models import Agent

        agent = Agent.objects.filter(user=user, user__is_active=True).first()
        self.team_ids = sorted(agent.team_ids()) if agent else []
        return agent

    def _open_numbers(self) -> list[int]:
        return [s.ticket_id for s in desk.open_chats(self.agent)]

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = str(content.get("type") or "")
        try:
            number = int(content.get("ticket") or 0)
        except (TypeError, ValueError):
            number = 0
        try:
            if kind == "open":
                await self._open(number)
            elif kind == "typing":
                if number not in self.chats:
                    # Only a chat open in this workspace: another team's chat says why not.
                    await database_sync_to_async(desk.chat_for)(self.agent, number)
                    return
                await self.channel_layer.group_send(
                    group_of(number),
                    {
                        "type": "chat.typing",
                        "side": "agent",
                        "ticket": number,
                        "on": bool(content.get("on")),
                    },
                )
            elif kind in ("reply", "note"):
                # In the background, one after another per chat: the socket keeps taking the
                # agent's other chats' frames (and their visitors' news) meanwhile.
                self._in_order(number, self._act_reporting(kind, number, content))
            elif kind in ("read", "accept", "transfer", "end"):
                await database_sync_to_async(self._act)(kind, number, content)
                if kind == "accept":
                    await self._open(number)
                    await self._send_waiting()
                elif kind == "read":
                    await self.channel_layer.group_send(
                        group_of(number),
                        {
                            "type": "chat.read",
                            "side": "agent",
                            "ticket": number,
                            "upto": int(content.get("upto") or 0),
                        },
                    )
            else:
                await self.send_json({"type": "error", "message": "bad_frame"})
        except (ChatError, ValueError) as exc:
            await self.send_json(
                {"type": "error", "ticket": number, "message": str(getattr(exc, "reason", exc))}
            )
        except Exception as exc:  # routing's own errors (RoutingError, OfferGone) say why
            if type(exc).__name__ not in ("RoutingError", "OfferGone", "CannotSend"):
                raise
            await self.send_json({"type": "error", "ticket": number, "message": str(exc)})

    def _in_order(self, number: int, work: Any) -> None:
        previous = self.pending.get(number)

        async def run() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await work

        task = asyncio.ensure_future(run())
        self.pending[number] = task
        task.add_done_callback(
            lambda done: (
                self.pending.pop(number, None) if self.pending.get(number) is done else None
            )
        )

    async def _act_reporting(self, kind: str, number: int, content: dict[str, Any]) -> None:
        try:
            await database_sync_to_async(self._act)(kind, number, content)
        except (ChatError, ValueError) as exc:
            message = str(getattr(exc, "reason", exc))
            await self.send_json({"type": "error", "ticket": number, "message": message})

    def _act(self, kind: str, number: int, content: dict[str, Any]) -> None:
        session = desk.chat_for(self.agent, number)
        text = str(content.get("text") or "")
        if kind == "reply":
            actions.agent_reply(session, by=self.agent, text=text)
        elif kind == "note":
            actions.agent_note(session, by=self.agent, text=text)
        elif kind == "read":
            from .models import ChatSession

            upto = int(content.get("upto") or 0)
            ChatSession.objects.filter(pk=session.pk, agent_read_upto__lt=upto).update(
                agent_read_upto=upto
            )
        elif kind == "accept":
            offer = content.get("offer")
            desk.accept(self.agent, session, offer=int(offer) if offer else None)
        elif kind == "transfer":
            desk.transfer(
                self.agent,
                session,
                to_agent=int(content.get("agent") or 0) or None,
                to_team=int(content.get("team") or 0) or None,
                note=str(content.get("note") or ""),
            )
        elif kind == "end":
            actions.end_chat(session, reason="agent")

    async def _open(self, number: int) -> None:
        data = await database_sync_to_async(self._read_open)(number)
        if number not in self.chats:
            await self.channel_layer.group_add(group_of(number), self.channel_name)
            self.joined.append(group_of(number))
        self.chats[number] = data["state"]
        await self.send_json({"type": "chat", "chat": data["beside"]})
        await self._send_new(number)

    def _read_open(self, number: int) -> dict[str, Any]:
        session = desk.chat_for(self.agent, number)
        return {
            "beside": {**desk.beside(session), "read": session.visitor_read_upto},
            "state": {"session": session, "last": 0, "sent": set()},
        }

    async def _send_new(self, number: int) -> None:
        """What the chat has new; news arriving during a read makes one more read after it,
        not one read each."""
        if number not in self.chats:
            return
        if number in self.reading:
            self.reading[number] = True
            return
        self.reading[number] = False
        try:
            while True:
                messages = await database_sync_to_async(self._read_new)(number)
                if messages:
                    await self.send_json(
                        {"type": "messages", "ticket": number, "messages": messages}
                    )
                if not self.reading.get(number):
                    break
                self.reading[number] = False
        finally:
            self.reading.pop(number, None)

    def _read_new(self, number: int) -> list[dict[str, Any]]:
        state = self.chats[number]
        session = state["session"]
        items = history.new_messages(session, after=state["last"], sent=state["sent"], agents=True)
        for item in items:
            state["sent"].add(item["id"])
            state["last"] = max(state["last"], item["id"])
        return items

    async def _send_waiting(self) -> None:
        chats = await database_sync_to_async(
            lambda: [desk.summary(s) for s in desk.waiting_chats(self.agent)]
        )()
        await self.send_json({"type": "waiting", "chats": chats})

    # --- group messages ---------------------------------------------------------------------

    async def chat_changed(self, message: dict[str, Any]) -> None:
        # Read in the background (one read at a time per chat, see _send_new): the socket's
        # other chats are not kept waiting.
        asyncio.ensure_future(self._send_new(int(message.get("ticket") or 0)))

    async def chat_message(self, message: dict[str, Any]) -> None:
        """A new message of a chat open here, with its content (`live.frame`): passed on as
        it comes, without reading the database."""
        number = int(message.get("ticket") or 0)
        item = message.get("agents")
        state = self.chats.get(number)
        if not item or state is None or item["id"] in state["sent"]:
            return
        state["sent"].add(item["id"])
        state["last"] = max(state["last"], item["id"])
        await self.send_json({"type": "messages", "ticket": number, "messages": [item]})

    async def chat_ended(self, message: dict[str, Any]) -> None:
        number = int(message.get("ticket") or 0)
        await self._send_new(number)
        await self.send_json({"type": "ended", "ticket": number})

    async def chat_assigned(self, message: dict[str, Any]) -> None:
        await self._send_waiting()

    async def chat_waiting(self, message: dict[str, Any]) -> None:
        await self._send_waiting()

    async def chat_typing(self, message: dict[str, Any]) -> None:
        if message.get("side") == "visitor":
            await self.send_json(
                {"type": "typing", "ticket": message.get("ticket"), "on": message.get("on")}
            )

    async def chat_read(self, message: dict[str, Any]) -> None:
        if message.get("side") == "visitor":
            await self.send_json(
                {"type": "read", "ticket": message.get("ticket"), "upto": message.get("upto")}
            )

    async def chat_idle(self, message: dict[str, Any]) -> None:
        pass

    async def balie_event(self, message: dict[str, Any]) -> None:
        """The routing engine's offers to this agent, and their end."""
        event = message.get("event", "")
        data = message.get("data") or {}
        if event == "routing.offer":
            info = await database_sync_to_async(self._offer_info)(data)
            await self.send_json({"type": "offer", **data, **info})
        elif event == "routing.offer_closed":
            await self.send_json({"type": "offer_closed", **data})
        elif event == "routing.assigned" and data.get("agent") == self.agent.pk:
            number = int(data.get("ticket") or 0)
            if number not in self.chats:  # accepted here, it is open already
                # A chat ticket no visitor is on has nothing to open: its ticket page answers it.
                with contextlib.suppress(ChatError):
                    await self._open(number)
            await self._send_waiting()

    def _offer_info(self, data: dict[str, Any]) -> dict[str, Any]:
        return desk.offered(self.agent, int(data.get("ticket") or 0))

    async def balie_events(self, message: dict[str, Any]) -> None:
        for item in message.get("events") or []:
            await self.balie_event({"event": item.get("event"), "data": item.get("data")})
