"""Leaving the queue without an agent: a visitor whose tab closed while waiting gives up the
place, and a chat that overflowed to leave-a-message becomes a left message.

A page that goes away closes the visitor's socket without a word (the widget's own close
button says `leave`). The socket marks the waiting chat (`visitor_gone_at`) and asks the chat's
other sockets, the visitor's other tabs, whether one is still open: one that is clears the mark,
as does any socket of the chat that says hello again (a reload, a network drop), after joining
the chat's groups, so that a reload served by another process while the old socket is still
closing is never missed. A chat still
marked after `BALIE_CHAT_GONE_SECONDS` ends (reason `left`) and routing frees its queue entry,
so neither an agent nor the supervisor's queue waits for someone who went away. A chat an agent
has taken is never ended this way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from balie.tickets.models import Ticket

from .actions import end_chat, leave_queue
from .models import ChatSession, ChatState
from .offline import promise_now


def went_away(session: ChatSession) -> bool:
    """The socket of a waiting chat closed: mark it (True when it was still waiting)."""
    marked = ChatSession.objects.filter(
        pk=session.pk, state=ChatState.WAITING, ticket__assignee__isnull=True
    ).update(visitor_gone_at=timezone.now())
    return bool(marked)


def still_here(session: ChatSession) -> None:
    """A socket of the chat is open (again): the visitor has not left."""
    ChatSession.objects.filter(pk=session.pk, visitor_gone_at__isnull=False).update(
        visitor_gone_at=None
    )
    session.visitor_gone_at = None


def give_up_places(now: datetime | None = None) -> int:
    """End the waiting chats whose visitor has been gone too long; how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.BALIE_CHAT_GONE_SECONDS)
    gone = ChatSession.objects.filter(
        state=ChatState.WAITING, visitor_gone_at__lt=cutoff, ticket__assignee__isnull=True
    ).select_related("ticket", "agent")
    return sum(bool(leave_queue(session)) for session in gone)


def overflowed(session: ChatSession) -> dict[str, Any] | None:
    """Routing took the waiting chat out of the queue (`routing.overflowed`, action `message`):
    the chat ends as a left message (its ticket stays open in the team's inbox and is answered
    by e-mail); the widget is told so, with the promised answer time. None when an agent has
    the chat after all."""
    session.refresh_from_db(fields=["state", "end_reason"])
    if session.ticket_id is None:
        return None
    assigned = Ticket.objects.filter(pk=session.ticket_id, assignee__isnull=False).exists()
    if session.state == ChatState.WAITING and not assigned:
        end_chat(session, reason=OVERFLOW)
    elif session.end_reason != OVERFLOW:
        return None
    with translation.override(session.language):
        return {
            "type": "overflow",
            "ticket": session.ticket_id,
            "text": _(
                "Het is nu te druk om u live te helpen. Uw bericht is bewaard als ticket "
                "#%(ticket)s; we antwoorden per e-mail."
            )
            % {"ticket": session.ticket_id},
            "promise": promise_now(),
        }


OVERFLOW = "overflow"
