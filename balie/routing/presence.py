"""Who is writing an answer on a ticket right now, so two agents don't answer the same customer.

Kept in Django's cache (Redis in production, so every web process sees the same state): one key
per ticket and agent that expires TYPING_TTL seconds after the last heartbeat, and a per-ticket
index of the agents that typed recently. A lost index entry (two agents starting at the same
moment) heals at the next heartbeat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache

from balie.core import realtime

if TYPE_CHECKING:
    from balie.accounts.models import Agent
    from balie.tickets.models import Ticket

TYPING_TTL = 20
TYPING_EVENT = "presence.typing"


def _agent_key(ticket_id: int, agent_id: int) -> str:
    return f"presence:typing:{ticket_id}:{agent_id}"


def _index_key(ticket_id: int) -> str:
    return f"presence:typing:{ticket_id}"


def mark_typing(ticket: Ticket, *, by: Agent) -> None:
    """A heartbeat from an agent's reply box: they are writing on this ticket."""
    first = cache.get(_agent_key(ticket.pk, by.pk)) is None
    cache.set(_agent_key(ticket.pk, by.pk), by.display_name, TYPING_TTL)
    index = set(cache.get(_index_key(ticket.pk)) or ())
    if by.pk not in index:
        index.add(by.pk)
    cache.set(_index_key(ticket.pk), sorted(index), TYPING_TTL * 3)
    if first:
        realtime.publish(
            [f"ticket.{ticket.pk}"], TYPING_EVENT, {"ticket": ticket.pk, "agent": by.pk}
        )


def clear_typing(ticket: Ticket, *, by: Agent) -> None:
    """The agent sent their answer (or left): they are no longer writing."""
    if cache.get(_agent_key(ticket.pk, by.pk)) is None:
        return
    cache.delete(_agent_key(ticket.pk, by.pk))
    realtime.publish([f"ticket.{ticket.pk}"], TYPING_EVENT, {"ticket": ticket.pk, "agent": by.pk})


def typing_agents(ticket: Ticket, *, excluding: Agent | None = None) -> list[str]:
    """Names of the agents writing on this ticket now, other than `excluding`."""
    index = cache.get(_index_key(ticket.pk)) or []
    keys = {
        _agent_key(ticket.pk, agent_id): agent_id
        for agent_id in index
        if excluding is None or agent_id != excluding.pk
    }
    if not keys:
        return []
    found = cache.get_many(list(keys))
    return sorted(found.values())
