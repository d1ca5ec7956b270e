"""A running clock follows the ticket: a new priority gives it that priority's targets, a move
to another team puts it on that team's calendar; the business time already spent still counts."""

from __future__ import annotations

from datetime import time

import pytest

from balie.sla.calendars import forget_calendars
from balie.sla.models import (
    Calendar,
    CalendarAssignment,
    ClockKind,
    ClockState,
    OpeningHours,
    SlaClock,
)
from balie.sla.tests.conftest import at, mail
from balie.tickets import actions
from balie.tickets.models import Priority, Status, Ticket


@pytest.fixture
def ticket(cast, deliver, now_is) -> Ticket:
    now_is(at(2026, 6, 2, 9, 0))  # Tuesday morning; office hours 08:00-18:00
    deliver(mail(subject="Mijn voorschot"))
    ticket = Ticket.objects.get(subject="Mijn voorschot")
    assert ticket.first_response_due_at == at(2026, 6, 2, 17, 0)  # 8 business hours
    return ticket


def clock(ticket: Ticket, kind: str) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, kind=kind, state__in=["running", "paused"])


def test_an_urgent_priority_halves_the_time_left_and_normal_gives_it_back(cast, ticket, now_is):
    now_is(at(2026, 6, 2, 10, 0))
    actions.update_ticket(ticket, by=cast.anna, priority=Priority.URGENT)
    ticket.refresh_from_db()

    # Urgent: half of 8 hours; one hour is spent, three are left from 10:00.
    assert ticket.first_response_due_at == at(2026, 6, 2, 13, 0)
    assert ticket.sla_next_due_at == at(2026, 6, 2, 13, 0)
    # Resolution: half of 50 hours, 24 left: Tuesday 8, Wednesday 10, Thursday 6.
    assert ticket.resolution_due_at == at(2026, 6, 4, 14, 0)
    assert clock(ticket, ClockKind.FIRST_RESPONSE).target_seconds == 4 * 3600

    now_is(at(2026, 6, 2, 11, 0))
    actions.update_ticket(ticket, by=cast.anna, priority=Priority.NORMAL)
    ticket.refresh_from_db()

    # Two hours spent of eight again: due at 17:00 as before.
    assert ticket.first_response_due_at == at(2026, 6, 2, 17, 0)
    assert ticket.resolution_due_at == at(2026, 6, 9, 9, 0)


def test_a_paused_clock_takes_the_new_target_and_runs_it_on_resume(cast, ticket, now_is):
    now_is(at(2026, 6, 2, 11, 0))
    actions.update_ticket(ticket, by=cast.anna, status=Status.PENDING)
    now_is(at(2026, 6, 3, 9, 0))
    actions.update_ticket(ticket, by=cast.anna, priority=Priority.URGENT)
    assert clock(ticket, ClockKind.FIRST_RESPONSE).state == ClockState.PAUSED

    now_is(at(2026, 6, 4, 9, 0))
    actions.update_ticket(ticket, by=cast.anna, status=Status.OPEN)
    ticket.refresh_from_db()

    # Two of the four urgent hours were spent before the pause.
    assert ticket.first_response_due_at == at(2026, 6, 4, 11, 0)


def test_moving_to_a_team_moves_the_clocks_to_its_calendar(cast, ticket, now_is):
    short = Calendar.objects.create(name="Techniek middag")
    for day in range(5):
        OpeningHours.objects.create(calendar=short, weekday=day, opens=time(12), closes=time(16))
    CalendarAssignment.objects.create(calendar=short, team=cast.techniek)
    forget_calendars()

    now_is(at(2026, 6, 2, 10, 0))
    actions.update_ticket(ticket, by=cast.anna, team=cast.techniek)
    ticket.refresh_from_db()

    first = clock(ticket, ClockKind.FIRST_RESPONSE)
    assert first.calendar_id == short.pk
    assert first.used_seconds == 3600  # 09:00-10:00 in office hours
    # Seven hours left, four a day from 12:00: Tuesday 12-16, Wednesday 12-15.
    assert ticket.first_response_due_at == at(2026, 6, 3, 15, 0)
    assert clock(ticket, ClockKind.RESOLUTION).calendar_id == short.pk

    now_is(at(2026, 6, 2, 13, 0))
    actions.update_ticket(ticket, by=cast.anna, team=cast.klantenservice)
    ticket.refresh_from_db()

    # One more hour spent (12:00-13:00 on the afternoon calendar), six left from 13:00.
    assert clock(ticket, ClockKind.FIRST_RESPONSE).calendar_id != short.pk
    assert ticket.first_response_due_at == at(2026, 6, 3, 9, 0)
