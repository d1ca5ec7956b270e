"""Loading calendars from the database, choosing one for a channel and team, and the one
service that says whether we are open, why not, and when we open next.

Compiled calendars are cached per process. Any change an admin makes bumps a version number in
the shared cache (Redis in production), which every process checks at most every few seconds.
"""

from __future__ import annotations

import time as monotonic_time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils import timezone

from . import business_time
from .business_time import OUTSIDE_HOURS, BusinessCalendar, Reason, WeeklyClosure
from .models import Calendar, CalendarAssignment, ClosureKind

VERSION_KEY = "sla:calendars:version"
CHECK_EVERY = 5.0  # seconds between checks of the shared version
# Exceptional closures further back than this do not matter for any running clock.
PERIOD_HORIZON = timedelta(days=400)


class _Cache:
    def __init__(self) -> None:
        self.version: str | None = None
        self.checked = 0.0
        self.calendars: dict[int, BusinessCalendar] = {}
        self.assignments: dict[tuple[str, int | None], int] | None = None
        self.default_id: int | None = None
        self.policies: list[Any] | None = None

    def fresh(self) -> _Cache:
        now = monotonic_time.monotonic()
        if now - self.checked < CHECK_EVERY:
            return self
        version = cache.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            cache.add(VERSION_KEY, version, timeout=None)
            version = cache.get(VERSION_KEY, version)
        if version != self.version:
            self.__init__()  # type: ignore[misc]
            self.version = version
        self.checked = now
        return self


_cache = _Cache()


def forget_calendars() -> None:
    """Drop every process's compiled calendars and policies (after an admin change)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _cache.__init__()  # type: ignore[misc]


def cached() -> _Cache:
    return _cache.fresh()


def compile_calendar(calendar: Calendar) -> BusinessCalendar:
    weekly: dict[int, list] = {}
    for hours in calendar.opening_hours.all():
        weekly.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    closing_days = {}
    weekly_closures = []
    periods = []
    horizon = timezone.now() - PERIOD_HORIZON
    for closure in calendar.closures.all():
        reason = Reason(closure.reason_nl, closure.reason_en)
        if closure.kind == ClosureKind.DAY and closure.date:
            closing_days[closure.date] = reason
        elif closure.kind == ClosureKind.WEEKLY and closure.start_time and closure.end_time:
            weekly_closures.append(
                WeeklyClosure(
                    weekday=closure.weekday or 0,
                    start=closure.start_time,
                    end=closure.end_time,
                    reason=reason,
                    valid_from=closure.valid_from,
                    valid_until=closure.valid_until,
                )
            )
        elif (
            closure.kind == ClosureKind.PERIOD
            and closure.starts_at
            and closure.ends_at
            and closure.ends_at > horizon
        ):
            periods.append((closure.starts_at, closure.ends_at, reason))
    return BusinessCalendar(
        name=calendar.name,
        tz=ZoneInfo(calendar.timezone),
        weekly_hours=weekly,
        public_holidays=calendar.closed_on_public_holidays,
        liberation_day=calendar.liberation_day,
        good_friday=calendar.closed_on_good_friday,
        closing_days=closing_days,
        weekly_closures=tuple(weekly_closures),
        periods=tuple(sorted(periods, key=lambda p: p[0])),
        pk=calendar.pk,
    )


def business_calendar(calendar: Calendar | int) -> BusinessCalendar:
    """The compiled calendar for a calendar row or id, from the process cache."""
    store = cached()
    pk = calendar if isinstance(calendar, int) else calendar.pk
    found = store.calendars.get(pk)
    if found is None:
        row = Calendar.objects.prefetch_related("opening_hours", "closures").get(pk=pk)
        found = store.calendars[pk] = compile_calendar(row)
    return found


def all_business_calendars() -> dict[int, BusinessCalendar]:
    """Every compiled calendar by id, those not in the process cache read together (three
    queries however many there are): for work that touches clocks of every calendar."""
    store = cached()
    missing = Calendar.objects.exclude(pk__in=list(store.calendars)).prefetch_related(
        "opening_hours", "closures"
    )
    for row in missing:
        store.calendars[row.pk] = compile_calendar(row)
    return dict(store.calendars)


def calendar_id_for(*, channel: str = "", team_id: int | None = None) -> int:
    """The calendar of a channel and team: channel and team, channel alone, team alone, else the
    default calendar."""
    store = cached()
    if store.assignments is None:
        store.assignments = {
            (a.channel, a.team_id): a.calendar_id for a in CalendarAssignment.objects.all()
        }
        default = Calendar.objects.filter(is_default=True).values_list("pk", flat=True).first()
        store.default_id = default or Calendar.objects.values_list("pk", flat=True).first()
    for key in ((channel, team_id), (channel, None), ("", team_id)):
        if key[0] or key[1] is not None:
            found = store.assignments.get(key)
            if found:
                return found
    if store.default_id is None:
        raise Calendar.DoesNotExist("Er is geen openingstijdenagenda ingesteld.")
    return store.default_id


def calendar_for(*, channel: str = "", team_id: int | None = None) -> BusinessCalendar:
    return business_calendar(calendar_id_for(channel=channel, team_id=team_id))


@dataclass(frozen=True)
class OpeningStatus:
    open: bool
    reason: str | None
    next_open: datetime | None
    closes_at: datetime | None
    calendar: str
    closure: Reason | None  # a holiday or closure in force (not just "outside hours")


def opening_status(cal: BusinessCalendar, at: datetime, *, language: str = "nl") -> OpeningStatus:
    """Open now or not, why not, when it opens next, when it closes."""
    closure = cal.closure_at(at)
    if business_time.is_open(cal, at):
        return OpeningStatus(
            open=True,
            reason=None,
            next_open=None,
            closes_at=business_time.closes_at(cal, at),
            calendar=cal.name,
            closure=None,
        )
    try:
        opens = business_time.next_open(cal, at)
    except ValueError:
        opens = None
    return OpeningStatus(
        open=False,
        reason=(closure or OUTSIDE_HOURS).text(language),
        next_open=opens,
        closes_at=None,
        calendar=cal.name,
        closure=closure,
    )


def closure_today(cal: BusinessCalendar, at: datetime) -> Reason | None:
    """A holiday or closing day covering today, or an exceptional closure in force now."""
    day = cal.local_date(at)
    return cal.holiday(day) or next(
        (reason for start, end, reason in cal.periods if start <= at < end), None
    )
