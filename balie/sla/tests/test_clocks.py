"""SLA clocks through a ticket's life: started on creation, met by an agent's answer, restarted
by the customer's next message, paused while waiting on the customer, met when solved and
restarted when reopened; warnings, breaches and their escalations, each exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail as django_mail

from balie.accounts.models import Role
from balie.accounts.tests.factories import AgentFactory, UserFactory
from balie.core.actors import SYSTEM
from balie.sla.escalations import check_clocks
from balie.sla.models import ClockKind, ClockState, SlaClock, SlaPolicy
from balie.sla.templatetags.sla import countdown
from balie.sla.tests.conftest import at, mail
from balie.tickets import actions
from balie.tickets.models import Activity, Priority, Status, Ticket


def clocks(ticket: Ticket) -> dict[str, str]:
    return {c.kind: c.state for c in SlaClock.objects.filter(ticket=ticket).order_by("id")}


@pytest.fixture
def ticket(cast, deliver, now_is) -> Ticket:
    now_is(at(2026, 6, 2, 9, 0))  # Tuesday morning
    deliver(mail(subject="Mijn voorschot"))
    return Ticket.objects.get(subject="Mijn voorschot")


@pytest.fixture
def lead(cast):
    return AgentFactory(
        user=UserFactory(username="lotte", email="lotte@voorbeeld-energie.nl"),
        display_name="Lotte Visser",
        role=Role.TEAM_LEAD,
        teams=[cast.klantenservice],
    )


def test_new_ticket_gets_first_response_and_resolution_due_times(ticket):
    assert ticket.sla_policy.name == "E-mail, formulier, balie en brief"
    assert ticket.first_response_due_at == at(2026, 6, 2, 17, 0)
    # 5 business days of 10 hours: Tuesday 09:00 + 50 h -> Tuesday 9 June 09:00.
    assert ticket.resolution_due_at == at(2026, 6, 9, 9, 0)
    assert ticket.sla_next_due_at == ticket.first_response_due_at
    assert clocks(ticket) == {"first_response": "running", "resolution": "running"}


def test_agent_reply_meets_first_response_and_customer_reply_starts_next_response(
    cast, ticket, deliver, now_is
):
    now_is(at(2026, 6, 2, 10, 0))
    sent = actions.add_reply(ticket, by=cast.anna, text="Wij kijken ernaar.")
    ticket.refresh_from_db()
    assert ticket.first_response_due_at is None
    assert ticket.sla_next_due_at == ticket.resolution_due_at

    now_is(at(2026, 6, 2, 16, 0))
    deliver(mail(subject="Re: Mijn voorschot", in_reply_to=f"<{sent.message_id}>"))
    ticket.refresh_from_db()

    # 8 business hours from Tuesday 16:00: 2 h Tuesday, 6 h Wednesday.
    assert ticket.next_response_due_at == at(2026, 6, 3, 14, 0)
    assert ticket.sla_next_due_at == at(2026, 6, 3, 14, 0)
    assert SlaClock.objects.get(ticket=ticket, kind=ClockKind.FIRST_RESPONSE).state == "met"


def test_waiting_on_customer_pauses_and_reopening_resumes_with_the_time_left(cast, ticket, now_is):
    now_is(at(2026, 6, 2, 11, 0))
    actions.update_ticket(ticket, by=cast.anna, status=Status.PENDING)
    ticket.refresh_from_db()
    assert ticket.sla_next_due_at is None
    assert SlaClock.objects.get(ticket=ticket, kind=ClockKind.FIRST_RESPONSE).used_seconds == 7200

    now_is(at(2026, 6, 4, 9, 0))  # two days later
    actions.update_ticket(ticket, by=cast.anna, status=Status.OPEN)
    ticket.refresh_from_db()
    # 6 business hours were left.
    assert ticket.first_response_due_at == at(2026, 6, 4, 15, 0)


def test_solved_meets_resolution_and_reopen_restarts_it(cast, ticket, now_is):
    now_is(at(2026, 6, 2, 12, 0))
    actions.add_reply(ticket, by=cast.anna, text="Opgelost.", status=Status.SOLVED)
    ticket.refresh_from_db()
    assert clocks(ticket) == {"first_response": "met", "resolution": "met"}
    assert ticket.sla_next_due_at is None

    now_is(at(2026, 6, 3, 9, 0))
    actions.update_ticket(ticket, by=cast.anna, status=Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == at(2026, 6, 10, 9, 0)


def test_warning_then_breach_escalate_once_even_when_the_job_runs_twice(
    cast, ticket, lead, django_capture_on_commit_callbacks, published
):
    django_mail.outbox.clear()
    # 75% of 8 business hours after Tuesday 09:00 is 15:00.
    with django_capture_on_commit_callbacks(execute=True):
        first = check_clocks(now=at(2026, 6, 2, 15, 5))
    with django_capture_on_commit_callbacks(execute=True):
        second = check_clocks(now=at(2026, 6, 2, 15, 6))

    assert (first.warned, second.warned) == (1, 0)
    assert Activity.objects.filter(ticket=ticket, kind="sla.warning").count() == 1
    assert [m.to for m in django_mail.outbox] == [["lotte@voorbeeld-energie.nl"]]
    assert "SLA-waarschuwing" in django_mail.outbox[0].subject
    assert any(
        f"agent.{lead.pk}" in groups and event == "sla.warning" for groups, event, _ in published
    )

    with django_capture_on_commit_callbacks(execute=True):
        check_clocks(now=at(2026, 6, 2, 17, 1))
    with django_capture_on_commit_callbacks(execute=True):
        again = check_clocks(now=at(2026, 6, 2, 17, 2))

    ticket.refresh_from_db()
    assert again.breached == 0
    assert Activity.objects.filter(ticket=ticket, kind="sla.breached").count() == 1
    assert ticket.sla_breached_at == at(2026, 6, 2, 17, 1)
    # The policy raises the priority on breach, once.
    assert ticket.priority == Priority.HIGH
    assert len(django_mail.outbox) == 2
    assert "SLA overschreden" in django_mail.outbox[1].subject
    assert f"#{ticket.pk}" in django_mail.outbox[1].body


def test_breach_can_move_the_ticket_to_another_team(cast, ticket, lead):
    SlaPolicy.objects.filter(pk=ticket.sla_policy_id).update(
        breach_move_to_team=cast.techniek, breach_raise_priority=False
    )

    check_clocks(now=at(2026, 6, 2, 17, 30))

    ticket.refresh_from_db()
    assert ticket.team == cast.techniek
    assert ticket.priority == Priority.NORMAL
    updates = Activity.objects.filter(ticket=ticket, kind="ticket.updated")
    assert any(a.data.get("team", {}).get("to") == "Techniek" for a in updates)


def test_met_clock_is_never_warned(cast, ticket):
    actions.add_reply(ticket, by=cast.anna, text="Beantwoord.")

    result = check_clocks(now=at(2026, 6, 2, 16, 0))

    assert result.warned == 0
    assert not Activity.objects.filter(ticket=ticket, kind="sla.warning").exists()


def test_urgent_chat_gets_a_minute(cast, now_is):
    now_is(at(2026, 6, 6, 11, 0))  # Saturday: chat is open
    ticket = actions.create_ticket(
        customer=cast.carla, subject="Stroom uit", channel="chat", by=SYSTEM, priority="urgent"
    )
    assert ticket.first_response_due_at == at(2026, 6, 6, 11, 1)
    assert SlaClock.objects.get(ticket=ticket, kind="first_response").state == ClockState.RUNNING


def test_countdown_reads_in_dutch():
    now = at(2026, 6, 2, 9, 0)
    assert countdown(now + timedelta(hours=2, minutes=15), now) == "nog 2 u 15 min"
    assert countdown(now - timedelta(minutes=3), now) == "3 min te laat"
    assert countdown(now + timedelta(days=2, hours=1), now) == "nog 2 d 1 u"
    assert countdown(None, now) == ""


def test_recompute_moves_due_times_when_a_closure_is_entered(cast, ticket):
    from balie.sla.actions import recompute_due_times
    from balie.sla.calendars import forget_calendars
    from balie.sla.models import Closure, ClosureKind

    Closure.objects.create(
        calendar_id=SlaClock.objects.filter(ticket=ticket).first().calendar_id,
        kind=ClosureKind.PERIOD,
        reason_nl="Storing telefooncentrale",
        starts_at=at(2026, 6, 2, 12, 0),
        ends_at=at(2026, 6, 2, 14, 0),
    )
    forget_calendars()

    assert recompute_due_times() == 2

    ticket.refresh_from_db()
    # 3 h before the closure, 4 h after it, the last hour on Wednesday.
    assert ticket.first_response_due_at == at(2026, 6, 3, 9, 0)
    assert ticket.sla_next_due_at == ticket.first_response_due_at


def test_breach_runs_the_sla_rules_once(cast, ticket, lead):
    from balie.accounts.models import Role
    from balie.accounts.tests.factories import AgentFactory, UserFactory
    from balie.automation.actions import create_rule

    admin = AgentFactory(user=UserFactory(username="beheer"), role=Role.ADMIN)
    create_rule(
        by=admin,
        name="Te laat: label",
        event="sla.breached",
        conditions=[],
        actions=[{"type": "add_tag", "tag": "te-laat"}],
    )

    check_clocks(now=at(2026, 6, 2, 17, 30))
    check_clocks(now=at(2026, 6, 2, 17, 31))

    assert list(ticket.tags.values_list("name", flat=True)) == ["te-laat"]
    assert Activity.objects.filter(ticket=ticket, kind="automation.rule_applied").count() == 1


def test_an_answer_after_the_due_moment_counts_as_breached_even_unchecked(cast, ticket, now_is):
    # No periodic check ran; the agent answers Wednesday, after Tuesday 17:00.
    now_is(at(2026, 6, 3, 9, 30))
    actions.add_reply(ticket, by=cast.anna, text="Excuses voor het late antwoord.")

    first = SlaClock.objects.get(ticket=ticket, kind=ClockKind.FIRST_RESPONSE)
    assert first.state == ClockState.MET and first.breached_at == at(2026, 6, 2, 17, 0)
    ticket.refresh_from_db()
    assert ticket.sla_breached_at == at(2026, 6, 2, 17, 0)
    assert Activity.objects.filter(ticket=ticket, kind="sla.breached").count() == 1
    # The periodic check finds nothing left to breach.
    assert check_clocks(now=at(2026, 6, 3, 9, 31)).breached == 0


def test_an_answer_in_time_is_not_a_breach(cast, ticket, now_is):
    now_is(at(2026, 6, 2, 16, 59))
    actions.add_reply(ticket, by=cast.anna, text="Op tijd.")

    first = SlaClock.objects.get(ticket=ticket, kind=ClockKind.FIRST_RESPONSE)
    assert first.breached_at is None
    assert not Activity.objects.filter(ticket=ticket, kind="sla.breached").exists()


def _row_versions(ticket_id):
    """What changes when a row is written: PostgreSQL's row version (xmin) of the ticket and
    its clocks; on SQLite the connection's count of changed rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT xmin::text FROM tickets_ticket WHERE id = %s "
                "UNION ALL SELECT xmin::text FROM sla_slaclock WHERE ticket_id = %s",
                [ticket_id, ticket_id],
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT total_changes()")
        return cursor.fetchone()[0]


def test_recompute_without_a_change_writes_nothing(cast, ticket):
    """Recomputing after an admin saved a calendar without changing its hours rewrote every
    open ticket and clock; unchanged due moments are now left alone."""
    from balie.sla.actions import recompute_due_times

    due = ticket.first_response_due_at
    before = _row_versions(ticket.pk)

    assert recompute_due_times() == 2

    assert _row_versions(ticket.pk) == before
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == due


def test_a_lead_gets_one_mail_for_all_the_warnings_of_one_run(
    cast, deliver, now_is, lead, django_capture_on_commit_callbacks
):
    now_is(at(2026, 6, 2, 9, 0))
    for subject in ("Mijn voorschot", "Verhuizing", "Meterstand"):
        deliver(mail(subject=subject))
    numbers = sorted(Ticket.objects.values_list("pk", flat=True))
    django_mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = check_clocks(now=at(2026, 6, 2, 15, 5))

    assert result.warned == 3
    assert [m.to for m in django_mail.outbox] == [["lotte@voorbeeld-energie.nl"]]
    digest = django_mail.outbox[0]
    assert "3 tickets" in digest.subject
    for number in numbers:
        assert f"#{number} " in digest.body
        assert f"/tickets/{number}/" in digest.body
