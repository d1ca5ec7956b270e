"""The lifecycle of a ticket waiting on the customer, of solved tickets, and of snoozes.

A ticket in `wacht_op_klant` gets a reminder after N business days, a final notice after F and
is solved after M (`LifecycleSettings`, defaults 3, 5 and 7), counted in business days of the
ticket's calendar from the moment it started waiting (its latest status change to waiting, from
the audit trail). A step never comes sooner after the previous one than the settings' gap, so a
customer always gets the reminder and the final notice before their ticket is solved, even when
the job has not run for a while. A customer's reply reopens the ticket (the ingest pipeline
does that); when it waits again, a new cycle starts. A solved ticket closes after a grace period.

Idempotent: every step inserts a `LifecycleStep` row unique per (ticket, step, cycle) in the
same transaction as the message it sends, so two schedulers or a retry never send twice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation

from balie.core.actors import SYSTEM
from balie.core.language_detection import answer_language
from balie.sla.business_time import BusinessCalendar
from balie.tickets import events as ticket_events
from balie.tickets.events import EventKind, emit
from balie.tickets.models import Activity, Status, Ticket

from .actions import SNOOZE_ENDED
from .models import LifecycleSettings, LifecycleStep, LifecycleStepKind, Snooze

logger = logging.getLogger(__name__)

REMINDED = EventKind.LIFECYCLE_REMINDED
FINAL_NOTICE_SENT = EventKind.LIFECYCLE_FINAL_NOTICE_SENT
AUTO_SOLVED = EventKind.LIFECYCLE_SOLVED
AUTO_CLOSED = EventKind.LIFECYCLE_CLOSED
BATCH = 500

# When no calendar is configured: Monday to Friday, Dutch public holidays closed.
FALLBACK_CALENDAR = BusinessCalendar(
    name="Werkdagen", weekly_hours={day: [(time(8), time(18))] for day in range(5)}
)


@dataclass
class LifecycleRun:
    reminded: int = 0
    final_notices: int = 0
    solved: int = 0
    closed: int = 0
    woken: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def add_business_days(calendar: BusinessCalendar, start: datetime, days: int) -> datetime:
    """The same local time, `days` open days after the local date of `start` (a day counts
    when the calendar has any opening hours on it)."""
    local = start.astimezone(calendar.tz)
    day, counted = local.date(), 0
    for _i in range(3 * 366):
        if counted >= days:
            break
        day += timedelta(days=1)
        if calendar.windows(day):
            counted += 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=calendar.tz)


def ticket_calendar(ticket: Ticket, cache: dict[Any, BusinessCalendar]) -> BusinessCalendar:
    from balie.sla.calendars import calendar_for

    key = (ticket.channel, ticket.team_id)
    if key not in cache:
        try:
            cache[key] = calendar_for(channel=ticket.channel, team_id=ticket.team_id)
        except ObjectDoesNotExist:
            cache[key] = FALLBACK_CALENDAR
    return cache[key]


def waiting_tickets() -> QuerySet[Ticket]:
    """Tickets waiting on the customer, each with `waiting_since`: the latest audit entry that
    set the status to waiting."""
    since = (
        Activity.objects.filter(
            ticket=OuterRef("pk"),
            kind=ticket_events.TICKET_UPDATED,
            data__status__to=Status.PENDING,
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    return (
        Ticket.objects.filter(status=Status.PENDING)
        .annotate(waiting_since=Subquery(since))
        .select_related("customer")
        .order_by("pk")
    )


def next_step_due(
    ticket: Ticket,
    taken: dict[str, datetime],
    calendar: BusinessCalendar,
    config: LifecycleSettings,
) -> tuple[str, datetime] | None:
    """The next step of a waiting ticket's cycle not yet taken, and when it is due."""
    cycle: datetime = ticket.waiting_since  # type: ignore[attr-defined]
    plan = [
        (LifecycleStepKind.REMINDER, config.reminder_after_days, None, 0),
        (
            LifecycleStepKind.FINAL_NOTICE,
            config.final_notice_after_days,
            LifecycleStepKind.REMINDER,
            config.reminder_after_days,
        ),
        (
            LifecycleStepKind.SOLVED,
            config.solve_after_days,
            LifecycleStepKind.FINAL_NOTICE,
            config.final_notice_after_days,
        ),
    ]
    for step, days, previous, previous_days in plan:
        if step in taken:
            continue
        due = add_business_days(calendar, cycle, days)
        if previous is not None:
            gap = max(days - previous_days, 1)
            due = max(due, add_business_days(calendar, taken[previous], gap))
        return step, due
    return None


def _next_step(
    ticket: Ticket,
    taken: dict[str, datetime],
    calendar: BusinessCalendar,
    config: LifecycleSettings,
    now: datetime,
) -> str | None:
    found = next_step_due(ticket, taken, calendar, config)
    return found[0] if found and now >= found[1] else None


def lifecycle_text(step: str, ticket: Ticket, config: LifecycleSettings, calendar: Any) -> str:
    language = answer_language(ticket.language)
    solve_at = add_business_days(
        calendar, timezone.now(), max(config.solve_after_days - config.final_notice_after_days, 1)
    )
    with translation.override(language):
        return render_to_string(
            f"automation/email/lifecycle_{step}.txt",
            {
                "ticket": ticket,
                "customer": ticket.customer,
                "company": settings.BALIE_COMPANY_NAME,
                "solve_at": solve_at,
                "portal_url": settings.BASE_URL + "/portaal/",
            },
        ).strip()


def take_step(
    ticket_id: int,
    step: str,
    *,
    cycle: datetime,
    now: datetime,
    config: LifecycleSettings,
    calendar: BusinessCalendar,
) -> bool:
    """Claim and take one step; False when it was already taken or the ticket moved on."""
    from balie.tickets.actions import add_reply, update_ticket

    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update()
            .select_related("customer")
            .filter(pk=ticket_id, status=Status.PENDING)
            .first()
        )
        if ticket is None:
            return False
        try:
            with transaction.atomic():
                LifecycleStep.objects.create(ticket=ticket, step=step, cycle=cycle, taken_at=now)
        except IntegrityError:
            return False
        text = lifecycle_text(step, ticket, config, calendar)
        sent = None
        try:
            sent = add_reply(ticket, by=SYSTEM, text=text, automatic=True)
        except ValueError as error:  # no address to write to: the step still counts
            logger.info("lifecycle %s of #%s not sent: %s", step, ticket.pk, error)
        kind = {
            LifecycleStepKind.REMINDER: REMINDED,
            LifecycleStepKind.FINAL_NOTICE: FINAL_NOTICE_SENT,
            LifecycleStepKind.SOLVED: AUTO_SOLVED,
        }[LifecycleStepKind(step)]
        emit(
            ticket,
            kind,
            by=SYSTEM,
            data={
                "message": sent.pk if sent else None,
                "waiting_since": cycle.isoformat(),
            },
        )
        if step == LifecycleStepKind.SOLVED:
            update_ticket(ticket, by=SYSTEM, status=Status.SOLVED)
    return True


def remind_waiting_tickets(*, now: datetime, config: LifecycleSettings) -> LifecycleRun:
    result = LifecycleRun()
    calendars: dict[Any, BusinessCalendar] = {}
    last_pk = 0
    while True:
        batch = list(waiting_tickets().filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            break
        last_pk = batch[-1].pk
        steps: dict[tuple[int, datetime], dict[str, datetime]] = {}
        for row in LifecycleStep.objects.filter(ticket_id__in=[t.pk for t in batch]).values(
            "ticket_id", "step", "cycle", "taken_at"
        ):
            steps.setdefault((row["ticket_id"], row["cycle"]), {})[row["step"]] = row["taken_at"]
        for ticket in batch:
            if ticket.waiting_since is None:  # type: ignore[attr-defined]
                ticket.waiting_since = ticket.updated_at  # type: ignore[attr-defined]
            cycle = ticket.waiting_since  # type: ignore[attr-defined]
            calendar = ticket_calendar(ticket, calendars)
            step = _next_step(ticket, steps.get((ticket.pk, cycle), {}), calendar, config, now)
            if step and take_step(
                ticket.pk, step, cycle=cycle, now=now, config=config, calendar=calendar
            ):
                if step == LifecycleStepKind.REMINDER:
                    result.reminded += 1
                elif step == LifecycleStepKind.FINAL_NOTICE:
                    result.final_notices += 1
                else:
                    result.solved += 1
    return result


def close_solved_tickets(*, now: datetime, config: LifecycleSettings) -> int:
    from balie.tickets.actions import update_ticket

    cutoff = now - timedelta(days=config.close_after_days)
    closed = 0
    ids = list(
        Ticket.objects.filter(status=Status.SOLVED, solved_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[: BATCH * 10]
    )
    for pk in ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=pk, status=Status.SOLVED).first()
            if ticket is None or ticket.solved_at is None or ticket.solved_at > cutoff:
                continue
            try:
                with transaction.atomic():
                    LifecycleStep.objects.create(
                        ticket=ticket,
                        step=LifecycleStepKind.CLOSED,
                        cycle=ticket.solved_at,
                        taken_at=now,
                    )
            except IntegrityError:
                continue
            update_ticket(ticket, by=SYSTEM, status=Status.CLOSED)
            emit(
                ticket,
                AUTO_CLOSED,
                by=SYSTEM,
                data={
                    "solved_at": ticket.solved_at.isoformat(),
                    "after_days": config.close_after_days,
                },
            )
            closed += 1
    return closed


def run_lifecycle(*, now: datetime | None = None) -> LifecycleRun:
    """The periodic job: close what was solved long enough ago, then remind, give the final
    notice or solve what waits on the customer."""
    now = now or timezone.now()
    config = LifecycleSettings.current()
    if not config.is_active:
        return LifecycleRun()
    closed = close_solved_tickets(now=now, config=config)  # first: never one solved just now
    result = remind_waiting_tickets(now=now, config=config)
    result.closed = closed
    return result


def wake_snoozed_tickets(*, now: datetime | None = None) -> int:
    """Open every snoozed ticket whose moment has passed (the periodic job)."""
    from balie.tickets.actions import update_ticket

    now = now or timezone.now()
    woken = 0
    for snooze in Snooze.objects.filter(ended_at=None, until__lte=now).order_by("until")[:BATCH]:
        with transaction.atomic():
            claimed = Snooze.objects.filter(pk=snooze.pk, ended_at=None).update(ended_at=now)
            if not claimed:
                continue
            ticket = Ticket.objects.select_for_update().get(pk=snooze.ticket_id)
            if ticket.status != Status.ON_HOLD:
                continue  # an agent already moved it on
            update_ticket(ticket, by=SYSTEM, status=Status.OPEN)
            emit(ticket, SNOOZE_ENDED, by=SYSTEM, data={"until": snooze.until.isoformat()})
            woken += 1
    return woken
