"""The event stream: every domain event has one name in `EventKind` and goes through `emit`.

`emit` writes the audit entry (the ticket's Activity), publishes it to the agents' live sockets
after commit, and hands the event to the consumers named in `settings.EVENT_CONSUMERS`, in that
order (trigger rules, webhook subscriptions, ...). Nobody calls a consumer by hand.

`emit_all` does the same for many events with one INSERT (a burst filed by the intake worker).
Inside `held()` the consumers wait until the block ends, so that an action made of several
steps (open a ticket, file its first message, move its SLA clocks) hands its events over once
every step is done: rules then read the ticket as the action left it. The names are documented
in docs/events.md (a test checks that the two agree).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

from balie.core import realtime
from balie.core.actors import Actor, actor_fields
from balie.core.bulk_inserts import insert_all

if TYPE_CHECKING:
    from collections.abc import Callable

    from balie.tickets.models import Activity, Message, Ticket


class EventKind(StrEnum):
    """Every domain event, dotted `noun.verb_past`: the audit-trail kind, the realtime event,
    the trigger event and the webhook event."""

    TICKET_CREATED = "ticket.created"
    TICKET_UPDATED = "ticket.updated"
    TICKET_ASSIGNED = "ticket.assigned"
    TICKET_REOPENED = "ticket.reopened"
    TICKET_CUSTOMER_CHANGED = "ticket.customer_changed"
    TICKET_SNOOZED = "ticket.snoozed"
    TICKET_SNOOZE_ENDED = "ticket.snooze_ended"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERY_UPDATED = "message.delivery_updated"
    MESSAGE_BOUNCED = "message.bounced"
    NOTE_ADDED = "note.added"
    MACRO_APPLIED = "macro.applied"
    SLA_WARNING = "sla.warning"
    SLA_BREACHED = "sla.breached"
    RULE_APPLIED = "automation.rule_applied"
    RULE_FAILED = "automation.rule_failed"
    LIFECYCLE_REMINDED = "lifecycle.reminded"
    LIFECYCLE_FINAL_NOTICE_SENT = "lifecycle.final_notice_sent"
    LIFECYCLE_SOLVED = "lifecycle.solved"
    LIFECYCLE_CLOSED = "lifecycle.closed"


# The names the ticket actions have always used.
TICKET_CREATED = EventKind.TICKET_CREATED
TICKET_UPDATED = EventKind.TICKET_UPDATED
TICKET_ASSIGNED = EventKind.TICKET_ASSIGNED
TICKET_REOPENED = EventKind.TICKET_REOPENED
MESSAGE_RECEIVED = EventKind.MESSAGE_RECEIVED
MESSAGE_SENT = EventKind.MESSAGE_SENT
MESSAGE_DELIVERY_UPDATED = EventKind.MESSAGE_DELIVERY_UPDATED
MESSAGE_BOUNCED = EventKind.MESSAGE_BOUNCED
NOTE_ADDED = EventKind.NOTE_ADDED
CUSTOMER_LINKED = EventKind.TICKET_CUSTOMER_CHANGED


@dataclass
class Event:
    """One occurrence, as the consumers see it. `message`: the message it is about (a new
    ticket's event carries its first message when both are emitted in one `held()` block);
    `key`: what identifies this occurrence for consumers that act once per occurrence
    (default: the audit entry)."""

    kind: EventKind
    ticket: Ticket
    by: Actor
    data: dict[str, Any]
    activity: Activity
    message: Message | None = None
    key: str = ""


def new_event(
    ticket: Ticket,
    kind: str,
    *,
    by: Actor,
    data: dict[str, Any] | None = None,
    message: Message | None = None,
    key: str = "",
) -> Event:
    """An event and its audit entry, not yet emitted (a caller filing many at once passes them
    to `emit_all`)."""
    from balie.tickets.models import Activity

    kind = EventKind(kind)
    data = data or {}
    agent, label = actor_fields(by)
    activity = Activity(ticket=ticket, kind=kind, actor_agent=agent, actor_label=label, data=data)
    return Event(
        kind=kind, ticket=ticket, by=by, data=data, activity=activity, message=message, key=key
    )


def emit(
    ticket: Ticket,
    kind: str,
    *,
    by: Actor,
    data: dict[str, Any] | None = None,
    message: Message | None = None,
    key: str = "",
) -> Activity:
    """Emit one domain event: its audit entry, its live event after commit, its consumers."""
    event = new_event(ticket, kind, by=by, data=data, message=message, key=key)
    event.activity.save()
    announce(event.activity)
    _hand_over([event])
    return event.activity


def emit_all(events: Sequence[Event]) -> list[Activity]:
    """Emit many events (made by `new_event`): their audit entries in one INSERT, then as
    `emit` does for each, in order."""
    from balie.tickets.models import Activity, Ticket

    saved = insert_all([event.activity for event in events])
    unknown = {a.ticket_id for a in saved if not Activity.ticket.is_cached(a)}
    teams = dict(Ticket.objects.filter(pk__in=unknown).values_list("pk", "team_id"))
    for activity in saved:
        announce(activity, team=teams.get(activity.ticket_id, NO_TEAM))
    _hand_over(list(events))
    return saved


# --- the consumers --------------------------------------------------------------------------


@dataclass
class Hold:
    """The events of one `held()` block: handed over when it ends; `events` then also holds
    what the consumers emitted themselves (a rule's changes)."""

    events: list[Event] = field(default_factory=list)
    handing_over: bool = False


_hold: ContextVar[Hold | None] = ContextVar("balie_event_hold", default=None)


@contextmanager
def held() -> Iterator[Hold]:
    """Consumers wait until the block ends (a nested block joins the outer one); nothing is
    handed over when the block raises."""
    outer = _hold.get()
    if outer is not None and not outer.handing_over:
        yield outer
        return
    hold = Hold()
    token = _hold.set(hold)
    try:
        yield hold
        waiting = list(hold.events)
        hold.handing_over = True
        _run_consumers(_with_first_messages(waiting))
    finally:
        _hold.reset(token)


def _hand_over(events: list[Event]) -> None:
    hold = _hold.get()
    if hold is not None:
        hold.events += events
        if not hold.handing_over:
            return
    _run_consumers(events)


def _with_first_messages(events: list[Event]) -> list[Event]:
    """A new ticket's event carries the first message filed with it."""
    first: dict[int, Any] = {}
    for event in events:
        if event.kind == EventKind.MESSAGE_RECEIVED and event.message is not None:
            first.setdefault(event.ticket.pk, event.message)
    for event in events:
        if event.kind == EventKind.TICKET_CREATED and event.message is None:
            event.message = first.get(event.ticket.pk)
    return events


@cache
def _consumers(paths: tuple[str, ...]) -> tuple[Callable[[Sequence[Event]], None], ...]:
    return tuple(import_string(path) for path in paths)


def consumers() -> tuple[Callable[[Sequence[Event]], None], ...]:
    """The consumers of the stream, in order, from `settings.EVENT_CONSUMERS`."""
    return _consumers(tuple(settings.EVENT_CONSUMERS))


def _run_consumers(events: list[Event]) -> None:
    if not events:
        return
    for consume in consumers():
        consume(events)


# --- live sockets ---------------------------------------------------------------------------

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
