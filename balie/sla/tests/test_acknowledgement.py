"""The automatic acknowledgement tells the customer by when they will have an answer, and that
we are closed today when we are."""

from __future__ import annotations

from balie.sla.actions import promise_for
from balie.sla.tests.conftest import at, mail
from balie.tickets.models import Direction, Ticket


def acknowledgement(ticket: Ticket) -> str:
    return ticket.messages.get(direction=Direction.OUTBOUND, is_automatic=True).body_text


def test_mail_on_koningsdag_is_told_we_are_closed_and_answered_the_next_working_day(
    cast, deliver, now_is
):
    now_is(at(2027, 4, 27, 10, 0))  # Koningsdag, a Tuesday

    deliver(mail(subject="Meterstand doorgeven"))

    ticket = Ticket.objects.get(subject="Meterstand doorgeven")
    text = acknowledgement(ticket)
    assert "We zijn vandaag gesloten vanwege Koningsdag." in text
    # E-mail: 8 business hours from Wednesday 08:00.
    assert "U krijgt uiterlijk woensdag 28 april om 16:00 antwoord." in text
    assert ticket.first_response_due_at == at(2027, 4, 28, 16, 0)


def test_mail_on_friday_evening_before_pinksteren_is_due_after_pinkstermaandag(
    cast, deliver, now_is
):
    now_is(at(2026, 5, 22, 20, 30))

    deliver(mail(subject="Verhuizing doorgeven"))

    ticket = Ticket.objects.get(subject="Verhuizing doorgeven")
    text = acknowledgement(ticket)
    assert "gesloten" not in text
    assert "U krijgt uiterlijk dinsdag 26 mei om 16:00 antwoord." in text
    assert ticket.sla_next_due_at == at(2026, 5, 26, 16, 0)


def test_mail_within_opening_hours_names_the_same_day(cast, deliver, now_is):
    now_is(at(2026, 6, 2, 9, 15))  # a Tuesday

    deliver(mail(subject="Factuur klopt niet"))

    text = acknowledgement(Ticket.objects.get(subject="Factuur klopt niet"))
    assert "U krijgt uiterlijk dinsdag 2 juni om 17:15 antwoord." in text
    assert "gesloten" not in text


def test_promise_for_english_customer_names_the_holiday_in_english(cast, deliver, now_is):
    now_is(at(2027, 4, 27, 10, 0))
    deliver(mail(subject="Meter reading"))
    ticket = Ticket.objects.get(subject="Meter reading")

    due_at, reason = promise_for(ticket, language="en")

    assert due_at == at(2027, 4, 28, 16, 0)
    assert reason == "King's Day"
