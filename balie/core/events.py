"""The actor of a change and the audit trail entry with its live event.

Event names are dotted `noun.verb_past` (`ticket.created`); the same name is the audit-trail
kind and the realtime event. Each app lists its names in its own `events.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from balie.core import realtime

if TYPE_CHECKING:
    from balie.accounts.models import Agent
    from balie.tickets.models import Activity, Ticket


@dataclass(frozen=True)
class System:
    """A change made by Balie itself (the pipeline, a periodic job)."""

    label: str = "Balie"


SYSTEM = System()

Actor = "Agent | Customer | System"


def actor_fields(by: Any) -> tuple[Agent | None, str]:
    from balie.accounts.models import Agent
    from balie.customers.models import Customer

    if isinstance(by, Agent):
        return by, by.display_name
    if isinstance(by, Customer):
        return None, f"{by} ({by.number})" if by.number else str(by)
    if isinstance(by, System):
        return None, by.label
    raise TypeError(f"unknown actor {by!r}")


def record(ticket: Ticket, kind: str, *, by: Any, data: dict[str, Any] | None = None) -> Activity:
    """Append to the ticket's audit trail and publish the same event to agents after commit."""
    from balie.tickets.models import Activity

    agent, label = actor_fields(by)
    activity = Activity.objects.create(
        ticket=ticket, kind=kind, actor_agent=agent, actor_label=label, data=data or {}
    )
    groups = [f"ticket.{ticket.pk}", "inbox"]
    if ticket.team_id:
        groups.append(f"team.{ticket.team_id}")
    if ticket.assignee_id:
        groups.append(f"agent.{ticket.assignee_id}")
    realtime.publish(groups, kind, {"ticket": ticket.pk, "activity": activity.pk})
    return activity
