"""A chat's messages as the widget and the workspace read them (plain dicts, JSON-ready).

The visitor sees their own messages and the answers sent on the chat (never internal notes,
automatic messages or mail sent beside the chat); the agents see the notes as well. A socket
asks for what is new since its last look: the messages after the last id it sent, and those of
the last seconds it has not sent (a transaction that took a lower id may commit a moment after
a higher one), so nothing is skipped and nothing goes out twice.

A visitor's message is shown from the moment its envelope is stored, with the id it will have
in the ticket (`tickets.message_ids`); until the ingest worker has filed it, it is read from
its envelope (`pending`), so a socket that opens meanwhile has it too; so is an agent's answer
stored and shown but not filed yet (`answers_pending`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from balie.intake.pipeline import FILED_IN
from balie.messaging.connectors.chat import envelope_key
from balie.messaging.models import Envelope, EnvelopeStatus
from balie.tickets.actions import shown_message
from balie.tickets.models import Direction, Message, UnfiledAnswer

from .models import ChatSession

LATE_COMMIT = timedelta(seconds=10)
ATTACHMENT_SALT = "balie.chat.attachment"
ATTACHMENT_MAX_AGE = 7 * 24 * 3600
# An envelope not filed yet (or waiting in quarantine for a replay): still the chat's message.
UNFILED = (EnvelopeStatus.RECEIVED, EnvelopeStatus.FAILED)


def for_visitor(message: Message) -> bool:
    if message.is_automatic:
        return False
    return message.direction == Direction.INBOUND or (
        message.direction == Direction.OUTBOUND and message.channel == "chat"
    )


def _query(session: ChatSession, *, agents: bool) -> Any:
    query = Message.objects.filter(ticket_id=session.ticket_id)
    if agents:
        return query.exclude(is_automatic=True)
    return query.filter(
        Q(direction=Direction.INBOUND) | Q(direction=Direction.OUTBOUND, channel="chat"),
        is_automatic=False,
    )


def new_messages(
    session: ChatSession,
    *,
    after: int,
    sent: set[int],
    agents: bool = False,
    late: bool = True,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Messages of the chat after id `after` and (`late`) the recent ones not in `sent`,
    oldest first, serialised. A resume asks without `late`: the widget has every id up to
    `after`. The visitor's messages not filed yet come from their envelopes (read first: one
    filed between the two reads is then in both, and sent once)."""
    if session.ticket_id is None:
        return []
    unfiled = pending(session, after=after) + answers_pending(session, after=after, agents=agents)
    condition = Q(id__gt=after)
    if late:
        condition |= Q(created_at__gte=timezone.now() - LATE_COMMIT)
    rows = (
        _query(session, agents=agents)
        .filter(condition)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("id")[:limit]
    )
    found = {m.pk: serialise(m, session, agents=agents) for m in rows if m.pk not in sent}
    for item in unfiled:
        if item["id"] not in sent:
            found.setdefault(item["id"], item)
    return sorted(found.values(), key=lambda item: item["id"])[:limit]


def pending(session: ChatSession, *, after: int = 0) -> list[dict[str, Any]]:
    """The visitor's messages stored but not filed yet, as `serialise` gives them."""
    envelopes = Envelope.objects.filter(
        status__in=UNFILED,
        channel="chat",
        external_id__startswith=envelope_key(session.public_id, ""),
    ).only("external_id", "raw", "meta", "received_at")
    items = []
    for envelope in envelopes:
        filed_in = (envelope.meta or {}).get(FILED_IN) or {}
        number = int(filed_in.get("message") or 0)
        if number > after:
            items.append(stored_item(envelope, number))
    return items


def answers_pending(session: ChatSession, *, after: int = 0, agents: bool) -> list[dict[str, Any]]:
    """The agents' answers stored but not filed yet (`UnfiledAnswer`), as `serialise` gives
    them once they are."""
    rows = UnfiledAnswer.objects.filter(ticket_id=session.ticket_id, id__gt=after).select_related(
        "author", "ticket"
    )
    return [serialise(shown_message(row), session, agents=agents) for row in rows]


def stored_item(envelope: Envelope, number: int) -> dict[str, Any]:
    """A visitor's message as shown from its envelope (the same as once it is filed)."""
    data = json.loads(bytes(envelope.raw).decode("utf-8"))
    return visitor_item(
        number,
        name=str(data.get("name", "")),
        text=str(data.get("text", "")),
        at=envelope.received_at,
        cid=str(data.get("client_id", "")),
    )


def visitor_item(number: int, *, name: str, text: str, at: datetime, cid: str) -> dict[str, Any]:
    """A visitor's text message as the sockets show it (as `serialise` does once filed)."""
    return {
        "id": number,
        "from": "visitor",
        "name": name.strip()[:200],
        "text": text.strip(),
        "at": at.isoformat(),
        "attachments": [],
        "cid": cid,
    }


def client_id_of(message: Message) -> str:
    """The widget's own id of a visitor's message (its envelope key `chat:<chat>:<cid>`)."""
    parts = message.external_id.split(":", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "chat" else ""


def _public_id(message: Message, session: ChatSession | None) -> str:
    if session is not None:
        return session.public_id
    parts = message.external_id.split(":", 2)
    if len(parts) == 3 and parts[0] == "chat":
        return parts[1]
    found = ChatSession.objects.filter(ticket_id=message.ticket_id).values_list(
        "public_id", flat=True
    )
    return found.first() or ""


def visitor_name(message: Message, name: str) -> str:
    """What the visitor sees of an author's name: an agent's first name only."""
    if message.direction == Direction.OUTBOUND:
        return (name or "").split(" ")[0]
    return name


def attachment_url(attachment_id: int, public_id: str) -> str:
    token = signing.dumps({"a": attachment_id, "c": public_id}, salt=ATTACHMENT_SALT)
    return reverse("chat:attachment", args=[token])


def serialise(
    message: Message, session: ChatSession | None, *, agents: bool = False
) -> dict[str, Any]:
    """`session`: the message's chat, when the caller has it (else read from the message)."""
    if message.direction == Direction.INBOUND:
        author = "visitor"
        name = session.name if session is not None else message.sender_name
    elif message.direction == Direction.NOTE:
        author, name = "note", message.sender_name
    else:
        author = "agent"
        name = message.sender_name if agents else visitor_name(message, message.sender_name)
    attachments = list(message.attachments.all())
    public_id = _public_id(message, session) if attachments else ""
    data: dict[str, Any] = {
        "id": message.pk,
        "from": author,
        "name": name,
        "text": message.body_text,
        "at": message.created_at.isoformat(),
        "attachments": [
            {
                "name": a.filename,
                "size": a.size,
                "type": a.content_type,
                "url": attachment_url(a.pk, public_id),
            }
            for a in attachments
        ],
    }
    cid = client_id_of(message) if author == "visitor" else ""
    if cid:
        data["cid"] = cid
    if message.refused_attachments:
        data["refused"] = [
            {"name": r.get("filename", ""), "reason": r.get("reason", "")}
            for r in message.refused_attachments
        ]
    return data
