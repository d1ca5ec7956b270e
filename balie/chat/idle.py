"""Idle chats: a chat in which nothing was said for a while is warned, then closed.

`check_idle` runs every few seconds (Celery beat `chat-idle`): after
`BALIE_CHAT_IDLE_WARN_SECONDS` without a message either way, the visitor is told the chat will
close; after `BALIE_CHAT_IDLE_CLOSE_SECONDS` more, it is ended (later answers go by e-mail).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from balie.messaging.connectors.chat import group_of

from .actions import end_chat, send_after_commit
from .models import ChatSession, ChatState


def check_idle(now: datetime | None = None) -> tuple[int, int]:
    """(warned, closed)."""
    now = now or timezone.now()
    warn_after = timedelta(seconds=settings.BALIE_CHAT_IDLE_WARN_SECONDS)
    close_after = timedelta(seconds=settings.BALIE_CHAT_IDLE_CLOSE_SECONDS)
    live = (
        ChatSession.objects.exclude(state=ChatState.ENDED)
        .exclude(ticket__isnull=True)
        .annotate(last=Greatest(F("last_visitor_at"), F("ticket__last_message_at")))
    )
    warned = closed = 0
    for session in live.filter(idle_warned_at__isnull=True, last__lt=now - warn_after):
        ChatSession.objects.filter(pk=session.pk).update(idle_warned_at=now)
        send_after_commit(
            group_of(session.ticket_id),
            {
                "type": "chat.idle",
                "ticket": session.ticket_id,
                "seconds": int(close_after.total_seconds()),
            },
        )
        warned += 1
    for session in live.select_related("ticket", "agent").filter(
        idle_warned_at__lt=now - close_after, last__lt=now - warn_after
    ):
        closed += end_chat(session, reason="idle")
    return warned, closed
