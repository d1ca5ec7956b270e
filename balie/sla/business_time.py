"""Business-time arithmetic on a compiled calendar.

A `BusinessCalendar` knows, per local date, the windows in which the service is open, as UTC
datetimes: opening hours of the weekday minus public holidays, closing days, weekly closures and
exceptional closures. Windows are computed once per date and cached, so a whole closed day is
skipped with one dictionary lookup. All arithmetic is done in UTC, so a daylight-saving change
(last Sunday of March and October) neither adds nor loses an hour.

Every function takes aware datetimes only and returns them in the calendar's time zone.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter

ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)
# How far ahead to look for an opening before deciding a calendar never opens.
MAX_DAYS = 3 * 366

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class Reason:
    """Why the service is closed, in Dutch and English."""

    nl: str
    en: str = ""

    def text(self, language: str = "nl") -> str:
        return (self.en or self.nl) if language == "en" else self.nl


OUTSIDE_HOURS = Reason("buiten openingstijden", "outside opening hours")
GOOD_FRIDAY = Reason("Goede Vrijdag", "Good Friday")
LIBERATION_DAY = Reason("Bevrijdingsdag", "Liberation Day")


@lru_cache(maxsize=64)
def dutch_public_holidays(year: int) -> dict[date, Reason]:
    """The Dutch public holidays of a year from the `holidays` package, without Goede Vrijdag
    and Bevrijdingsdag (each calendar decides on those)."""
    dutch = holidays.NL(years=year, language="nl")
    english = holidays.NL(years=year, language="en_US")
    skip = {easter(year) - timedelta(days=2): "goede vrijdag", date(year, 5, 5): "bevrijdingsdag"}
    result: dict[date, Reason] = {}
    for day in sorted(dutch):
        pairs = [
            (nl, en)
            for nl, en in zip(dutch.get_list(day), english.get_list(day), strict=False)
            if nl.lower() != skip.get(day)
        ]
        if pairs:
            result[day] = Reason(
                " en ".join(p[0] for p in pairs), " and ".join(p[1] for p in pairs)
            )
    return result


def load_public_holidays(today: date | None = None) -> None:
    """Compute this year's and next year's holidays now (a worker at start, before the first
    clock needs them): the `holidays` package imports the data of every country it knows on
    first use, 0.1–0.4 s of one process's time, once."""
    year = (today or date.today()).year
    for each in (year, year + 1):
        dutch_public_holidays(each)


@dataclass(frozen=True)
class WeeklyClosure:
    weekday: int
    start: time
    end: time
    reason: Reason
    valid_from: date | None = None
    valid_until: date | None = None

    def applies(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass
class BusinessCalendar:
    """A calendar ready for arithmetic. Build it once (see `calendars.business_calendar`) and
    reuse it: its windows per date are cached."""

    name: str = "Standaard"
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))
    weekly_hours: Mapping[int, Sequence[tuple[time, time]]] = field(default_factory=dict)
    public_holidays: bool = True
    liberation_day: str = "lustrum"  # every_year, lustrum, never
    good_friday: bool = False
    closing_days: Mapping[date, Reason] = field(default_factory=dict)
    weekly_closures: Sequence[WeeklyClosure] = ()
    periods: Sequence[tuple[datetime, datetime, Reason]] = ()
    pk: int | None = None
    _windows: dict[date, tuple[Window, ...]] = field(default_factory=dict, repr=False)

    # --- what a date looks like ----------------------------------------------------------

    def holiday(self, day: date) -> Reason | None:
        """The public holiday or closing day that closes this whole date, if any."""
        if day in self.closing_days:
            return self.closing_days[day]
        if not self.public_holidays:
            return None
        found = dutch_public_holidays(day.year).get(day)
        if found:
            return found
        if self.good_friday and day == easter(day.year) - timedelta(days=2):
            return GOOD_FRIDAY
        if (day.month, day.day) == (5, 5) and (
            self.liberation_day == "every_year"
            or (self.liberation_day == "lustrum" and day.year % 5 == 0)
        ):
            return LIBERATION_DAY
        return None

    def _at(self, day: date, moment: time, *, end: bool = False) -> datetime:
        """A local time of a date in UTC; as an end, 00:00 means the midnight after it."""
        if end and moment == time(0):
            day, moment = day + ONE_DAY, time(0)
        return datetime.combine(day, moment, tzinfo=self.tz).astimezone(UTC)

    def windows(self, day: date) -> tuple[Window, ...]:
        """The open windows of a local date, in UTC, sorted and not overlapping."""
        cached = self._windows.get(day)
        if cached is not None:
            return cached
        result: list[Window] = []
        if self.holiday(day) is None:
            result = merge(
                (self._at(day, opens), self._at(day, closes, end=True))
                for opens, closes in self.weekly_hours.get(day.weekday(), ())
            )
            cuts = [
                (self._at(day, c.start), self._at(day, c.end, end=True))
                for c in self.weekly_closures
                if c.applies(day)
            ]
            if result and self.periods:
                first, last = result[0][0], result[-1][1]
                cuts += [(s, e) for s, e, _r in self.periods if s < last and e > first]
            if cuts:
                result = subtract(result, cuts)
        windows = tuple(result)
        self._windows[day] = windows
        return windows

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def closure_at(self, moment: datetime) -> Reason | None:
        """The reason the service is closed at this moment, other than its normal hours: a
        holiday, closing day, exceptional closure or weekly closure."""
        moment = moment.astimezone(UTC)
        day = self.local_date(moment)
        found = self.holiday(day)
        if found:
            return found
        for start, end, reason in self.periods:
            if start <= moment < end:
                return reason
        for closure in self.weekly_closures:
            if not closure.applies(day):
                continue
            if self._at(day, closure.start) <= moment < self._at(day, closure.end, end=True):
                return closure.reason
        return None

    def has_hours(self) -> bool:
        return any(self.weekly_hours.get(d) for d in range(7))


def merge(windows: Iterable[Window]) -> list[Window]:
    result: list[Window] = []
    for start, end in sorted(w for w in windows if w[1] > w[0]):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def subtract(windows: Sequence[Window], cuts: Iterable[Window]) -> list[Window]:
    result = list(windows)
    for cut_start, cut_end in cuts:
        pieces: list[Window] = []
        for start, end in result:
            if cut_end <= start or cut_start >= end:
                pieces.append((start, end))
                continue
            if start < cut_start:
                pieces.append((start, cut_start))
            if cut_end < end:
                pieces.append((cut_end, end))
        result = pieces
    return result


# --- arithmetic ---------------------------------------------------------------------------


def _calendar(calendar: Any) -> BusinessCalendar:
    if isinstance(calendar, BusinessCalendar):
        return calendar
    from .calendars import business_calendar

    return business_calendar(calendar)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs an aware datetime")
    return moment.astimezone(UTC)


def _days_from(cal: BusinessCalendar, moment: datetime) -> Iterable[date]:
    day = cal.local_date(moment)
    for _i in range(MAX_DAYS):
        yield day
        day += ONE_DAY
    raise ValueError(f"agenda {cal.name} is binnen {MAX_DAYS} dagen nooit open")


def add_business_time(calendar: Any, start: datetime, duration: timedelta) -> datetime:
    """The moment `duration` of business time after `start`. A zero duration outside opening
    hours gives the next opening; a result may be a closing moment (the last open instant)."""
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    cal = _calendar(calendar)
    moment = _utc(start)
    remaining = duration
    for day in _days_from(cal, moment):
        for window_start, window_end in cal.windows(day):
            if window_end <= moment and not (remaining == ZERO and window_end == moment):
                continue
            begin = max(window_start, moment)
            span = window_end - begin
            if remaining <= span:
                return (begin + remaining).astimezone(cal.tz)
            remaining -= span
    raise AssertionError("unreachable")


def business_time_between(calendar: Any, a: datetime, b: datetime) -> timedelta:
    """Business time from a to b (negative when b is before a)."""
    cal = _calendar(calendar)
    a, b = _utc(a), _utc(b)
    if b < a:
        return -business_time_between(cal, b, a)
    total = ZERO
    day, last = cal.local_date(a), cal.local_date(b)
    while day <= last:
        for window_start, window_end in cal.windows(day):
            start, end = max(window_start, a), min(window_end, b)
            if end > start:
                total += end - start
        day += ONE_DAY
    return total


def is_open(calendar: Any, at: datetime) -> bool:
    cal = _calendar(calendar)
    moment = _utc(at)
    return any(s <= moment < e for s, e in cal.windows(cal.local_date(moment)))


def next_open(calendar: Any, at: datetime) -> datetime:
    """The first moment at or after `at` when the service is open."""
    cal = _calendar(calendar)
    moment = _utc(at)
    if not cal.has_hours():
        raise ValueError(f"agenda {cal.name} heeft geen openingstijden")
    for day in _days_from(cal, moment):
        for window_start, window_end in cal.windows(day):
            if window_end > moment:
                return max(window_start, moment).astimezone(cal.tz)
    raise AssertionError("unreachable")


def closes_at(calendar: Any, at: datetime) -> datetime | None:
    """When the open stretch containing `at` ends (following windows that touch across
    midnight); None when closed at `at`."""
    cal = _calendar(calendar)
    moment = _utc(at)
    end: datetime | None = None
    for day in _days_from(cal, moment):
        touched = False
        for window_start, window_end in cal.windows(day):
            starts_here = end is None and window_start <= moment < window_end
            if starts_here or (end is not None and window_start == end):
                end, touched = window_end, True
        if end is None or (not touched and day > cal.local_date(end)):
            break
    return end.astimezone(cal.tz) if end else None


# --- many clocks on one calendar ------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# Days a table covers at first, and at least per extension.
TABLE_DAYS = 64


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def micros_of(moment: datetime) -> int:
    """An aware moment as whole microseconds since 1970 (what `BusinessTimeTable` counts in);
    a naive one cannot be subtracted from 1970 in UTC and raises TypeError."""
    return _micros(moment)


def moment_of(micros: int) -> datetime:
    """The aware UTC moment of a number of microseconds since 1970."""
    return EPOCH + micros * MICROSECOND


class BusinessTimeTable:
    """A calendar's open windows from one local date on, as whole microseconds since 1970, with
    the business time before each window: `add` answers `add_business_time` with two binary
    searches instead of a walk over the windows, for recomputing thousands of clocks at once.
    The same answers, to the microsecond (a test compares them across closures, holidays,
    daylight-saving changes and windows that touch at midnight). The table grows to the dates
    asked for; a calendar that stays closed longer than `MAX_DAYS` is left to
    `add_business_time`, which says so."""

    def __init__(self, cal: BusinessCalendar, first_day: date) -> None:
        self.cal = cal
        self._build(first_day, TABLE_DAYS)

    def _build(self, first_day: date, days: int) -> None:
        self.first_day = first_day
        # Only a moment before this one can lie on a local date before `first_day` (no time
        # zone is a day away from UTC).
        self.check_before = _micros(datetime.combine(first_day + ONE_DAY, time(0), tzinfo=UTC))
        self.next_day = first_day  # the first date not covered yet
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.before: list[int] = []  # business time before each window
        self.through: list[int] = []  # business time up to each window's end
        self.days: list[date] = []  # the local date each window belongs to
        self._extend(days)

    def _extend(self, days: int) -> None:
        total = self.through[-1] if self.through else 0
        day = self.next_day
        for _i in range(days):
            for window_start, window_end in self.cal.windows(day):
                start, end = _micros(window_start), _micros(window_end)
                self.starts.append(start)
                self.ends.append(end)
                self.before.append(total)
                total += end - start
                self.through.append(total)
                self.days.append(day)
            day += ONE_DAY
        self.next_day = day

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """`add_business_time(cal, start, duration)`."""
        if duration < ZERO:
            raise ValueError("duration must not be negative")
        result = self.add_micros(_micros(_utc(start)), duration // MICROSECOND)
        return (EPOCH + result * MICROSECOND).astimezone(self.cal.tz)

    def add_micros(self, m: int, d: int) -> int:
        """`add`, with the start and the result as whole microseconds since 1970 and the
        duration in microseconds (not negative): no datetime is made for a clock whose due
        moment does not move."""
        day: date | None = None  # the local date of the start, when it is needed

        def local_day() -> date:
            return self.cal.local_date(EPOCH + m * MICROSECOND)

        if m < self.check_before:
            day = local_day()
            if day < self.first_day:
                # Start again from further back (at least twice as many days: rarely rebuilt).
                covered = (self.next_day - self.first_day).days
                earlier = min(day, self.first_day - timedelta(days=covered))
                self._build(earlier, (self.next_day - earlier).days)
        while True:
            k = bisect_left(self.ends, m)  # the first window that ends at or after `m`
            # A window of an earlier date ending at this very moment (open until midnight) is
            # not this date's: a zero duration then gives this date's opening.
            if k < len(self.ends) and d == 0 and self.ends[k] == m:
                day = day or local_day()
                if self.days[k] < day:
                    k += 1
            if k < len(self.ends):
                position = self.before[k] + max(0, m - self.starts[k])
                target = position + d
                i = bisect_left(self.through, target, lo=k)
                if i < len(self.through):
                    return self.starts[i] + (target - self.before[i])
            day = day or local_day()
            if (self.next_day - day).days > MAX_DAYS:
                start = EPOCH + m * MICROSECOND
                return _micros(add_business_time(self.cal, start, d * MICROSECOND))
            self._extend(max(TABLE_DAYS, (self.next_day - self.first_day).days))
