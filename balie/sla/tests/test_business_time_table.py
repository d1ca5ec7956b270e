"""The table of a calendar's windows that recomputing many clocks uses gives the answers of
`add_business_time` itself, to the microsecond."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balie.sla.business_time import (
    BusinessCalendar,
    BusinessTimeTable,
    Reason,
    add_business_time,
)
from balie.sla.tests.test_business_time import busy_calendar, office

AMS = ZoneInfo("Europe/Amsterdam")


def around_the_clock() -> BusinessCalendar:
    """Open until midnight and again from midnight (windows that touch), closed on Sundays
    and on a closing day: the moments where "the next opening" and "a closing moment" differ."""
    hours = {day: [(time(0), time(2)), (time(18), time(0))] for day in range(6)}
    hours[2] = [(time(0), time(0))]  # Wednesday: open all day
    return BusinessCalendar(
        name="Avonddienst",
        weekly_hours=hours,
        closing_days={date(2026, 3, 30): Reason("Inventaris", "Stocktaking")},
    )


CALENDARS = [office(), busy_calendar(), around_the_clock()]


def boundaries(cal: BusinessCalendar, first: date, days: int) -> list[datetime]:
    """Every window edge of `days` days, one microsecond either side and on it."""
    found = []
    for i in range(days):
        for start, end in cal.windows(first + timedelta(days=i)):
            for edge in (start, end):
                found += [edge + timedelta(microseconds=d) for d in (-1, 0, 1)]
    return found


@pytest.mark.parametrize("cal", CALENDARS, ids=lambda c: c.name)
def test_every_window_edge_gives_the_same_end_as_the_walk(cal):
    """Given starts on, just before and just after every opening and closing of two months
    (the clock change of 29 March among them), when durations of zero, one microsecond, an
    hour and three days are added, then the table and the walk give the same moment."""
    table = BusinessTimeTable(cal, date(2026, 3, 1))
    durations = [timedelta(0), timedelta(microseconds=1), timedelta(hours=1), timedelta(days=3)]
    for start in boundaries(cal, date(2026, 3, 1), 61):
        for duration in durations:
            expected = add_business_time(cal, start, duration)
            got = table.add(start, duration)
            assert got == expected, (start, duration)
            assert got.tzinfo == expected.tzinfo


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=400 * 3600 * 10**6).map(
    lambda us: timedelta(microseconds=us)
)


@settings(max_examples=300, deadline=None)
@given(
    cal=st.sampled_from(CALENDARS),
    first=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    asked=st.lists(st.tuples(moments, durations), min_size=1, max_size=20),
)
def test_one_table_answers_like_the_walk_for_any_starts_in_any_order(cal, first, asked):
    """A table started anywhere, asked about earlier and later moments in any order (it grows
    both ways), answers each as `add_business_time` does."""
    table = BusinessTimeTable(cal, first)
    for start, duration in asked:
        assert table.add(start, duration) == add_business_time(cal, start, duration)


def test_a_calendar_that_never_opens_says_so_as_the_walk_does():
    table = BusinessTimeTable(BusinessCalendar(weekly_hours={}), date(2026, 5, 1))
    with pytest.raises(ValueError, match="nooit open"):
        table.add(datetime(2026, 5, 1, 9, tzinfo=AMS), timedelta(hours=1))


def test_negative_durations_and_naive_starts_are_refused():
    table = BusinessTimeTable(office(), date(2026, 5, 1))
    with pytest.raises(ValueError):
        table.add(datetime(2026, 5, 1, 9, tzinfo=AMS), timedelta(seconds=-1))
    with pytest.raises(ValueError):
        table.add(datetime(2026, 5, 1, 9), timedelta(hours=1))
