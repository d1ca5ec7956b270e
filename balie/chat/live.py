"""A chat's messages to its open sockets, the moment they are stored.

Every message of a chat ticket that the chat shows (a visitor's, an agent's answer, a note for
the agents) goes to the chat's group on the channel layer after its transaction commits, with
the message itself: the sockets pass it on without reading the database. An agent's live
answer is so shown by the web process that stored it, not by the outbox worker (the outbox
still records it, and sends an answer by e-mail once the chat has ended). A visitor's message
is shown as soon as its envelope is stored (`actions.store_visitor_message`), before it is
filed into the ticket behind; its filing is not shown twice.

`consume_events` is a consumer of the event stream (settings.EVENT_CONSUMERS).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from balie.core import realtime
from balie.messaging.connectors.chat import group_of
from balie.tickets.events import Event, EventKind
from balie.tickets.models import Direction, Message

from . import history

SHOWN = (EventKind.MESSAGE_RECEIVED, EventKind.MESSAGE_SENT, EventKind.NOTE_ADDED)


def frame(ticket: int, *, agents: dict[str, Any], visitor: dict[str, Any] | None) -> dict[str, Any]:
    """The group message of one new chat message: as the agents see it and as the visitor
    does (None: not for the visitor, such as a note)."""
    return {"type": "chat.message", "ticket": ticket, "agents": agents, "visitor": visitor}


def consume_events(events: Sequence[Event]) -> None:
    for event in events:
        message = event.message
        if (
            event.kind not in SHOWN
            or message is None
            or event.ticket.channel != "chat"
            or message.is_automatic
            or _shown_when_stored(message)
        ):
            continue
        show_after_commit(message)


def _shown_when_stored(message: Message) -> bool:
    """A visitor's message that was shown as its envelope was stored, with this id; an
    agent's answer shown as it was stored, now filed behind (`tickets.actions.store_shown_reply`)."""
    from balie.intake.pipeline import FILED_IN

    if getattr(message, "shown_when_stored", False):
        return True
    if message.direction != Direction.INBOUND or not Message.envelope.is_cached(message):
        return False
    envelope = message.envelope
    filed_in = (envelope.meta or {}).get(FILED_IN) if envelope is not None else None
    return isinstance(filed_in, dict) and filed_in.get("message") == message.pk


def show_after_commit(message: Message) -> None:
    ticket = message.ticket_id
    agents = history.serialise(message, None, agents=True)
    visitor = None
    if history.for_visitor(message):
        # The same but for the agent's name (first name only) and the notes' marks.
        visitor = {**agents, "name": history.visitor_name(message, agents["name"])}
    send_after_commit(group_of(ticket), frame(ticket, agents=agents, visitor=visitor))


def send_after_commit(group: str, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: realtime.send_messages([(group, message)]))
