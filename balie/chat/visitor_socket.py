"""The visitor's socket, `/ws/chat/<account>/`, outside the agents' origin check.

A page may connect only from an origin on the chat account's allow-list; the first frame must
be `{"type": "hello", "token": …, "after": <last message id seen>}`: the visitor token that
`POST /chat/api/<account>/start` gave (never the session cookie: the widget runs on another
site). The socket then joins the chat's group and sends every message after `after`, once.

Frames from the widget: `message` (`cid`: the widget's own id, `text`), `typing` (`on`),
`read` (`upto`), `end`, `leave` (the widget closed while waiting: ends a chat still in the
queue), `ping`. Frames to it: `welcome`, `messages`, `ack` (`cid`, `id`), `typing`, `read`, `queue` (`position`, `wait`), `agent` (`name`), `idle`, `overflow` (`text`, `promise`), `ended`, `error`.
A message is acknowledged only after it is stored (its envelope, one INSERT), and shown to the
chat's sockets at once, with the id it will have in the ticket; the ingest worker files it into
the ticket behind. The widget sends unacknowledged messages again (same `cid`) after a
reconnect, and they are stored and filed once. New messages of the chat come on the channel
layer with their content (`live`): passing one on reads nothing from the database.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone, translation

from balie.messaging.connectors.chat import group_of
from balie.routing.engine import queue_group, ticket_group

from . import actions, history, leaving, live, queue
from .models import ChatSession, ChatState
from .socket_db import database_sync_to_async

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_UNKNOWN = 4404
HELLO_TIMEOUT = 10.0
MAX_SENT_REMEMBERED = 2000


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    session: ChatSession | None = None
    reading: bool | None = None  # a read of new messages running (True: read again after it)
    groups_joined: list[str]
    last_sent: int
    sent: set[int]

    async def connect(self) -> None:
        self.groups_joined = []
        self.queue_joined: str | None = None
        self.session = None
        self.last_sent = 0
        self.sent = set()
        slug = self.scope["url_route"]["kwargs"]["account"]
        account = await database_sync_to_async(actions.chat_account)(slug)
        if account is None:
            await self.close(code=CLOSE_UNKNOWN)
            return
        origin = _header(self.scope, b"origin")
        host = _header(self.scope, b"host")
        if not actions.origin_allowed(account, origin, host):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.account = account
        await self.accept()
        self.hello_timer = asyncio.get_running_loop().call_later(HELLO_TIMEOUT, self._no_hello)

    def _no_hello(self) -> None:
        if self.session is None:
            asyncio.ensure_future(self.close(code=CLOSE_UNAUTHENTICATED))

    async def disconnect(self, code: int) -> None:
        timer = getattr(self, "hello_timer", None)
        if timer is not None:
            timer.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        session = self.session
        if session is None or session.state != ChatState.WAITING:
            return
        # A closed tab gives up the place, unless another tab of the chat is still open.
        if await database_sync_to_async(leaving.went_away)(session):
            await self.channel_layer.group_send(
                ticket_group(session.ticket_id), {"type": "chat.still_here"}
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = await self.decode_json(text_data or "")
        except ValueError:  # not JSON: said so, and the socket takes the next frame
            await self.send_json({"type": "error", "code": "bad_frame"})
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "code": "bad_frame"})
            return
        kind = content.get("type")
        if self.session is None:
            if kind != "hello":
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            await self._hello(content)
            return
        handler = {
            "message": self._message,
            "typing": self._typing,
            "read": self._read,
            "end": self._end,
            "leave": self._leave,
            "ping": self._ping,
        }.get(str(kind))
        if handler is None:
            await self.send_json({"type": "error", "code": "bad_frame"})
            return
        await handler(content)

    async def _hello(self, content: dict[str, Any]) -> None:
        session = await database_sync_to_async(actions.session_for)(
            self.account, str(content.get("token") or "")
        )
        if session is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.session = session
        self.hello_timer.cancel()
        # What this socket answers (a refused message's reason) is in the chat's language;
        # the database calls it makes run in copies of this context, so they speak it too.
        translation.activate(session.language or "nl")
        groups = [group_of(session.ticket_id), ticket_group(session.ticket_id)]
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        waiting = queue.live_state(session) == ChatState.WAITING
        await self._follow_queue(session.team_id if waiting else None)
        if session.state == ChatState.WAITING:
            # After joining the groups: a tab closing at this moment either marked the chat
            # before this clears it, or asks this socket after (leaving.py).
            await database_sync_to_async(leaving.still_here)(session)
        try:
            after = max(0, int(content.get("after") or 0))
        except (TypeError, ValueError):
            after = 0
        welcome = await database_sync_to_async(self._welcome)()
        await self.send_json(welcome)
        self.last_sent = after
        await self._send_new(late=False)
        if session.state == ChatState.WAITING:
            await self._send_queue()

    def _welcome(self) -> dict[str, Any]:
        session = self.session
        assert session is not None
        agent = session.ticket.assignee if session.ticket else None
        session.state = queue.live_state(session)
        return {
            "type": "welcome",
            "chat": session.public_id,
            "state": session.state,
            "name": session.name,
            "agent": agent.display_name.split(" ")[0] if agent else "",
            "read": session.agent_read_upto,
        }

    async def _send_new(self, *, late: bool = True) -> None:
        """What is new for the visitor; news arriving during a read makes one more read after
        it (never two reads at once, so nothing is sent twice)."""
        if self.reading is not None:
            self.reading = True
            return
        self.reading = False
        try:
            while True:
                messages = await database_sync_to_async(self._read_new)(late)
                if messages:
                    await self.send_json({"type": "messages", "messages": messages})
                if not self.reading:
                    break
                self.reading = False
        finally:
            self.reading = None

    def _read_new(self, late: bool) -> list[dict[str, Any]]:
        session = self.session
        assert session is not None
        items = history.new_messages(session, after=self.last_sent, sent=self.sent, late=late)
        for item in items:
            self._mark_sent(item["id"])
        return items

    def _mark_sent(self, number: int) -> None:
        self.sent.add(number)
        self.last_sent = max(self.last_sent, number)
        if len(self.sent) > MAX_SENT_REMEMBERED:
            self.sent = set(sorted(self.sent)[-MAX_SENT_REMEMBERED // 2 :])

    async def _message(self, content: dict[str, Any]) -> None:
        cid = str(content.get("cid") or "")
        session = self.session
        assert session is not None
        try:
            stored = await database_sync_to_async(actions.store_visitor_message)(
                session, client_id=cid, text=str(content.get("text") or "")
            )
        except actions.RateLimited as exc:
            await self.send_json(
                {"type": "error", "cid": cid, "code": "rate_limited", "message": str(exc)}
            )
            return
        except actions.ChatError as exc:
            await self.send_json({"type": "error", "cid": cid, "message": str(exc)})
            return
        await self.send_json({"type": "ack", "cid": cid, "id": stored.id})
        if stored.new:
            number = session.ticket_id
            await self.channel_layer.group_send(
                group_of(number), live.frame(number, agents=stored.item, visitor=stored.item)
            )

    async def _typing(self, content: dict[str, Any]) -> None:
        assert self.session is not None
        await self.channel_layer.group_send(
            group_of(self.session.ticket_id),
            {
                "type": "chat.typing",
                "side": "visitor",
                "ticket": self.session.ticket_id,
                "on": bool(content.get("on")),
            },
        )

    async def _read(self, content: dict[str, Any]) -> None:
        try:
            upto = int(content.get("upto") or 0)
        except (TypeError, ValueError):
            return
        session = self.session
        assert session is not None
        if upto <= session.visitor_read_upto:
            return
        session.visitor_read_upto = upto
        await database_sync_to_async(
            ChatSession.objects.filter(pk=session.pk, visitor_read_upto__lt=upto).update
        )(visitor_read_upto=upto)
        await self.channel_layer.group_send(
            group_of(session.ticket_id),
            {"type": "chat.read", "side": "visitor", "ticket": session.ticket_id, "upto": upto},
        )

    async def _end(self, content: dict[str, Any]) -> None:
        assert self.session is not None
        await database_sync_to_async(actions.end_chat)(self.session, reason="visitor")

    async def _leave(self, content: dict[str, Any]) -> None:
        """The visitor closed the widget while still waiting in the queue: the chat ends and
        its queue entry is freed (routing's `finish`). A chat an agent has taken stays open."""
        session = self.session
        assert session is not None
        await database_sync_to_async(actions.leave_queue)(session)

    async def _ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def _send_queue(self) -> None:
        assert self.session is not None
        position = await database_sync_to_async(queue.position_of)(self.session)
        if position is not None:
            await self.send_json({"type": "queue", **position})

    # --- group messages ---------------------------------------------------------------------

    async def chat_changed(self, message: dict[str, Any]) -> None:
        asyncio.ensure_future(self._send_new())

    async def chat_still_here(self, message: dict[str, Any]) -> None:
        """Another socket of this chat closed while waiting; this one is open (leaving.py)."""
        if self.session is not None and self.session.state == ChatState.WAITING:
            await database_sync_to_async(leaving.still_here)(self.session)

    async def chat_message(self, message: dict[str, Any]) -> None:
        """A new message of the chat, with its content (`live.frame`)."""
        item = message.get("visitor")
        if not item or item["id"] in self.sent or self.session is None:
            return
        self._mark_sent(item["id"])
        await self.send_json({"type": "messages", "messages": [item]})

    async def chat_ended(self, message: dict[str, Any]) -> None:
        await self._send_new()
        assert self.session is not None
        self.session.state = ChatState.ENDED
        await self.send_json({"type": "ended"})

    async def chat_typing(self, message: dict[str, Any]) -> None:
        if message.get("side") == "agent":
            await self.send_json({"type": "typing", "on": bool(message.get("on"))})

    async def chat_read(self, message: dict[str, Any]) -> None:
        if message.get("side") == "agent":
            await self.send_json({"type": "read", "upto": message.get("upto", 0)})

    async def chat_assigned(self, message: dict[str, Any]) -> None:
        name = await database_sync_to_async(self._agent_name)()
        if name:
            await self.send_json({"type": "agent", "name": name})

    def _agent_name(self) -> str:
        assert self.session is not None and self.session.ticket is not None
        self.session.ticket.refresh_from_db(fields=["assignee"])
        agent = self.session.ticket.assignee
        if agent is None:
            return ""
        self.session.state = ChatState.ACTIVE
        return agent.display_name.split(" ")[0]

    async def chat_waiting(self, message: dict[str, Any]) -> None:
        pass

    async def chat_idle(self, message: dict[str, Any]) -> None:
        if self.session is not None:
            self.session.idle_warned_at = timezone.now()  # the next message clears it
        await self.send_json({"type": "idle", "seconds": message.get("seconds", 0)})

    async def balie_event(self, message: dict[str, Any]) -> None:
        """Routing's live events about this chat: assigned to an agent, the queue moved."""
        event = message.get("event", "")
        data = message.get("data") or {}
        if event == "routing.assigned":
            assert self.session is not None
            self.session.state = ChatState.ACTIVE
            await self._follow_queue(None)
            name = str(data.get("agent_name") or "").split(" ")[0]
            await self.send_json({"type": "agent", "name": name})
        elif (
            event == "routing.requeued"
            and self.session is not None
            and self.session.state != ChatState.ENDED
        ):
            self.session.state = ChatState.WAITING
            await self._follow_queue(data.get("team") or self.session.team_id)
            await self._send_queue()
        elif (
            event == "routing.queue"
            and self.session is not None
            and self.session.state == ChatState.WAITING
        ):
            await self._send_queue()
        elif event == "routing.overflowed" and self.session is not None:
            if data.get("action") == "message":  # no live help now: a left message
                frame = await database_sync_to_async(leaving.overflowed)(self.session)
                if frame is not None:
                    await self.send_json(frame)
            else:  # another team's queue now
                await self._follow_queue(data.get("team") or self.session.team_id)
                await self._send_queue()

    async def _follow_queue(self, team_id: int | None) -> None:
        """In the team's queue group while the chat waits (each move of the queue changes the
        visitor's place), in none once an agent has it: every held socket of a team took each
        event of its queue, thousands of them for nothing."""
        wanted = queue_group(team_id) if team_id else None
        if wanted == self.queue_joined:
            return
        if self.queue_joined is not None:
            await self.channel_layer.group_discard(self.queue_joined, self.channel_name)
            self.groups_joined.remove(self.queue_joined)
        if wanted is not None:
            await self.channel_layer.group_add(wanted, self.channel_name)
            self.groups_joined.append(wanted)
        self.queue_joined = wanted

    async def balie_events(self, message: dict[str, Any]) -> None:
        for item in message.get("events") or []:
            await self.balie_event({"event": item.get("event"), "data": item.get("data")})
