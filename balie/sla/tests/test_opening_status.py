"""One service answers open or not, why not and when we open next; exposed publicly at
/api/v1/business-hours/status for the contact page and the phone system."""

from __future__ import annotations

from datetime import date, time

import pytest

from balie.sla.calendars import calendar_for, forget_calendars, opening_status
from balie.sla.models import Calendar, CalendarAssignment, Closure, ClosureKind
from balie.sla.tests.conftest import at

STATUS = "/api/v1/business-hours/status"
pytestmark = pytest.mark.django_db


def test_demo_company_is_open_on_weekdays_and_chat_also_on_saturday():
    email, chat = calendar_for(channel="email"), calendar_for(channel="chat")
    saturday = at(2026, 6, 6, 11, 0)

    assert opening_status(email, at(2026, 6, 2, 9, 0)).open
    assert not opening_status(email, saturday).open
    assert opening_status(chat, saturday).open
    assert opening_status(chat, saturday).closes_at == at(2026, 6, 6, 14, 0)


def test_status_api_when_open_says_until_when(client):
    response = client.get(STATUS, {"channel": "phone", "at": "2026-06-02T09:00:00+02:00"})

    assert response.status_code == 200
    assert response.json() == {
        "open": True,
        "reason": None,
        "next_open": None,
        "closes_at": "2026-06-02T18:00:00+02:00",
        "calendar": "Chat en telefoon",
    }


def test_status_api_on_koningsdag_names_the_holiday_and_the_next_opening(client):
    response = client.get(STATUS, {"channel": "email", "at": "2027-04-27T10:00:00+02:00"})

    body = response.json()
    assert response.status_code == 200
    assert body["open"] is False
    assert body["reason"] == "Koningsdag"
    assert body["next_open"] == "2027-04-28T08:00:00+02:00"
    assert body["calendar"] == "Kantoortijden"


def test_status_api_in_the_evening_is_outside_opening_hours(client):
    body = client.get(STATUS, {"channel": "chat", "at": "2026-06-05T19:30"}).json()

    assert body["open"] is False
    assert body["reason"] == "buiten openingstijden"
    # Friday evening: chat opens again on Saturday at 10:00.
    assert body["next_open"] == "2026-06-06T10:00:00+02:00"


def test_status_api_without_channel_uses_the_default_calendar(client):
    body = client.get(STATUS, {"at": "2026-06-06T11:00:00+02:00"}).json()
    assert body["calendar"] == "Kantoortijden" and body["open"] is False


def test_status_api_gives_the_reason_of_an_exceptional_closure(client):
    calendar = Calendar.objects.get(name="Kantoortijden")
    Closure.objects.create(
        calendar=calendar,
        kind=ClosureKind.PERIOD,
        reason_nl="Personeelsuitje",
        reason_en="Staff outing",
        starts_at=at(2026, 6, 4, 12, 0),
        ends_at=at(2026, 6, 5, 13, 0),
    )
    forget_calendars()

    body = client.get(STATUS, {"channel": "email", "at": "2026-06-05T09:00:00+02:00"}).json()
    english = client.get(
        STATUS, {"channel": "email", "at": "2026-06-05T09:00:00+02:00", "lang": "en"}
    ).json()

    assert body["open"] is False
    assert body["reason"] == "Personeelsuitje"
    assert body["next_open"] == "2026-06-05T13:00:00+02:00"
    assert english["reason"] == "Staff outing"


def test_weekly_closure_and_closing_day(client):
    calendar = Calendar.objects.get(name="Kantoortijden")
    Closure.objects.create(
        calendar=calendar,
        kind=ClosureKind.WEEKLY,
        weekday=2,
        start_time=time(12),
        end_time=time(17),
        reason_nl="Teamoverleg",
    )
    Closure.objects.create(
        calendar=calendar, kind=ClosureKind.DAY, date=date(2026, 12, 24), reason_nl="Kerstavond"
    )
    forget_calendars()

    wednesday = client.get(STATUS, {"channel": "email", "at": "2026-06-03T14:00+02:00"}).json()
    christmas_eve = client.get(STATUS, {"channel": "email", "at": "2026-12-24T09:00+01:00"}).json()

    assert (wednesday["reason"], wednesday["next_open"]) == (
        "Teamoverleg",
        "2026-06-03T17:00:00+02:00",
    )
    # Closed on the 24th, then Kerst; open again on Monday 28 December.
    assert (christmas_eve["reason"], christmas_eve["next_open"]) == (
        "Kerstavond",
        "2026-12-28T08:00:00+01:00",
    )


def test_a_channel_mapping_wins_over_a_team_default(cast):
    office = Calendar.objects.get(name="Kantoortijden")
    live = Calendar.objects.get(name="Chat en telefoon")
    CalendarAssignment.objects.create(calendar=office, team=cast.klantenservice)
    forget_calendars()

    assert calendar_for(channel="chat", team_id=cast.klantenservice.pk).name == live.name
    assert calendar_for(channel="email", team_id=cast.klantenservice.pk).name == office.name


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"channel": "email", "at": "gisteren"}, 422, "ISO 8601"),
        ({"channel": "email", "at": "2026-13-45T10:00"}, 422, "ISO 8601"),
        ({"channel": "duif", "at": "2026-06-02T09:00"}, 400, "duif"),
    ],
)
def test_status_api_refuses_bad_input_with_a_reason(client, params, status, fragment):
    response = client.get(STATUS, params)

    assert response.status_code == status
    assert fragment in response.json()["detail"]


def test_status_api_reads_a_plus_that_a_query_string_turned_into_a_space(client):
    response = client.get(STATUS + "?channel=email&at=2026-06-02T19:00:00+02:00")
    assert response.status_code == 200
    assert response.json()["next_open"] == "2026-06-03T08:00:00+02:00"


def test_sla_preview_gives_the_due_times_of_a_new_ticket(client):
    response = client.get(
        "/api/v1/sla/preview",
        {"channel": "email", "priority": "urgent", "received_at": "2026-05-22T20:30:00+02:00"},
    )

    body = response.json()
    assert response.status_code == 200
    assert body["policy"] == "E-mail, formulier, balie en brief"
    assert body["first_response_minutes"] == 240
    assert body["first_response_due_at"] == "2026-05-26T12:00:00+02:00"
    chat = client.get(
        "/api/v1/sla/preview", {"channel": "chat", "received_at": "2026-06-06T11:00:00+02:00"}
    ).json()
    assert chat["first_response_due_at"] == "2026-06-06T11:02:00+02:00"
    assert (
        client.get("/api/v1/sla/preview", {"channel": "email", "priority": "x"}).status_code == 400
    )
