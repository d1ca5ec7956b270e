"""Trigger rules: order, no loops, conditions, actions, and the signed webhook."""

from __future__ import annotations

import json

import pytest

from balie.automation import actions
from balie.automation.models import DeliveryState, Rule, RuleFiring, WebhookDelivery
from balie.automation.outgoing_webhooks import signature_matches
from balie.automation.triggers import run_rules
from balie.core.actors import SYSTEM
from balie.tickets import actions as ticket_actions
from balie.tickets.events import EventKind, emit
from balie.tickets.models import Activity, Direction, Ticket

from .mails import customer_mail

pytestmark = pytest.mark.django_db


def rule(admin, name, event, conditions, rule_actions, **kwargs) -> Rule:
    return actions.create_rule(
        by=admin, name=name, event=event, conditions=conditions, actions=rule_actions, **kwargs
    )


def new_ticket(cast, subject="Vraag over mijn voorschot"):
    return ticket_actions.create_ticket(
        customer=cast.carla, subject=subject, channel="email", by=cast.carla
    )


def test_rules_run_in_their_order_and_each_sees_what_the_one_before_did(cast, admin_agent):
    rule(
        admin_agent,
        "Klachten met spoed",
        "ticket.created",
        [{"field": "subject", "op": "contains", "value": "KLACHT"}],
        [{"type": "set_field", "field": "priority", "value": "high"}],
    )
    rule(
        admin_agent,
        "Hoge prioriteit krijgt label",
        "ticket.created",
        [{"field": "priority", "op": "is", "value": "high"}],
        [{"type": "add_tag", "tag": "Spoed"}],
    )

    ticket = new_ticket(cast, subject="Klacht over de monteur")

    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert list(ticket.tags.values_list("name", flat=True)) == ["spoed"]
    applied = Activity.objects.filter(ticket=ticket, kind="automation.rule_applied")
    assert [a.data["name"] for a in applied] == [
        "Klachten met spoed",
        "Hoge prioriteit krijgt label",
    ]


def test_moving_a_rule_up_changes_what_happens(cast, admin_agent):
    first = rule(
        admin_agent,
        "Hoge prioriteit krijgt label",
        "ticket.created",
        [{"field": "priority", "op": "is", "value": "high"}],
        [{"type": "add_tag", "tag": "spoed"}],
    )
    second = rule(
        admin_agent,
        "Klachten met spoed",
        "ticket.created",
        [{"field": "subject", "op": "contains", "value": "klacht"}],
        [{"type": "set_field", "field": "priority", "value": "high"}],
    )

    ticket = new_ticket(cast, subject="Klacht over de monteur")
    assert not ticket.tags.exists()  # the label rule ran before the priority was raised

    actions.move_rule(second, by=admin_agent, direction=-1)
    assert list(Rule.objects.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    later = new_ticket(cast, subject="Nog een klacht")
    assert list(later.tags.values_list("name", flat=True)) == ["spoed"]


def test_rules_that_undo_each_other_do_not_loop(cast, admin_agent):
    rule(
        admin_agent,
        "Hoog wordt urgent",
        "ticket.updated",
        [{"field": "priority", "op": "is", "value": "high"}],
        [{"type": "set_field", "field": "priority", "value": "urgent"}],
    )
    rule(
        admin_agent,
        "Urgent wordt hoog",
        "ticket.updated",
        [{"field": "priority", "op": "is", "value": "urgent"}],
        [{"type": "set_field", "field": "priority", "value": "high"}],
    )
    ticket = new_ticket(cast)

    ticket_actions.update_ticket(ticket, by=cast.anna, priority="high")

    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert RuleFiring.objects.filter(ticket=ticket).count() == 2
    updates = Activity.objects.filter(ticket=ticket, kind="ticket.updated")
    assert [u.data["priority"]["to"] for u in updates] == ["high", "urgent", "high"]
    assert [u.actor_label for u in updates] == [
        "Anna de Vries",
        "Regel: Hoog wordt urgent",
        "Regel: Urgent wordt hoog",
    ]


def test_a_retried_event_fires_each_rule_once(cast, admin_agent):
    rule(
        admin_agent,
        "Breach naar techniek",
        "sla.breached",
        [],
        [{"type": "add_tag", "tag": "te-laat"}, {"type": "assign_team", "team": "techniek"}],
    )
    ticket = new_ticket(cast)

    for _attempt in range(2):
        emit(ticket, EventKind.SLA_BREACHED, by=SYSTEM, key="clock:7:breach")
    ticket.refresh_from_db()
    assert ticket.team == cast.techniek
    assert Activity.objects.filter(ticket=ticket, kind="automation.rule_applied").count() == 1


def test_inbound_mail_with_a_word_in_the_body_goes_to_techniek(cast, admin_agent, deliver):
    rule(
        admin_agent,
        "Storingen naar techniek",
        "message.received",
        [
            {"field": "body", "op": "contains", "value": "storing"},
            {"field": "tier", "op": "in", "value": ["standard", "business"]},
            {"field": "language", "op": "is", "value": "nl"},
            {"field": "assignee", "op": "is_empty"},
        ],
        [
            {"type": "assign_team", "team": "techniek"},
            {"type": "assign_agent", "agent": "bram"},
            {"type": "set_field", "field": "type", "value": "incident"},
        ],
    )

    deliver(
        customer_mail(subject="Geen stroom", body="Sinds vanochtend een STORING in de meterkast.")
    )
    deliver(customer_mail(subject="Verhuizing", body="Ik ga verhuizen."))

    storing = Ticket.objects.get(subject="Geen stroom")
    assert (storing.team, storing.assignee, storing.type) == (cast.techniek, cast.bram, "incident")
    assert Ticket.objects.get(subject="Verhuizing").team == cast.klantenservice


def test_reply_from_a_template_names_customer_and_ticket(cast, admin_agent, deliver):
    rule(
        admin_agent,
        "Bevestiging klacht",
        "ticket.created",
        [{"field": "text", "op": "contains", "value": "klacht"}],
        [
            {
                "type": "reply",
                "text": {
                    "nl": "Beste {{ klant.naam }}, uw klacht is geregistreerd onder "
                    "{{ ticket.nummer }}.",
                    "en": "Dear {{ customer.name }}, your complaint is {{ ticket.number }}.",
                },
            }
        ],
    )

    deliver(customer_mail(subject="Klacht", body="Ik wil een klacht indienen."))

    ticket = Ticket.objects.get(subject="Klacht")
    replies = ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=True)
    texts = [m.body_text for m in replies]
    assert f"Beste Carla Jansen, uw klacht is geregistreerd onder #{ticket.pk}." in texts


def test_a_failing_rule_is_recorded_and_the_message_is_still_filed(cast, admin_agent, deliver):
    broken = rule(
        admin_agent,
        "Antwoord",
        "message.received",
        [],
        [{"type": "add_tag", "tag": "gezien"}, {"type": "assign_agent", "agent": "bram"}],
    )
    cast.bram.user.is_active = False
    cast.bram.user.save()

    envelope = deliver(customer_mail())

    assert envelope.status == "processed"
    ticket = Ticket.objects.get()
    assert ticket.messages.filter(direction=Direction.INBOUND).count() == 1
    assert not ticket.tags.exists()  # the whole rule was rolled back
    failure = Activity.objects.get(ticket=ticket, kind="automation.rule_failed")
    assert failure.data["rule"] == broken.pk


def test_notify_tells_the_assignee_live_and_mails_the_team_lead(
    cast, admin_agent, team_lead, published, mailoutbox, django_capture_on_commit_callbacks
):
    rule(
        admin_agent,
        "VIP melden",
        "ticket.updated",
        [{"field": "priority", "op": "is", "value": "urgent"}],
        [{"type": "notify", "text": "Urgent ticket van een klant", "email_team_lead": True}],
    )
    ticket = new_ticket(cast)
    ticket_actions.update_ticket(ticket, by=SYSTEM, team=cast.klantenservice, assignee=cast.anna)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_actions.update_ticket(ticket, by=SYSTEM, priority="urgent")

    notified = [p for p in published if p[1] == "automation.notified"]
    assert notified and notified[0][0] == [f"agent.{cast.anna.pk}"]
    assert notified[0][2]["text"] == "Urgent ticket van een klant"
    assert [m.to for m in mailoutbox] == [["lotte@voorbeeld-energie.nl"]]
    assert f"#{ticket.pk}" in mailoutbox[0].subject


def test_webhook_post_is_signed_and_received_by_a_local_server(
    cast, admin_agent, webhook_server, django_capture_on_commit_callbacks
):
    secret = "een-lang-gedeeld-geheim-123"
    rule(
        admin_agent,
        "Naar CRM",
        "ticket.created",
        [],
        [{"type": "webhook", "url": webhook_server.url, "secret": secret}],
    )

    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket(cast)

    [request] = webhook_server.received
    assert request.path == "/hooks/balie"
    assert signature_matches(secret, request.body, request.headers["X-Balie-Signature"])
    assert request.headers["X-Balie-Signature"].startswith("sha256=")
    assert int(request.headers["X-Balie-Timestamp"]) > 0
    payload = json.loads(request.body)
    assert payload["event"] == "ticket.created"
    assert payload["ticket"]["number"] == ticket.pk
    assert not signature_matches(
        "een-ander-geheim-dan-dat", request.body, request.headers["X-Balie-Signature"]
    )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.response_status) == (DeliveryState.DELIVERED, 200)


def test_webhook_is_retried_until_the_server_accepts(
    cast, admin_agent, webhook_server, django_capture_on_commit_callbacks
):
    webhook_server.answers = [503, 500]
    rule(
        admin_agent,
        "Naar CRM",
        "ticket.created",
        [],
        [{"type": "webhook", "url": webhook_server.url, "secret": "x" * 20}],
    )

    with django_capture_on_commit_callbacks(execute=True):
        new_ticket(cast)

    assert len(webhook_server.received) == 3
    assert len({r.body for r in webhook_server.received}) == 1  # the same signed body
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 3)


@pytest.mark.parametrize(
    ("conditions", "rule_actions", "message"),
    [
        (
            [{"field": "status", "op": "is", "value": "weg"}],
            [{"type": "add_tag", "tag": "x"}],
            "ongeldige waarde",
        ),
        ([{"field": "__class__", "op": "is"}], [{"type": "add_tag", "tag": "x"}], "onbekend veld"),
        ([], [{"type": "webhook", "url": "file:///etc/passwd", "secret": "x" * 20}], "http://"),
        ([], [{"type": "reply", "text": {"nl": "Hoi {{ klant.wachtwoord }}"}}], "plaatshouder"),
        ([], [], "minstens één actie"),
    ],
)
def test_invalid_rules_are_refused_with_a_reason(
    cast, admin_agent, conditions, rule_actions, message
):
    with pytest.raises(actions.InvalidRule) as refused:
        rule(admin_agent, "Fout", "ticket.created", conditions, rule_actions)
    assert message in str(refused.value)


def test_business_hours_condition_follows_the_calendar(cast, admin_agent):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    ams = ZoneInfo("Europe/Amsterdam")
    rule(
        admin_agent,
        "Buiten openingstijden",
        "message.received",
        [{"field": "business_hours", "op": "is", "value": False}],
        [{"type": "add_tag", "tag": "buiten-openingstijden"}],
    )
    ticket = new_ticket(cast)

    monday_morning = datetime(2027, 3, 1, 10, 0, tzinfo=ams)
    koningsdag = datetime(2027, 4, 27, 10, 0, tzinfo=ams)
    fired_open = run_rules(
        ticket, "message.received", by=cast.carla, context={"key": "m1", "at": monday_morning}
    )
    fired_closed = run_rules(
        ticket, "message.received", by=cast.carla, context={"key": "m2", "at": koningsdag}
    )

    assert (len(fired_open), len(fired_closed)) == (0, 1)
    assert list(ticket.tags.values_list("name", flat=True)) == ["buiten-openingstijden"]
