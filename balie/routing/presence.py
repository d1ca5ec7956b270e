"""Who is on a ticket right now: the agents who have it open (viewing) and those writing an
answer (typing), so that two agents don't answer the same customer. The same for a ticket of
every channel; a chat pane or a routing screen reads it with `ticket_presence`.

Kept in Django's cache (Redis in production, so every web process sees the same state): one key
per kind, ticket and agent that expires some seconds after the agent's last heartbeat (the
ticket page sends one every HEARTBEAT seconds, the reply box one while the agent types), and a
per-ticket index of the agents seen recently. A lost index entry (two agents arriving at the
same moment) heals at the next heartbeat. Each key holds the moment of its heartbeat as well,
and a beat older than its TTL counts as gone even where the cache keeps it a little longer, so
that presence means the same on every cache backend. When someone arrives or leaves, a live event
(`presence.viewing`, `presence.typing`) goes to the ticket's group, so that the other pages
refresh their presence at once instead of at their next heartbeat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.cache import cache

from balie.core import realtime

if TYPE_CHECKING:
    from balie.accounts.models import Agent
    from balie.tickets.models import Ticket

HEARTBEAT = 10  # seconds between an open ticket page's heartbeats


class Doing(StrEnum):
    VIEWING = "viewing"
    TYPING = "typing"


# How long a heartbeat holds: a few missed beats (a slow network, a throttled background tab)
# do not make an agent vanish and come back.
TTL = {Doing.VIEWING: HEARTBEAT * 3, Doing.TYPING: 20}
TYPING_TTL = TTL[Doing.TYPING]
TYPING_EVENT = "presence.typing"
VIEWING_EVENT = "presence.viewing"
EVENTS = {Doing.VIEWING: VIEWING_EVENT, Doing.TYPING: TYPING_EVENT}


def _agent_key(doing: Doing, ticket_id: int, agent_id: int) -> str:
    return f"presence:{doing}:{ticket_id}:{agent_id}"


def _index_key(doing: Doing, ticket_id: int) -> str:
    return f"presence:{doing}:{ticket_id}"


def _announce(doing: Doing, ticket_id: int, agent_id: int) -> None:
    realtime.publish(
        [f"ticket.{ticket_id}"], EVENTS[doing], {"ticket": ticket_id, "agent": agent_id}
    )


def _fresh(doing: Doing, beat: object) -> str | None:
    """The agent's name when this stored heartbeat still holds, else None."""
    if not isinstance(beat, (tuple, list)) or len(beat) != 2:
        return None
    name, at = beat
    if time.time() - float(at) > TTL[doing]:
        return None
    return str(name)


def _mark(doing: Doing, ticket_id: int, agent: Agent) -> bool:
    """A heartbeat; True when the agent was not there yet (and the others were told)."""
    key = _agent_key(doing, ticket_id, agent.pk)
    first = _fresh(doing, cache.get(key)) is None
    cache.set(key, (agent.display_name, time.time()), TTL[doing])
    index = set(cache.get(_index_key(doing, ticket_id)) or ())
    index.add(agent.pk)
    cache.set(_index_key(doing, ticket_id), sorted(index), TTL[doing] * 3)
    if first:
        _announce(doing, ticket_id, agent.pk)
    return first


def _clear(doing: Doing, ticket_id: int, agent: Agent) -> None:
    key = _agent_key(doing, ticket_id, agent.pk)
    if _fresh(doing, cache.get(key)) is None:
        return
    cache.delete(key)
    _announce(doing, ticket_id, agent.pk)


def _names(doing: Doing, ticket_id: int, excluding: Agent | None) -> list[str]:
    index = cache.get(_index_key(doing, ticket_id)) or []
    keys = [
        _agent_key(doing, ticket_id, agent_id)
        for agent_id in index
        if excluding is None or agent_id != excluding.pk
    ]
    if not keys:
        return []
    names = (_fresh(doing, beat) for beat in cache.get_many(keys).values())
    return sorted(name for name in names if name is not None)


# --- viewing ---------------------------------------------------------------------------------


def mark_viewing(ticket: Ticket, *, by: Agent) -> bool:
    """A heartbeat from an agent's open ticket page."""
    return _mark(Doing.VIEWING, ticket.pk, by)


def clear_viewing(ticket: Ticket, *, by: Agent) -> None:
    """The agent left the ticket page (or closed it)."""
    _clear(Doing.VIEWING, ticket.pk, by)
    _clear(Doing.TYPING, ticket.pk, by)


def viewing_agents(ticket: Ticket, *, excluding: Agent | None = None) -> list[str]:
    """Names of the agents who have this ticket open now, other than `excluding`."""
    return _names(Doing.VIEWING, ticket.pk, excluding)


# --- typing ----------------------------------------------------------------------------------


def mark_typing(ticket: Ticket, *, by: Agent) -> None:
    """A heartbeat from an agent's reply box: they are writing on this ticket (and so have
    it open)."""
    _mark(Doing.TYPING, ticket.pk, by)
    _mark(Doing.VIEWING, ticket.pk, by)


def clear_typing(ticket: Ticket, *, by: Agent) -> None:
    """The agent sent their answer: they are no longer writing."""
    _clear(Doing.TYPING, ticket.pk, by)


def typing_agents(ticket: Ticket, *, excluding: Agent | None = None) -> list[str]:
    """Names of the agents writing on this ticket now, other than `excluding`."""
    return _names(Doing.TYPING, ticket.pk, excluding)


# --- both ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketPresence:
    viewing: list[str]  # every agent with the ticket open, typing ones included
    typing: list[str]

    @property
    def only_viewing(self) -> list[str]:
        return [name for name in self.viewing if name not in self.typing]


def ticket_presence(ticket: Ticket, *, excluding: Agent | None = None) -> TicketPresence:
    """Who else is on this ticket now: viewing it, and writing an answer."""
    typing = typing_agents(ticket, excluding=excluding)
    viewing = sorted(set(viewing_agents(ticket, excluding=excluding)) | set(typing))
    return TicketPresence(viewing=viewing, typing=typing)
