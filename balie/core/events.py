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
    return keep(activity_row(ticket, kind, by=by, data=data))


def keep(activity: Activity) -> Activity:
    """Save one audit-trail entry made by `activity_row` and publish it after commit."""
    activity.save()
    announce(activity)
    return activity


def activity_row(
    ticket: Ticket, kind: str, *, by: Any, data: dict[str, Any] | None = None
) -> Activity:
    """An audit-trail entry, not yet saved (a caller writing many at once bulk-inserts them and
    then calls `announce` for each)."""
    from balie.tickets.models import Activity

    agent, label = actor_fields(by)
    return Activity(ticket=ticket, kind=kind, actor_agent=agent, actor_label=label, data=data or {})


def record_all(activities: list[Activity]) -> list[Activity]:
    """Append many audit-trail entries (made by `activity_row`) with one INSERT, and publish
    each after commit."""
    from balie.tickets.models import Activity, Ticket

    saved = Activity.objects.bulk_create(activities)
    unknown = {a.ticket_id for a in saved if not Activity.ticket.is_cached(a)}
    teams = dict(Ticket.objects.filter(pk__in=unknown).values_list("pk", "team_id"))
    for activity in saved:
        announce(activity, team=teams.get(activity.ticket_id, NO_TEAM))
    return saved


NO_TEAM = object()  # `announce`: the ticket's team is not known without a query


def announce(activity: Activity, *, team: Any = NO_TEAM) -> None:
    """Publish a saved audit-trail entry to the agents, after commit. Once, to `inbox`: every
    agent's connection is in that group (and drops events of tickets it may not see), so
    also sending it to the ticket's, team's and assignee's groups only made each page
    refresh two or three times.

    The event names the ticket's team, so that each connection decides from the teams it
    knows instead of asking the database: with a thousand agents connected, one change
    would otherwise cost a thousand queries in the web processes (docs/performance.md)."""
    from balie.tickets.models import Activity

    data: dict[str, Any] = {"ticket": activity.ticket_id, "activity": activity.pk}
    if team is NO_TEAM and Activity.ticket.is_cached(activity):
        team = activity.ticket.team_id
    if team is not NO_TEAM:
        data["team"] = team
    realtime.publish(["inbox"], activity.kind, data)
