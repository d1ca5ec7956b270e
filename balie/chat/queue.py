"""Where a waiting chat stands: its place in the team's queue and the expected wait, as the
routing engine computes them from the live queue and recent handling times."""

from __future__ import annotations

from typing import Any

from balie.routing import actions as routing_actions

from .models import ChatSession, ChatState


def live_state(session: ChatSession) -> str:
    """waiting, active (an agent has it) or ended."""
    if session.state == ChatState.ENDED:
        return ChatState.ENDED
    ticket = session.ticket
    return ChatState.ACTIVE if ticket is not None and ticket.assignee_id else ChatState.WAITING


def position_of(session: ChatSession) -> dict[str, Any] | None:
    """{"position": n, "wait": seconds or None}; None when the chat is not waiting (or the
    routing engine does not know it)."""
    if session.ticket is None:
        return None
    session.ticket.refresh_from_db(fields=["assignee"])
    if live_state(session) != ChatState.WAITING:
        return None
    found = routing_actions.queue_position(session.ticket)
    if found is None or found.position is None:
        return None
    return {"position": found.position, "wait": found.expected_wait}
