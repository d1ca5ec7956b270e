"""Business-time arithmetic: examples a service desk knows, and hypothesis properties over
weekends, Dutch holidays, daylight-saving changes, weekly closures and closures spanning days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balie.sla.business_time import (
    BusinessCalendar,
    Reason,
    WeeklyClosure,
    add_business_time,
    business_time_between,
    closes_at,
    is_open,
    next_open,
)

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = {day: [(time(8), time(18))] for day in range(5)}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def office(**kwargs) -> BusinessCalendar:
    return BusinessCalendar(name="Kantoortijden", weekly_hours=OFFICE, **kwargs)


def busy_calendar() -> BusinessCalendar:
    """Split days, a Saturday, a weekly Wednesday-afternoon closure, a closing day and an
    outage spanning three days across the autumn clock change."""
    hours = {day: [(time(8), time(12, 30)), (time(13, 30), time(18))] for day in range(5)}
    hours[5] = [(time(10), time(14))]
    hours[6] = [(time(0, 30), time(4))]  # a night shift over the spring-forward gap
    return BusinessCalendar(
        name="Druk",
        weekly_hours=hours,
        closing_days={date(2026, 12, 24): Reason("Kerstavond", "Christmas Eve")},
        weekly_closures=(WeeklyClosure(2, time(12), time(17), Reason("Teamoverleg", "Meeting")),),
        periods=((at(2026, 10, 23, 15), at(2026, 10, 27, 11), Reason("Verhuizing", "Moving")),),
        liberation_day="every_year",
        good_friday=True,
    )


# --- examples ---------------------------------------------------------------------------


def test_eight_business_hours_from_friday_evening_before_pinksteren_end_on_tuesday():
    cal = office()
    due = add_business_time(cal, at(2026, 5, 22, 20, 0), timedelta(hours=8))
    # Saturday, Sunday (Eerste Pinksterdag) and Monday 25 May (Tweede Pinksterdag) are closed.
    assert due == at(2026, 5, 26, 16, 0)


def test_koningsdag_is_closed_and_the_next_opening_is_the_day_after():
    cal = office()
    koningsdag = at(2027, 4, 27, 10, 0)  # a Tuesday
    assert not is_open(cal, koningsdag)
    assert cal.closure_at(koningsdag) == Reason("Koningsdag", "King's Day")
    assert next_open(cal, koningsdag) == at(2027, 4, 28, 8, 0)


def test_bevrijdingsdag_closes_only_in_lustrum_years_by_default_and_can_be_every_year():
    lustrum = office()
    assert not is_open(lustrum, at(2025, 5, 5, 10))
    assert is_open(lustrum, at(2026, 5, 5, 10))
    every_year = office(liberation_day="every_year")
    assert not is_open(every_year, at(2026, 5, 5, 10))
    assert every_year.closure_at(at(2026, 5, 5, 10)).nl == "Bevrijdingsdag"


def test_goede_vrijdag_is_a_choice_of_the_calendar():
    assert is_open(office(), at(2026, 4, 3, 10))
    assert not is_open(office(good_friday=True), at(2026, 4, 3, 10))


def test_business_time_across_the_spring_clock_change_counts_real_hours():
    cal = BusinessCalendar(weekly_hours={d: [(time(0), time(0))] for d in range(7)})
    # 29 March 2026, 02:00 becomes 03:00: that Sunday is 23 hours long.
    start, end = at(2026, 3, 29, 0, 0), at(2026, 3, 30, 0, 0)
    assert business_time_between(cal, start, end) == timedelta(hours=23)
    assert add_business_time(cal, start, timedelta(hours=3)) == at(2026, 3, 29, 4, 0)


def test_business_time_across_the_autumn_clock_change_counts_real_hours():
    cal = BusinessCalendar(weekly_hours={d: [(time(0), time(0))] for d in range(7)})
    start, end = at(2026, 10, 25, 0, 0), at(2026, 10, 26, 0, 0)
    assert business_time_between(cal, start, end) == timedelta(hours=25)


def test_closure_spanning_days_and_weekly_closure_are_skipped():
    cal = busy_calendar()
    # Friday 23 October 15:00 until Tuesday 27 October 11:00 closed for moving.
    assert cal.closure_at(at(2026, 10, 26, 10)) == Reason("Verhuizing", "Moving")
    assert next_open(cal, at(2026, 10, 23, 16)) == at(2026, 10, 27, 11, 0)
    # Wednesday afternoon: closed from 12:00 to 17:00 for the weekly meeting.
    assert not is_open(cal, at(2026, 11, 4, 14))
    assert next_open(cal, at(2026, 11, 4, 12, 15)) == at(2026, 11, 4, 17, 0)
    assert closes_at(cal, at(2026, 11, 4, 9)) == at(2026, 11, 4, 12, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_business_time(office(), datetime(2026, 5, 1, 9), timedelta(hours=1))


def test_a_calendar_that_never_opens_says_so_instead_of_looping():
    with pytest.raises(ValueError):
        next_open(BusinessCalendar(weekly_hours={}), at(2026, 5, 1, 9))


# --- properties ---------------------------------------------------------------------------

# Real moments only: a wall time inside the spring-forward gap (02:30 on the last Sunday of
# March) does not exist, and Python compares two times of one zone by their wall clocks, so such
# an input would make correct results look earlier than their start. Normalising through UTC
# turns each generated time into the instant it denotes.
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(AMS)
).map(lambda moment: moment.astimezone(UTC).astimezone(AMS))
durations = st.integers(min_value=0, max_value=200 * 3600).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from([office(), busy_calendar()])


def _inside_or_at_closing(cal: BusinessCalendar, moment: datetime) -> bool:
    utc = moment.astimezone(UTC)
    day = cal.local_date(moment)
    windows = [*cal.windows(day - timedelta(days=1)), *cal.windows(day)]
    return any(start <= utc <= end for start, end in windows)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=moments, duration=durations)
def test_adding_then_measuring_gives_back_the_duration(cal, start, duration):
    end = add_business_time(cal, start, duration)
    assert business_time_between(cal, start, end) == duration


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=moments, a=durations, b=durations)
def test_adding_is_monotonic(cal, start, a, b):
    shorter, longer = sorted([a, b])
    # Instants are compared in UTC: within one zone Python compares wall clocks, which run
    # backwards for an hour when summer time ends.
    assert add_business_time(cal, start, shorter).astimezone(UTC) <= add_business_time(
        cal, start, longer
    ).astimezone(UTC)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=moments, duration=durations)
def test_result_is_inside_opening_hours_or_at_a_closing_moment(cal, start, duration):
    end = add_business_time(cal, start, duration)
    assert end.astimezone(UTC) >= start.astimezone(UTC)
    assert _inside_or_at_closing(cal, end)
    assert cal.closure_at(end) is None or not is_open(cal, end)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=moments, a=durations, b=durations)
def test_splitting_a_duration_in_two_gives_the_same_end(cal, start, a, b):
    whole = add_business_time(cal, start, a + b)
    assert add_business_time(cal, add_business_time(cal, start, a), b) == whole


@settings(max_examples=200, deadline=None)
@given(
    cal=calendars,
    day=st.sampled_from(
        [date(2025, 3, 30), date(2025, 10, 26), date(2026, 3, 29), date(2026, 10, 25)]
    ),
    minutes=st.integers(min_value=0, max_value=26 * 60),
    duration=durations,
)
def test_clock_change_days_keep_the_properties(cal, day, minutes, duration):
    start = (
        datetime.combine(day, time(0), tzinfo=AMS).astimezone(UTC) + timedelta(minutes=minutes)
    ).astimezone(AMS)
    end = add_business_time(cal, start, duration)
    assert business_time_between(cal, start, end) == duration
    assert _inside_or_at_closing(cal, end)


@settings(max_examples=200, deadline=None)
@given(cal=calendars, start=moments)
def test_next_open_is_open_and_nothing_before_it_is(cal, start):
    opening = next_open(cal, start)
    assert is_open(cal, opening)
    assert business_time_between(cal, start, opening) == timedelta(0)
