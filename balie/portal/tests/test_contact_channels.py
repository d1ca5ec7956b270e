"""The contact page's "other ways to reach us": per channel the opening hours, whether it is
open now (and why not), the closures ahead, and by when a customer gets an answer, from the
business-hours calendar, the SLA policy and the live queue of that channel."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from balie.messaging.models import ChannelAccount
from balie.portal.channel_info import PUBLIC_CHANNELS, weekly_hours
from balie.sla.calendars import calendar_for, forget_calendars
from balie.sla.models import Calendar, Closure, ClosureKind
from balie.tickets.models import Status
from balie.tickets.tests.factories import TicketFactory

AMS = ZoneInfo("Europe/Amsterdam")
TUESDAY = datetime(2026, 6, 2, 10, 0, tzinfo=AMS)
SATURDAY = datetime(2026, 6, 6, 11, 0, tzinfo=AMS)
KONINGSDAG = datetime(2027, 4, 27, 10, 0, tzinfo=AMS)  # a Tuesday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_channel_has_an_account():
    """Each channel the page can offer has an active account (a chat and WhatsApp
    connector, a phone line): the tests below are about hours and promises."""
    for kind, address in (
        ("email", "klantenservice@example.nl"),
        ("phone", "+31 20 555 0100"),
        ("chat", "website"),
        ("whatsapp", "+31 6 5555 0100"),
    ):
        ChannelAccount.objects.create(
            kind=kind, name=kind, address=address, config={"call_costs": "standard"}
        )


@pytest.fixture
def clock(monkeypatch):
    """Set the wall clock Balie reads (django.utils.timezone.now) to a given moment."""

    def _set(moment: datetime) -> datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return _set


def visible(html: str) -> str:
    """What a reader sees of a piece of HTML: the text, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


class ContactPage:
    def __init__(self, html: str) -> None:
        self.html = html
        self.aside = html[html.index("<aside") : html.index("</aside>")]

    def card(self, channel: str) -> str:
        """The visible text of one channel's card."""
        start = self.aside.index(f'channel-card-{channel}"')
        rest = self.aside[start:]
        following = [rest.find(m, 1) for m in ("channel-card-", "closures-title")]
        end = min([i for i in following if i > 0], default=len(rest))
        return visible("<" + rest[:end])

    def closures(self) -> list[str]:
        if "closures-title" not in self.aside:
            return []
        part = self.aside[self.aside.index("closures-title") :]
        part = part[: part.index("</ul>")]
        return [visible(item) for item in re.findall(r"<li>(.*?)</li>", part, re.S)]


def contact_page(client) -> ContactPage:
    response = client.get("/contact/")
    assert response.status_code == 200
    return ContactPage(response.content.decode())


def answered_ticket(channel: str, *, created: datetime, after: timedelta, **fields):
    ticket = TicketFactory(
        channel=channel, status=Status.OPEN, first_response_at=created + after, **fields
    )
    type(ticket).objects.filter(pk=ticket.pk).update(created_at=created)
    return ticket


def waiting_ticket(channel: str, *, created: datetime):
    ticket = TicketFactory(channel=channel, status=Status.NEW)
    type(ticket).objects.filter(pk=ticket.pk).update(created_at=created)
    return ticket


# --- open now, opening hours ----------------------------------------------------------------


def test_on_an_ordinary_tuesday_morning_email_is_open_with_its_weekday_hours(client, clock):
    clock(TUESDAY)

    page = contact_page(client)

    email = page.card("email")
    assert "Nu open tot 18:00" in email
    assert "ma–vr 08:00–18:00" in email
    assert "za–zo gesloten" in email
    # E-mail: 8 business hours from 10:00 is 18:00 the same day.
    assert "U krijgt uiterlijk vandaag om 18:00 antwoord." in email
    chat = page.card("chat")
    assert "ma–vr 08:00–18:00" in chat
    assert "za 10:00–14:00" in chat
    assert "zo gesloten" in chat
    # Chat promises 2 minutes: while open, said as a span.
    assert "U krijgt binnen 2 minuten antwoord." in chat
    assert "U krijgt binnen 1 uur antwoord." in page.card("whatsapp")
    # Every public channel has a card, in the order of the one list.
    order = [page.aside.index(f'channel-card-{c.value}"') for c in PUBLIC_CHANNELS]
    assert order == sorted(order)


def test_on_koningsdag_every_channel_says_why_it_is_closed_and_when_it_opens(client, clock):
    clock(KONINGSDAG)

    page = contact_page(client)

    email = page.card("email")
    assert (
        "Nu gesloten — vandaag gesloten vanwege Koningsdag; "
        "weer open woensdag 28 april om 08:00" in email
    )
    assert "U krijgt uiterlijk woensdag 28 april om 16:00 antwoord." in email
    assert "Nu open" not in page.aside
    assert "vanwege Koningsdag" in page.card("chat")


def test_on_saturday_chat_and_phone_are_open_and_email_is_closed_until_monday(client, clock):
    clock(SATURDAY)

    page = contact_page(client)

    assert "Nu open tot 14:00" in page.card("chat")
    assert "Nu open tot 14:00" in page.card("phone")
    email = page.card("email")
    assert "Nu gesloten — weer open maandag 8 juni om 08:00" in email
    assert "vanwege" not in email  # an ordinary weekend, no holiday to name
    assert "U krijgt uiterlijk maandag 8 juni om 16:00 antwoord." in email


def test_a_weekly_closure_shows_in_the_hours_of_that_weekday():
    office = Calendar.objects.get(name="Kantoortijden")
    Closure.objects.create(
        calendar=office,
        kind=ClosureKind.WEEKLY,
        reason_nl="Teamoverleg",
        weekday=2,
        start_time=time(12, 0),
        end_time=time(18, 0),
    )
    forget_calendars()

    lines = [str(line) for line in weekly_hours(calendar_for(channel="email"), date(2026, 6, 2))]

    assert lines == ["ma–di, do–vr 08:00–18:00", "wo 08:00–12:00", "za–zo gesloten"]


# --- closures ahead -------------------------------------------------------------------------


def test_public_holidays_on_opening_days_are_listed_ahead(client, clock):
    clock(datetime(2026, 12, 14, 10, 0, tzinfo=AMS))

    closures = contact_page(client).closures()

    assert closures == [
        "vrijdag 25 december Eerste kerstdag",
        # Tweede Kerstdag is a Saturday: only the channels open on Saturdays close for it.
        "zaterdag 26 december Tweede kerstdag (alleen Telefoon en Chat)",
        "vrijdag 1 januari 2027 Nieuwjaarsdag",
    ]


def test_an_exceptional_closure_an_admin_enters_is_listed_with_its_reason(
    client, admin_client, clock
):
    office = Calendar.objects.get(name="Kantoortijden")
    response = admin_client.post(
        "/admin/sla/closure/add/",
        {
            "calendar": office.pk,
            "kind": ClosureKind.PERIOD,
            "reason_nl": "Personeelsuitje",
            "reason_en": "Staff outing",
            "starts_at_0": "2026-06-04",
            "starts_at_1": "12:00",
            "ends_at_0": "2026-06-05",
            "ends_at_1": "13:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    clock(TUESDAY)

    page = contact_page(client)

    assert (
        "donderdag 4 juni 12:00 tot vrijdag 5 juni 13:00 Personeelsuitje "
        "(alleen E-mail, Contactformulier en WhatsApp)" in page.closures()
    )


def test_during_an_exceptional_closure_the_page_gives_its_reason(client, clock):
    Closure.objects.create(
        calendar=Calendar.objects.get(name="Chat en telefoon"),
        kind=ClosureKind.PERIOD,
        reason_nl="een storing in onze telefooncentrale",
        starts_at=datetime(2026, 6, 2, 9, 0, tzinfo=AMS),
        ends_at=datetime(2026, 6, 2, 13, 30, tzinfo=AMS),
    )
    forget_calendars()
    clock(TUESDAY)

    page = contact_page(client)

    assert (
        "Nu gesloten — gesloten vanwege een storing in onze telefooncentrale; "
        "weer open vandaag om 13:30" in page.card("phone")
    )
    assert "Nu open tot 18:00" in page.card("email")
    assert "dinsdag 2 juni 09:00–13:30 een storing in onze telefooncentrale" in " ".join(
        page.closures()
    )


def test_an_english_visitor_reads_the_reasons_in_english(client, clock):
    Closure.objects.create(
        calendar=Calendar.objects.get(name="Kantoortijden"),
        kind=ClosureKind.DAY,
        reason_nl="Verhuizing van ons kantoor",
        reason_en="Office move",
        date=date(2027, 5, 3),
    )
    forget_calendars()
    clock(KONINGSDAG)

    page = ContactPage(client.get("/contact/", HTTP_ACCEPT_LANGUAGE="en").content.decode())

    assert "King's Day" in page.card("email")
    assert any("Office move" in closure for closure in page.closures())
    assert "Koningsdag" not in page.aside


# --- answers: the promise and the live queue ------------------------------------------------


def test_the_expected_answer_follows_the_recent_first_responses_of_the_channel(client, clock, cast):
    now = clock(TUESDAY)
    for days_ago, minutes in ((1, 10), (2, 20), (3, 40), (4, 50)):
        answered_ticket(
            "email", created=now - timedelta(days=days_ago), after=timedelta(minutes=minutes)
        )
    # Answered more than 7 days ago: not part of today's picture.
    answered_ticket("email", created=now - timedelta(days=9), after=timedelta(hours=30))
    waiting_ticket("email", created=now - timedelta(minutes=5))
    waiting_ticket("email", created=now - timedelta(minutes=15))
    # WhatsApp answers took three hours lately: more than its promise of one hour.
    for days_ago in (1, 2, 3):
        answered_ticket(
            "whatsapp", created=now - timedelta(days=days_ago), after=timedelta(hours=3)
        )

    page = contact_page(client)

    email = page.card("email")
    assert "Verwacht: binnen ongeveer 30 minuten" in email  # the median of 10, 20, 40, 50
    assert "U krijgt uiterlijk vandaag om 18:00 antwoord." in email
    assert "nu 2 vragen wachten op antwoord" in email
    assert "afgelopen 7 dagen kreeg de helft binnen 30 minuten antwoord" in email
    whatsapp = page.card("whatsapp")
    assert "Verwacht" not in whatsapp  # bounded by the promise: that is what we tell
    assert "U krijgt binnen 1 uur antwoord." in whatsapp
    assert "kreeg de helft" not in whatsapp
    assert "Verwacht" not in page.card("chat")  # no recent answers: no guess


def test_when_closed_the_expected_answer_is_a_moment_after_the_next_opening(client, clock, cast):
    now = clock(SATURDAY)
    for days_ago, minutes in ((1, 25), (2, 30), (3, 35)):
        answered_ticket(
            "email", created=now - timedelta(days=days_ago), after=timedelta(minutes=minutes)
        )

    email = contact_page(client).card("email")

    assert "Verwacht: maandag 8 juni rond 08:30" in email
    assert "afgelopen 7 dagen kreeg de helft binnen 30 minuten antwoord" in email
    assert "U krijgt uiterlijk maandag 8 juni om 16:00 antwoord." in email


def test_too_few_recent_answers_give_no_expectation(client, clock, cast):
    now = clock(TUESDAY)
    answered_ticket("email", created=now - timedelta(days=1), after=timedelta(minutes=5))
    answered_ticket("email", created=now - timedelta(days=2), after=timedelta(minutes=5))

    email = contact_page(client).card("email")

    assert "Verwacht" not in email
    assert "kreeg de helft" not in email
    assert "U krijgt uiterlijk vandaag om 18:00 antwoord." in email


def test_the_page_costs_a_few_queries_and_then_comes_from_the_cache(
    client, clock, cast, django_assert_max_num_queries, django_assert_num_queries
):
    now = clock(TUESDAY)
    for channel in ("email", "webform", "chat", "whatsapp", "phone"):
        for days_ago in range(1, 6):
            answered_ticket(
                channel, created=now - timedelta(days=days_ago), after=timedelta(minutes=20)
            )
        waiting_ticket(channel, created=now - timedelta(minutes=3))

    with django_assert_max_num_queries(20):
        first = contact_page(client)
    waiting_ticket("email", created=now - timedelta(minutes=1))
    with django_assert_num_queries(0):
        second = contact_page(client)

    assert "nu 1 vraag wacht op antwoord" in first.card("email")
    # The queue figures are at most a minute old: the ticket that just came in is not there yet.
    assert "nu 1 vraag wacht op antwoord" in second.card("email")
    assert "Nu open tot 18:00" in second.card("email")


def test_without_any_calendar_the_page_still_names_the_channels(client, clock):
    Calendar.objects.all().delete()
    forget_calendars()
    clock(TUESDAY)

    page = contact_page(client)

    assert "Andere manieren om ons te bereiken" in page.aside
    phone = page.card("phone")
    assert "+31 20 555 0100" in phone and "gebruikelijke belkosten" in phone
    assert "Nu open" not in page.aside and "Nu gesloten" not in page.aside
