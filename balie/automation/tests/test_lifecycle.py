"""The lifecycle of a ticket waiting on the customer: reminder, final notice, solved, closed;
a late reply reopens; running the job twice sends nothing twice; snoozed tickets wake up."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from balie.automation import actions, lifecycle
from balie.automation.models import LifecycleSettings, LifecycleStep, Snooze
from balie.sla.calendars import calendar_for
from balie.tickets import actions as ticket_actions
from balie.tickets.models import Activity, Direction, Status, Ticket

from .mails import customer_mail

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def automatic_replies(ticket) -> list[str]:
    return list(
        ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=True)
        .order_by("created_at", "id")
        .values_list("body_text", flat=True)
    )


@pytest.fixture
def waiting(cast, deliver):
    """Carla mailed, Anna answered with a question and set the ticket to wait on Carla."""
    deliver(customer_mail(subject="Meterstand doorgeven"))
    ticket = Ticket.objects.get(subject="Meterstand doorgeven")
    ticket_actions.add_reply(
        ticket, by=cast.anna, text="Wat is uw meterstand?", status=Status.PENDING
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    return ticket


def business_days_later(ticket, days: int) -> datetime:
    since = lifecycle.waiting_tickets().get(pk=ticket.pk).waiting_since
    return lifecycle.add_business_days(
        calendar_for(channel=ticket.channel, team_id=ticket.team_id), since, days
    )


def test_business_days_skip_weekends_and_pinksteren():
    cal = calendar_for(channel="email")
    friday_before_pinksteren = datetime(2025, 6, 6, 17, 0, tzinfo=AMS)

    assert lifecycle.add_business_days(cal, friday_before_pinksteren, 1) == datetime(
        2025, 6, 10, 17, 0, tzinfo=AMS
    )
    assert lifecycle.add_business_days(cal, friday_before_pinksteren, 3) == datetime(
        2025, 6, 12, 17, 0, tzinfo=AMS
    )


def test_waiting_ticket_is_reminded_given_final_notice_solved_and_reopened_by_a_late_reply(
    cast, waiting, deliver, django_capture_on_commit_callbacks
):
    ticket = waiting
    before = len(automatic_replies(ticket))

    almost = business_days_later(ticket, 3) - timedelta(minutes=1)
    assert lifecycle.run_lifecycle(now=almost).reminded == 0

    assert lifecycle.run_lifecycle(now=business_days_later(ticket, 3)).reminded == 1
    reminder = automatic_replies(ticket)[before]
    assert f"#{ticket.pk}" in reminder and "Meterstand doorgeven" in reminder
    assert "Wij wachten nog op uw reactie" in reminder

    assert lifecycle.run_lifecycle(now=business_days_later(ticket, 5)).final_notices == 1
    notice = automatic_replies(ticket)[before + 1]
    assert f"#{ticket.pk}" in notice and "als afgehandeld" in notice

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.run_lifecycle(now=business_days_later(ticket, 7)).solved == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    solved_message = ticket.messages.filter(is_automatic=True).order_by("-id").first()
    assert f"hebben wij ticket #{ticket.pk}" in solved_message.body_text

    kinds = list(
        Activity.objects.filter(ticket=ticket, kind__startswith="lifecycle.").values_list(
            "kind", flat=True
        )
    )
    assert kinds == ["lifecycle.reminded", "lifecycle.final_notice_sent", "lifecycle.solved"]

    deliver(
        customer_mail(
            subject="Re: Meterstand doorgeven",
            body="Sorry, ik was op vakantie. Mijn stand is 12345.",
            in_reply_to=solved_message.message_id,
        )
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert Ticket.objects.count() == 1
    assert Activity.objects.filter(ticket=ticket, kind="ticket.reopened").exists()


def test_a_reply_resets_the_lifecycle(cast, waiting, deliver):
    ticket = waiting
    lifecycle.run_lifecycle(now=business_days_later(ticket, 3))
    deliver(customer_mail(subject=f"Re: Meterstand doorgeven [#{ticket.pk}]", body="Even zoeken."))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    ticket_actions.add_reply(ticket, by=cast.anna, text="Graag de stand.", status=Status.PENDING)
    sent = len(automatic_replies(ticket))
    new_cycle_reminder = business_days_later(ticket, 3)

    # Five business days after the first wait there is no final notice: a new cycle began.
    result = lifecycle.run_lifecycle(now=new_cycle_reminder - timedelta(minutes=1))
    assert result.as_dict() == {
        "reminded": 0,
        "final_notices": 0,
        "solved": 0,
        "closed": 0,
        "woken": 0,
    }
    assert lifecycle.run_lifecycle(now=new_cycle_reminder).reminded == 1
    assert len(automatic_replies(ticket)) == sent + 1


def test_running_the_job_twice_sends_nothing_twice(cast, waiting):
    ticket = waiting
    moment = business_days_later(ticket, 3)

    first = lifecycle.run_lifecycle(now=moment)
    second = lifecycle.run_lifecycle(now=moment)

    assert (first.reminded, second.reminded) == (1, 0)
    assert LifecycleStep.objects.filter(ticket=ticket).count() == 1
    texts = automatic_replies(ticket)
    assert sum("Wij wachten nog op uw reactie" in t for t in texts) == 1


def test_a_second_scheduler_taking_the_same_step_is_refused(cast, waiting):
    ticket = lifecycle.waiting_tickets().get(pk=waiting.pk)
    config = LifecycleSettings.current()
    cal = calendar_for(channel=ticket.channel, team_id=ticket.team_id)
    now = timezone.now()

    taken = [
        lifecycle.take_step(
            ticket.pk,
            "reminder",
            cycle=ticket.waiting_since,
            now=now,
            config=config,
            calendar=cal,
        )
        for _scheduler in range(2)
    ]

    assert taken == [True, False]
    assert Activity.objects.filter(ticket=ticket, kind="lifecycle.reminded").count() == 1


def test_final_notice_never_comes_together_with_the_reminder(cast, waiting):
    ticket = waiting
    far_later = business_days_later(ticket, 30)

    assert lifecycle.run_lifecycle(now=far_later).reminded == 1
    assert lifecycle.run_lifecycle(now=far_later).final_notices == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_settings_change_the_number_of_days(cast, waiting, admin_agent):
    actions.save_lifecycle_settings(
        by=admin_agent, reminder_after_days=1, final_notice_after_days=2, solve_after_days=3
    )
    assert lifecycle.run_lifecycle(now=business_days_later(waiting, 1)).reminded == 1


def test_solved_ticket_closes_after_the_grace_period(cast, waiting):
    ticket_actions.update_ticket(waiting, by=cast.anna, status=Status.SOLVED)
    waiting.refresh_from_db()

    assert lifecycle.run_lifecycle(now=waiting.solved_at + timedelta(days=6)).closed == 0
    later = waiting.solved_at + timedelta(days=7, minutes=1)
    assert lifecycle.run_lifecycle(now=later).closed == 1
    assert lifecycle.run_lifecycle(now=later).closed == 0
    waiting.refresh_from_db()
    assert waiting.status == Status.CLOSED
    assert Activity.objects.filter(ticket=waiting, kind="lifecycle.closed").count() == 1


def test_snoozed_ticket_opens_again_when_the_moment_passes(cast, waiting):
    until = timezone.now() + timedelta(days=2)
    actions.snooze_ticket(waiting, by=cast.anna, until=until)
    waiting.refresh_from_db()
    assert waiting.status == Status.ON_HOLD

    assert lifecycle.wake_snoozed_tickets(now=until - timedelta(minutes=1)) == 0
    assert lifecycle.wake_snoozed_tickets(now=until) == 1
    assert lifecycle.wake_snoozed_tickets(now=until) == 0

    waiting.refresh_from_db()
    assert waiting.status == Status.OPEN
    ended = Activity.objects.get(ticket=waiting, kind="ticket.snooze_ended")
    assert ended.actor_label == "Balie"
    assert Snooze.objects.get().ended_at is not None


def test_snooze_needs_a_future_moment(cast, waiting):
    with pytest.raises(ValueError, match="toekomst"):
        actions.snooze_ticket(waiting, by=cast.anna, until=timezone.now() - timedelta(hours=1))
