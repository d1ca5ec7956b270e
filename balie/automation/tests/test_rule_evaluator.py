"""The rules' evaluator for the conditions and actions the rule form offers: SLA state, opening
hours by the team's calendar, set priority (with the SLA clocks following), remove a tag, reply
with a macro, notify a chosen agent."""

from __future__ import annotations

from datetime import time

import pytest
from django.utils import timezone

from balie.automation import actions
from balie.automation.models import Macro
from balie.automation.rule_conditions import Occurrence, conditions_hold, sla_state
from balie.automation.triggers import run_rules
from balie.sla.calendars import forget_calendars
from balie.sla.models import Calendar, CalendarAssignment, OpeningHours
from balie.sla.tests.conftest import at, mail
from balie.tickets import actions as ticket_actions
from balie.tickets.models import Activity, Direction, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def now_is(monkeypatch):
    def _set(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return _set


@pytest.fixture
def ticket(cast, deliver, now_is) -> Ticket:
    now_is(at(2026, 6, 2, 9, 0))  # Tuesday morning, office hours 08:00-18:00
    deliver(mail(subject="Mijn voorschot", body="Mijn voorschot is te hoog."))
    return Ticket.objects.get(subject="Mijn voorschot")


def holds(conditions, ticket, moment) -> bool:
    ticket.refresh_from_db()
    return conditions_hold(
        conditions, Occurrence(ticket=ticket, event="ticket.updated", by=None, at=moment)
    )


def rule(admin, conditions, rule_actions, event="ticket.created", name="Regel"):
    return actions.create_rule(
        by=admin, name=name, event=event, conditions=conditions, actions=rule_actions
    )


def test_set_priority_changes_the_priority_and_the_sla_due_times(
    cast, admin_agent, deliver, now_is
):
    rule(
        admin_agent,
        [
            {"field": "channel", "op": "is", "value": "email"},
            {"field": "text", "op": "contains", "value": "storing"},
        ],
        [{"type": "set_field", "field": "priority", "value": "urgent"}],
        name="Storing is urgent",
    )
    now_is(at(2026, 6, 2, 9, 0))

    deliver(mail(subject="Geen stroom", body="Een storing sinds vanochtend."))
    deliver(mail(subject="Verhuizing", body="Ik ga verhuizen."))

    storing = Ticket.objects.get(subject="Geen stroom")
    assert storing.priority == "urgent"
    # Urgent halves the 8 business hours of a first response: 13:00 instead of 17:00.
    assert storing.first_response_due_at == at(2026, 6, 2, 13, 0)
    change = Activity.objects.get(ticket=storing, kind="ticket.updated")
    assert change.actor_label == "Regel: Storing is urgent"
    other = Ticket.objects.get(subject="Verhuizing")
    assert (other.priority, other.first_response_due_at) == ("normal", at(2026, 6, 2, 17, 0))


def test_sla_state_follows_the_clocks(cast, ticket, now_is):
    first = ticket.sla_clocks.get(kind="first_response")
    warn_at = first.warn_at
    assert at(2026, 6, 2, 9, 0) < warn_at < at(2026, 6, 2, 17, 0)

    assert sla_state(ticket, at(2026, 6, 2, 10, 0)) == "on_track"
    assert sla_state(ticket, warn_at) == "warning"
    assert sla_state(ticket, at(2026, 6, 2, 17, 30)) == "breached"
    is_warning = [{"field": "sla", "op": "is", "value": "warning"}]
    not_late = [{"field": "sla", "op": "not_in", "value": ["warning", "breached"]}]
    assert holds(is_warning, ticket, warn_at)
    assert not holds(is_warning, ticket, at(2026, 6, 2, 10, 0))
    assert holds(not_late, ticket, at(2026, 6, 2, 10, 0))
    assert not holds(not_late, ticket, at(2026, 6, 2, 17, 30))

    now_is(at(2026, 6, 2, 11, 0))
    ticket_actions.update_ticket(ticket, by=cast.anna, status="pending")  # clocks pause
    assert holds([{"field": "sla", "op": "is", "value": "none"}], ticket, at(2026, 6, 2, 12, 0))


def test_a_breached_ticket_stays_breached_after_the_answer(cast, ticket, now_is):
    now_is(at(2026, 6, 2, 17, 30))
    ticket_actions.add_reply(ticket, by=cast.anna, text="Excuses voor het wachten.")
    ticket.refresh_from_db()

    assert sla_state(ticket, at(2026, 6, 2, 17, 31)) == "breached"


def test_business_hours_use_the_calendar_of_the_tickets_team(cast, ticket, now_is):
    afternoons = Calendar.objects.create(name="Techniek middag")
    for day in range(5):
        OpeningHours.objects.create(
            calendar=afternoons, weekday=day, opens=time(12), closes=time(16)
        )
    CalendarAssignment.objects.create(calendar=afternoons, team=cast.techniek)
    forget_calendars()
    open_now = [{"field": "business_hours", "op": "is", "value": True}]
    tuesday_ten = at(2026, 6, 2, 10, 0)

    ticket_actions.update_ticket(ticket, by=cast.anna, team=cast.klantenservice)
    assert holds(open_now, ticket, tuesday_ten)

    ticket_actions.update_ticket(ticket, by=cast.anna, team=cast.techniek)
    assert not holds(open_now, ticket, tuesday_ten)
    assert holds(open_now, ticket, at(2026, 6, 2, 13, 0))


def test_remove_tag_takes_one_label_away(cast, admin_agent, ticket):
    ticket_actions.update_ticket(ticket, by=cast.anna, tags=["wacht-op-meter", "voorschot"])
    rule(
        admin_agent,
        [{"field": "tag", "op": "has", "value": "wacht-op-meter"}],
        [{"type": "remove_tag", "tag": "Wacht-op-meter"}],
        event="message.received",
    )

    fired = run_rules(ticket, "message.received", by=cast.carla, context={"key": "m1"})

    assert len(fired) == 1
    assert list(ticket.tags.values_list("name", flat=True)) == ["voorschot"]


def test_reply_with_a_macro_sends_its_text_and_makes_its_changes(cast, admin_agent, ticket):
    macro = actions.save_macro(
        None,
        by=admin_agent,
        name="Meterstand vragen",
        language="nl",
        body="Beste {{ klant.naam }}, wilt u uw meterstand sturen? Ticket {{ ticket.nummer }}.",
        status="pending",
        priority="high",
        add_tags=["meterstand"],
    )
    rule(
        admin_agent,
        [{"field": "body", "op": "contains", "value": "voorschot"}],
        [{"type": "reply_macro", "macro": macro.pk}],
        event="message.received",
    )

    run_rules(ticket, "message.received", by=cast.carla, context={"key": "m1"})

    ticket.refresh_from_db()
    replies = ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=True)
    assert f"Beste Carla Jansen, wilt u uw meterstand sturen? Ticket #{ticket.pk}." in [
        m.body_text.strip() for m in replies
    ]
    assert (ticket.status, ticket.priority) == ("pending", "high")
    assert list(ticket.tags.values_list("name", flat=True)) == ["meterstand"]


def test_a_rule_whose_macro_was_switched_off_fails_visibly(cast, admin_agent, ticket):
    macro = actions.save_macro(None, by=admin_agent, name="Weg", language="nl", body="Hallo")
    broken = rule(
        admin_agent, [], [{"type": "reply_macro", "macro": macro.pk}], event="message.received"
    )
    Macro.objects.filter(pk=macro.pk).update(is_active=False)

    assert run_rules(ticket, "message.received", by=cast.carla, context={"key": "m1"}) == []

    failure = Activity.objects.get(ticket=ticket, kind="automation.rule_failed")
    assert failure.data["rule"] == broken.pk
    assert not ticket.messages.filter(body_text__contains="Hallo").exists()


def test_notify_a_chosen_agent_live_and_by_mail(
    cast, admin_agent, ticket, published, mailoutbox, django_capture_on_commit_callbacks
):
    rule(
        admin_agent,
        [],
        [{"type": "notify", "text": "Kijk even mee", "agent": "bram"}],
        event="message.received",
    )

    with django_capture_on_commit_callbacks(execute=True):
        run_rules(ticket, "message.received", by=cast.carla, context={"key": "m1"})

    notified = [p for p in published if p[1] == "automation.notified"]
    assert [n[0] for n in notified] == [[f"agent.{cast.bram.pk}"]]
    to_staff = [m for m in mailoutbox if m.to != [cast.carla_email]]  # not the acknowledgement
    assert [m.to for m in to_staff] == [["bram@voorbeeld-energie.nl"]]
    assert "Kijk even mee" in to_staff[0].body


@pytest.mark.parametrize(
    ("conditions", "rule_actions", "message"),
    [
        ([{"field": "sla", "op": "is", "value": "te-laat"}], None, "ongeldige waarde te-laat"),
        ([{"field": "sla", "op": "has", "value": "warning"}], None, "past niet bij sla"),
        ([], [{"type": "reply_macro", "macro": 999}], "onbekende of uitgeschakelde macro 999"),
        ([], [{"type": "reply_macro", "macro": "1"}], "kies een macro"),
        ([], [{"type": "remove_tag", "tag": " "}], "geef een label"),
        (
            [],
            [{"type": "notify", "text": "x", "agent": "bram", "email_team_lead": True}],
            "niet allebei",
        ),
        ([], [{"type": "notify", "text": "x", "agent": "niemand"}], "onbekende medewerker"),
        ([{"field": ["team"], "op": "is"}], None, "onbekend veld"),
        ([], [{"type": {"a": 1}}], "onbekend type"),
    ],
)
def test_invalid_new_conditions_and_actions_are_refused_in_dutch(
    cast, admin_agent, conditions, rule_actions, message
):
    with pytest.raises(actions.InvalidRule) as refused:
        rule(admin_agent, conditions, rule_actions or [{"type": "add_tag", "tag": "x"}])
    assert message in str(refused.value)
