"""Every write on SLA clocks, called explicitly by the ticket actions at the moments that
matter (no signals):

- a ticket is created                      -> `start_clocks`
- an agent answers                         -> `record_agent_response`
- the customer writes again                -> `record_customer_message`
- status changes (pending, on hold, open,
  solved, closed, reopened)                -> `follow_status_change`
- priority, type or team changes           -> `retarget_clocks`

After each, the ticket's due fields (`first_response_due_at`, `next_response_due_at`,
`resolution_due_at`, `sla_next_due_at`) are brought in step with its running clocks.
Warnings, breaches and escalations are in `escalations.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from balie.core.actors import Actor
from balie.core.bulk_inserts import insert_all

from . import business_time
from .business_time import Reason
from .calendars import all_business_calendars, business_calendar, calendar_id_for, closure_today
from .models import ACTIVE_STATES, Calendar, ClockKind, ClockState, SlaClock, SlaPolicy
from .policies import Target, choose_policy, targets

if TYPE_CHECKING:
    from balie.tickets.models import Ticket

logger = logging.getLogger(__name__)

# Statuses after which every clock of a ticket ends.
DONE_STATUSES = ("solved", "closed")
PENDING, ON_HOLD = "pending", "on_hold"
DUE_FIELDS = {
    ClockKind.FIRST_RESPONSE: "first_response_due_at",
    ClockKind.NEXT_RESPONSE: "next_response_due_at",
    ClockKind.RESOLUTION: "resolution_due_at",
}


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def paused_by(policy: SlaPolicy, status: str) -> bool:
    return (status == PENDING and policy.pause_when_pending) or (
        status == ON_HOLD and policy.pause_when_on_hold
    )


def _open_clock(
    ticket: Ticket, *, policy: SlaPolicy, calendar_id: int, target: Target, at: datetime
) -> SlaClock:
    clock = _new_clock(ticket, policy=policy, calendar_id=calendar_id, target=target, at=at)
    clock.save()
    return clock


def _new_clock(
    ticket: Ticket, *, policy: SlaPolicy, calendar_id: int, target: Target, at: datetime
) -> SlaClock:
    """A clock started at `at`, not yet saved."""
    clock = SlaClock(
        ticket=ticket,
        policy=policy,
        calendar_id=calendar_id,
        kind=target.kind,
        target_seconds=target.seconds,
        warn_seconds=target.warn_seconds,
        started_at=at,
        resumed_at=at,
    )
    if paused_by(policy, ticket.status):
        clock.state = ClockState.PAUSED
    else:
        _schedule(clock, at)
    return clock


def _schedule(clock: SlaClock, at: datetime) -> None:
    """Set due and warning moments from `at` and the business time still left."""
    cal = business_calendar(clock.calendar_id)
    clock.resumed_at = at
    left = max(0, clock.target_seconds - clock.used_seconds)
    warn_left = max(0, clock.warn_seconds - clock.used_seconds)
    clock.due_at = business_time.add_business_time(cal, at, timedelta(seconds=left))
    clock.warn_at = business_time.add_business_time(cal, at, timedelta(seconds=warn_left))


def sync_due_times(ticket: Ticket, *, clocks: Iterable[SlaClock] | None = None) -> None:
    """Copy the due moments of the ticket's running clocks onto the ticket (for the inbox).
    `clocks`: every clock the ticket has, when the caller holds them (a new ticket's)."""
    if clocks is None:
        clocks = list(
            ticket.sla_clocks.filter(state=ClockState.RUNNING).only("kind", "state", "due_at")
        )
    fields = set_due_fields(ticket, clocks)
    ticket.save(update_fields=[*fields, "sla_policy"])


def set_due_fields(ticket: Ticket, clocks: Iterable[SlaClock]) -> list[str]:
    """Set the ticket's due fields from these clocks (every clock it has, or at least every
    running one), in memory; returns the names of the fields."""
    due: dict[str, datetime | None] = dict.fromkeys(DUE_FIELDS.values())
    for clock in clocks:
        if clock.state != ClockState.RUNNING:
            continue
        name = DUE_FIELDS[ClockKind(clock.kind)]
        if clock.due_at and (due[name] is None or clock.due_at < due[name]):
            due[name] = clock.due_at
    moments = [d for d in due.values() if d]
    due["sla_next_due_at"] = min(moments) if moments else None
    for name, value in due.items():
        setattr(ticket, name, value)
    return list(due)


def start_clocks(ticket: Ticket, *, by: Actor, at: datetime | None = None) -> list[SlaClock]:
    """A new ticket (which has no clocks yet): choose its policy and calendar, start
    first-response and resolution."""
    clocks = plan_clocks(ticket, at=at)
    # One INSERT for all: atomic by itself.
    clocks = insert_all(clocks)
    ticket.save(update_fields=[*DUE_FIELDS.values(), "sla_next_due_at", "sla_policy"])
    return clocks


def plan_clocks(
    ticket: Ticket, *, at: datetime | None = None, with_message: bool = False
) -> list[SlaClock]:
    """The clocks a new ticket starts with, not yet saved; sets the ticket's policy and due
    fields in memory. The ticket may not be saved yet either: a caller filing many tickets
    at once inserts them first, then points the clocks at them. `with_message`: the ticket
    opens with a customer's message, as `record_customer_message(first=True)` would add."""
    at = _now(at)
    tier = getattr(ticket.customer, "tier", "standard")
    policy = choose_policy(
        channel=ticket.channel, priority=ticket.priority, type=ticket.type, tier=tier
    )
    ticket.sla_policy = policy
    clocks = []
    try:
        calendar_id = calendar_id_for(channel=ticket.channel, team_id=ticket.team_id)
    except Calendar.DoesNotExist:
        logger.warning("no business-hours calendar: ticket #%s gets no SLA clocks", ticket.pk)
        policy = ticket.sla_policy = None
    if policy is not None:
        found = targets(policy, priority=ticket.priority)
        clocks = [
            _new_clock(ticket, policy=policy, calendar_id=calendar_id, target=found[kind], at=at)
            for kind in (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION)
            if kind in found
        ]
        if with_message and ClockKind.FIRST_RESPONSE not in found:
            clock = next_response_clock(ticket, clocks, at=at)
            clocks += [clock] if clock else []
    set_due_fields(ticket, clocks)
    return clocks


def _active(ticket: Ticket, kinds: Iterable[str] | None = None) -> list[SlaClock]:
    qs = SlaClock.objects.filter(ticket=ticket, state__in=ACTIVE_STATES)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return list(qs.select_for_update())


def _end(clocks: Iterable[SlaClock], *, state: str, at: datetime) -> int:
    """End clocks. A target met after its due moment counts as breached even when the periodic
    check had not seen it yet (it runs once a minute, and may have been down)."""
    from balie.core.actors import SYSTEM
    from balie.tickets.events import emit
    from balie.tickets.models import Ticket

    from . import events

    ended = 0
    for clock in clocks:
        fields = ["state", "ended_at"]
        clock.state = state
        clock.ended_at = at
        late = (
            state == ClockState.MET
            and clock.breached_at is None
            and clock.due_at is not None
            and at > clock.due_at
        )
        if late:
            clock.breached_at = clock.due_at
            fields.append("breached_at")
        clock.save(update_fields=fields)
        if late:
            Ticket.objects.filter(pk=clock.ticket_id, sla_breached_at__isnull=True).update(
                sla_breached_at=clock.due_at
            )
            emit(
                clock.ticket,
                events.SLA_BREACHED,
                by=SYSTEM,
                data={
                    "clock": clock.pk,
                    "kind": clock.kind,
                    "due_at": clock.due_at.isoformat(),
                    "met_late": True,
                },
            )
        ended += 1
    return ended


def record_agent_response(ticket: Ticket, *, by: Actor, at: datetime | None = None) -> int:
    """An agent answered the customer: the first and next response targets are met."""
    at = _now(at)
    # Within the answer's own transaction (`add_reply`) without a savepoint of its own: a
    # failure here fails the answer, and each answer saves two round trips.
    with transaction.atomic(savepoint=False):
        met = _end(
            _active(ticket, [ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE]),
            state=ClockState.MET,
            at=at,
        )
        if met:
            sync_due_times(ticket)
    return met


def record_customer_message(
    ticket: Ticket, *, by: Actor, at: datetime | None = None, first: bool = False
) -> SlaClock | None:
    """The customer wrote again: a next-response clock starts unless a response is already
    owed (the first response, or an earlier next response). `first`: the ticket's first
    message, right after `start_clocks` (whose first-response clock, if the policy has one,
    is owed: nothing to read)."""
    policy = ticket.sla_policy
    if policy is None or ticket.status in DONE_STATUSES:
        return None
    found = targets(policy, priority=ticket.priority)
    if (first and ClockKind.FIRST_RESPONSE in found) or ClockKind.NEXT_RESPONSE not in found:
        return None
    # No savepoint of its own inside the caller's transaction: nothing here is caught and
    # survived (a failure fails the caller's whole transaction).
    with transaction.atomic(savepoint=False):
        clock = next_response_clock(ticket, _active(ticket), at=_now(at))
        if clock is not None:
            clock.save()
            ticket.save(update_fields=[*DUE_FIELDS.values(), "sla_next_due_at", "sla_policy"])
    return clock


def next_response_clock(ticket: Ticket, active: list[SlaClock], *, at: datetime) -> SlaClock | None:
    """For a caller holding every active clock of the ticket (locked): the next-response
    clock a customer's message starts, not yet saved, with the ticket's due fields set in
    memory; None when a response is already owed or the policy has no such target."""
    policy = ticket.sla_policy
    if policy is None or ticket.status in DONE_STATUSES:
        return None
    target = targets(policy, priority=ticket.priority).get(ClockKind.NEXT_RESPONSE)
    owed = (ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE)
    if target is None or any(clock.kind in owed for clock in active):
        return None
    calendar_id = calendar_id_for(channel=ticket.channel, team_id=ticket.team_id)
    clock = _new_clock(ticket, policy=policy, calendar_id=calendar_id, target=target, at=at)
    set_due_fields(ticket, [*active, clock])
    return clock


def follow_status_change(
    ticket: Ticket, *, old: str, new: str, by: Actor, at: datetime | None = None
) -> None:
    """Solved or closed: resolution met, other clocks stopped. Reopened: a new resolution clock.
    Waiting on the customer or on hold: clocks pause (per policy); back to open: they resume."""
    policy = ticket.sla_policy
    if policy is None or old == new:
        return
    at = _now(at)
    with transaction.atomic():
        if new in DONE_STATUSES:
            clocks = _active(ticket)
            _end([c for c in clocks if c.kind == ClockKind.RESOLUTION], state=ClockState.MET, at=at)
            _end(
                [c for c in clocks if c.kind != ClockKind.RESOLUTION],
                state=ClockState.STOPPED,
                at=at,
            )
        elif old in DONE_STATUSES:
            target = targets(policy, priority=ticket.priority).get(ClockKind.RESOLUTION)
            if target and not _active(ticket, [ClockKind.RESOLUTION]):
                calendar_id = calendar_id_for(channel=ticket.channel, team_id=ticket.team_id)
                _open_clock(ticket, policy=policy, calendar_id=calendar_id, target=target, at=at)
        elif paused_by(policy, new):
            pause_clocks(_active(ticket), at=at)
        else:
            resume_clocks(_active(ticket), at=at)
        sync_due_times(ticket)


def retarget_clocks(ticket: Ticket, *, by: Actor, at: datetime | None = None) -> int:
    """The ticket's priority, type or team changed: its active clocks take the targets the
    policy gives for the new priority (the policy chosen again, as for a new ticket) and the
    calendar of its (new) team. The business time already spent counts on the calendar it was
    spent in; what is left runs from now on the new calendar. A target the new policy lacks
    stops its clock. Returns the number of clocks changed."""
    at = _now(at)
    tier = getattr(ticket.customer, "tier", "standard")
    policy = (
        choose_policy(channel=ticket.channel, priority=ticket.priority, type=ticket.type, tier=tier)
        or ticket.sla_policy
    )
    if policy is None:
        return 0
    try:
        calendar_id = calendar_id_for(channel=ticket.channel, team_id=ticket.team_id)
    except Calendar.DoesNotExist:
        return 0
    found = targets(policy, priority=ticket.priority)
    changed = 0
    with transaction.atomic():
        clocks = _active(ticket)
        gone = [c for c in clocks if c.kind not in found]
        changed += _end(gone, state=ClockState.STOPPED, at=at)
        for clock in clocks:
            if clock in gone:
                continue
            target = found[clock.kind]
            same = (
                clock.policy_id == policy.pk
                and clock.calendar_id == calendar_id
                and clock.target_seconds == target.seconds
                and clock.warn_seconds == target.warn_seconds
            )
            if same:
                continue
            fields = ["policy", "calendar", "target_seconds", "warn_seconds"]
            if clock.state == ClockState.RUNNING:
                spent = business_time.business_time_between(
                    business_calendar(clock.calendar_id), clock.resumed_at, at
                )
                clock.used_seconds += max(0, int(spent.total_seconds()))
                fields += ["used_seconds", "resumed_at", "due_at", "warn_at"]
            clock.policy = policy
            clock.calendar_id = calendar_id
            clock.target_seconds, clock.warn_seconds = target.seconds, target.warn_seconds
            if clock.state == ClockState.RUNNING:
                _schedule(clock, at)
            clock.save(update_fields=fields)
            changed += 1
        if changed or ticket.sla_policy_id != policy.pk:
            ticket.sla_policy = policy
            sync_due_times(ticket)
    return changed


def pause_clocks(clocks: Iterable[SlaClock], *, at: datetime) -> int:
    paused = 0
    for clock in clocks:
        if clock.state != ClockState.RUNNING:
            continue
        cal = business_calendar(clock.calendar_id)
        spent = business_time.business_time_between(cal, clock.resumed_at, at)
        clock.used_seconds += max(0, int(spent.total_seconds()))
        clock.state = ClockState.PAUSED
        clock.due_at = clock.warn_at = None
        clock.save(update_fields=["used_seconds", "state", "due_at", "warn_at"])
        paused += 1
    return paused


def resume_clocks(clocks: Iterable[SlaClock], *, at: datetime) -> int:
    resumed = 0
    for clock in clocks:
        if clock.state != ClockState.PAUSED:
            continue
        clock.state = ClockState.RUNNING
        _schedule(clock, at)
        clock.save(update_fields=["state", "resumed_at", "due_at", "warn_at"])
        resumed += 1
    return resumed


def promise_for(
    ticket: Ticket,
    *,
    at: datetime | None = None,
    language: str | None = None,
    from_ticket: bool = False,
) -> tuple[datetime | None, str | None]:
    """What we tell the customer: the moment by which they will have an answer (the first
    running response clock), and the reason we are closed today, if we are. `from_ticket`:
    the ticket's due fields are in step with its clocks (a new ticket whose clocks were
    started by `start_clocks` and changed only through these actions since): read no clocks."""
    at = _now(at)
    language = language or getattr(ticket.customer, "language", "nl") or "nl"
    if from_ticket:
        responses = [d for d in (ticket.first_response_due_at, ticket.next_response_due_at) if d]
        due_at = min(responses) if responses else None
        calendar_id: int | None = None
    else:
        clock = (
            ticket.sla_clocks.filter(
                state=ClockState.RUNNING,
                kind__in=[ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE],
            )
            .order_by("due_at")
            .first()
        )
        due_at = clock.due_at if clock else None
        calendar_id = clock.calendar_id if clock else None
    try:
        if calendar_id is None:
            calendar_id = calendar_id_for(channel=ticket.channel, team_id=ticket.team_id)
    except Calendar.DoesNotExist:
        return None, None
    closed: Reason | None = closure_today(business_calendar(calendar_id), at)
    return due_at, (closed.text(language) if closed else None)


def recompute_due_times(*, calendar_id: int | None = None, batch: int = 5000) -> int:
    """Recompute due and warning moments of every running clock (after an admin changed a
    calendar), and the due fields of the tickets whose clocks moved. Returns the number of
    clocks.

    Built for 100,000 open tickets in seconds: one streaming read, the arithmetic on a table of
    each calendar's windows, and batched UPDATEs of only the clocks and tickets that moved."""
    from balie.tickets.models import Ticket

    clocks = SlaClock.objects.filter(state=ClockState.RUNNING)
    if calendar_id is not None:
        # Every running clock of the tickets concerned, so their due fields come out whole.
        clocks = clocks.filter(
            ticket_id__in=SlaClock.objects.filter(
                state=ClockState.RUNNING, calendar_id=calendar_id
            ).values("ticket_id")
        )
    rows = clocks.values_list(
        "id",
        "ticket_id",
        "kind",
        "calendar_id",
        "resumed_at",
        "target_seconds",
        "warn_seconds",
        "used_seconds",
        "due_at",
        "warn_at",
    ).order_by("id")
    to_db = _db_datetime()
    # Moments as whole microseconds since 1970 (business_time.BusinessTimeTable): a datetime
    # is made only for what is written.
    micros, moment = business_time.micros_of, business_time.moment_of
    due_by_ticket: dict[int, dict[str, int]] = {}
    moved: set[int] = set()  # tickets with a clock whose moments changed
    updates: list[tuple[Any, Any, int]] = []
    count = 0
    # One table of open windows per calendar: two binary searches per moment instead of a
    # walk over the days (business_time.BusinessTimeTable, the same answers).
    tables: dict[int, business_time.BusinessTimeTable] = {}
    calendars = all_business_calendars()
    field_of_kind = {str(kind): name for kind, name in DUE_FIELDS.items()}
    # SQLite cannot update a table while a read of it is still open: read it whole first.
    source = list(rows) if connection.vendor == "sqlite" else rows.iterator(chunk_size=batch)
    for pk, ticket_id, kind, cal_id, resumed_at, target, warn, used, old_due, old_warn in source:
        table = tables.get(cal_id)
        if table is None:
            cal = calendars.get(cal_id) or business_calendar(cal_id)
            table = tables[cal_id] = business_time.BusinessTimeTable(
                cal, cal.local_date(resumed_at)
            )
        warn_left = max(0, warn - used)
        warn_at = table.add_micros(micros(resumed_at), warn_left * 1_000_000)
        # Splitting a duration gives the same end: continue from the warning moment.
        due = table.add_micros(warn_at, (max(0, target - used) - warn_left) * 1_000_000)
        fields = due_by_ticket.setdefault(ticket_id, {})
        name = field_of_kind[kind]
        if name not in fields or due < fields[name]:
            fields[name] = due
        count += 1
        # A calendar change moves some due moments; the others are not written again (each
        # write is a new row version of the clock and of its ticket, in every index).
        if (
            old_due is not None
            and old_warn is not None
            and due == micros(old_due)
            and warn_at == micros(old_warn)
        ):
            continue
        moved.add(ticket_id)
        updates.append((to_db(moment(due)), to_db(moment(warn_at)), pk))
        if len(updates) >= batch:
            with transaction.atomic():
                _write(SlaClock._meta.db_table, ["due_at", "warn_at"], updates)
            updates = []
    ticket_rows = []
    for ticket_id in moved:
        fields = due_by_ticket[ticket_id]
        ticket_rows.append(
            (
                *(
                    to_db(moment(fields[name]) if name in fields else None)
                    for name in DUE_FIELDS.values()
                ),
                to_db(moment(min(fields.values()))),
                ticket_id,
            )
        )
    columns = [*DUE_FIELDS.values(), "sla_next_due_at"]
    # The last clocks and the tickets' due fields in one transaction: the tickets show their
    # clocks' moments together, and a change of a few hundred clocks costs one commit.
    with transaction.atomic():
        _write(SlaClock._meta.db_table, ["due_at", "warn_at"], updates)
        for i in range(0, len(ticket_rows), batch):
            _write(Ticket._meta.db_table, columns, ticket_rows[i : i + batch])
    return count


def _db_datetime() -> Any:
    """How a datetime goes into a raw query: PostgreSQL takes aware datetimes; SQLite stores
    naive UTC text (as Django does)."""
    if connection.vendor == "sqlite":
        return lambda d: (
            None if d is None else d.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        )
    return lambda d: d


def _write(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Set datetime `columns` of many rows by id: `(value, ..., id)` per row. On PostgreSQL one
    UPDATE per batch joined to unnest()ed arrays; elsewhere executemany. A row whose values
    are already these is left alone: after a calendar change most due moments stay where they
    were, and rewriting them anyway made PostgreSQL write a new version of every open ticket
    and clock, with an entry in each of their indexes. Table and column names come from the
    models, never from input."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(f"v{i}" for i in range(len(columns)))
            sets = ", ".join(f"{c} = v.v{i}" for i, c in enumerate(columns))
            old = ", ".join(f"t.{c}" for c in columns)
            new = ", ".join(f"v.v{i}" for i in range(len(columns)))
            arrays = ", ".join(["%s::timestamptz[]"] * len(columns))
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} "  # noqa: S608
                f"FROM unnest({arrays}, %s::bigint[]) AS v({names}, id) "
                f"WHERE t.id = v.id AND ({old}, 0) IS DISTINCT FROM ({new}, 0)",
                [list(values) for values in zip(*rows, strict=True)],
            )
        else:
            sets = ", ".join(f"{c} = %s" for c in columns)
            changed = " OR ".join(f"{c} IS NOT %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s AND ({changed})",  # noqa: S608
                [(*row[:-1], row[-1], *row[:-1]) for row in rows],
            )
