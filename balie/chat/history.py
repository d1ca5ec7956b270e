"""A chat's messages as the widget and the workspace read them (plain dicts, JSON-ready).

The visitor sees their own messages and the answers sent on the chat (never internal notes,
automatic messages or mail sent beside the chat); the agents see the notes as well. A socket
asks for what is new since its last look: the messages after the last id it sent, and those of
the last seconds it has not sent (a transaction that took a lower id may commit a moment after
a higher one), so nothing is skipped and nothing goes out twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core import signing
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from balie.tickets.models import Direction, Message

from .models import ChatSession

LATE_COMMIT = timedelta(seconds=10)
ATTACHMENT_SALT = "balie.chat.attachment"
ATTACHMENT_MAX_AGE = 7 * 24 * 3600


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
) -> list[Message]:
    """Messages of the chat after id `after` and (`late`) the recent ones not in `sent`,
    oldest first. A resume asks without `late`: the widget has every id up to `after`."""
    if session.ticket_id is None:
        return []
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
    return [m for m in rows if m.pk not in sent]


def client_id_of(message: Message, session: ChatSession) -> str:
    prefix = f"chat:{session.public_id}:"
    return message.external_id[len(prefix) :] if message.external_id.startswith(prefix) else ""


def attachment_url(attachment_id: int, session: ChatSession) -> str:
    token = signing.dumps({"a": attachment_id, "c": session.public_id}, salt=ATTACHMENT_SALT)
    return reverse("chat:attachment", args=[token])


def serialise(message: Message, session: ChatSession, *, agents: bool = False) -> dict[str, Any]:
    if message.direction == Direction.INBOUND:
        author, name = "visitor", session.name
    elif message.direction == Direction.NOTE:
        author, name = "note", message.sender_name
    else:
        author = "agent"
        # The visitor sees the agent's first name only.
        name = (message.sender_name or "").split(" ")[0] if not agents else message.sender_name
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
                "url": attachment_url(a.pk, session),
            }
            for a in message.attachments.all()
        ],
    }
    cid = client_id_of(message, session) if author == "visitor" else ""
    if cid:
        data["cid"] = cid
    if message.refused_attachments:
        data["refused"] = [
            {"name": r.get("filename", ""), "reason": r.get("reason", "")}
            for r in message.refused_attachments
        ]
    return data
