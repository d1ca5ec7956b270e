"""What an integration files over the API is treated as what customers send: a ticket made over
`POST /api/v1/tickets` is acknowledged, clocked, run through the trigger rules and audited as
the same question by mail, and `POST /api/v1/tickets/<n>/messages` files a customer's message
in a ticket as a reply by mail would (reopening it, with its clocks and rules)."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from django.test import Client

from balie.accounts.actions import create_api_token
from balie.automation.actions import create_rule
from balie.core.actors import SYSTEM
from balie.sla.models import SlaClock
from balie.tickets import actions
from balie.tickets.models import Activity, Direction, Status, Ticket


@pytest.fixture
def api(cast, django_capture_on_commit_callbacks):
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {create_api_token(cast.anna, name='crm', by=SYSTEM)[1]}"
    )

    def post(path: str, body: object):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")

    return post


def mail(sender: str, subject: str, text: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    msg["Subject"] = subject
    msg.set_content(text)
    return bytes(msg)


def what_the_team_sees(ticket: Ticket) -> dict:
    """The ticket as a service team looks at it, without what differs per customer."""
    return {
        "fields": [ticket.status, ticket.priority, ticket.channel, ticket.team_id, ticket.language],
        "trail": [
            (a.kind, sorted(set(a.data) - {"message", "thread_reason", "subject", "to"}))
            for a in ticket.activities.order_by("created_at", "id")
        ],
        "clocks": sorted(
            (c.kind, c.state, c.target_seconds) for c in SlaClock.objects.filter(ticket=ticket)
        ),
        "messages": [
            (m.direction, m.is_automatic, m.delivery_status)
            for m in ticket.messages.order_by("created_at", "id")
        ],
        "acknowledged": f"[#{ticket.pk}]" in (
            ticket.messages.filter(direction=Direction.OUTBOUND).values_list("subject", flat=True)
            .first() or ""
        ),
    }  # fmt: skip


def test_a_ticket_made_over_the_api_is_treated_as_the_same_question_by_mail(cast, api, deliver):
    create_rule(
        by=cast.anna,
        name="Storing met spoed",
        event="ticket.created",
        conditions=[{"field": "body", "op": "contains", "value": "storing"}],
        actions=[{"type": "set_field", "field": "priority", "value": "high"}],
    )
    text = "Er is een storing in de straat."

    deliver(mail("dirk@example.nl", "Storing", text))
    response = api(
        "/tickets",
        {"identity": {"kind": "email", "value": "eva@example.nl"}, "channel": "email",
         "subject": "Storing", "text": text},
    )  # fmt: skip

    assert response.status_code == 201, response.json()
    by_mail = Ticket.objects.get(customer__identities__value="dirk@example.nl")
    by_api = Ticket.objects.get(pk=response.json()["number"])
    seen = what_the_team_sees(by_api)
    assert seen == what_the_team_sees(by_mail)
    assert seen["fields"][1] == "high"  # the rule fired
    answer = response.json()  # the answer tells what the rule did, the acknowledgement too
    assert answer["priority"] == "high" and len(answer["messages"]) == 2
    assert seen["acknowledged"]
    assert seen["clocks"]  # SLA clocks run
    kinds = [kind for kind, _keys in seen["trail"]]
    assert kinds[:2] == ["ticket.created", "message.received"]
    assert "automation.rule_applied" in kinds and "message.sent" in kinds


def test_a_message_over_the_api_reopens_the_ticket_and_runs_the_rules(cast, api, deliver):
    deliver(mail(cast.carla_email, "Voorschot", "Mijn voorschot is te hoog."))
    ticket = Ticket.objects.get()
    actions.add_reply(ticket, by=cast.anna, text="Verlaagd.", status=Status.SOLVED)
    create_rule(
        by=cast.anna,
        name="Terug van de klant",
        event="message.received",
        conditions=[],
        actions=[{"type": "add_tag", "tag": "teruggekomen"}],
    )

    response = api(
        f"/tickets/{ticket.pk}/messages",
        {"text": "Nog steeds te hoog.", "identity": {"kind": "phone", "value": "06 12345678"}},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["direction"] == "inbound"
    assert body["body_text"] == "Nog steeds te hoog."
    assert body["sender"]["identity"] == cast.carla.identities.get(kind="phone").pk
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert list(ticket.tags.values_list("name", flat=True)) == ["teruggekomen"]
    assert Activity.objects.filter(ticket=ticket, kind="ticket.reopened").count() == 1
    # No acknowledgement for a message in a ticket the customer already has.
    assert ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=True).count() == 1


def test_a_call_logged_in_a_ticket_over_the_api_is_the_agents(cast, api, deliver):
    deliver(mail(cast.carla_email, "Voorschot", "Mijn voorschot is te hoog."))
    ticket = Ticket.objects.get()

    response = api(f"/tickets/{ticket.pk}/messages", {"text": "Belde na.", "channel": "phone"})

    assert response.status_code == 201, response.json()
    assert response.json()["sender"]["agent"] == cast.anna.pk
    assert response.json()["channel"] == "phone"
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"text": "  "}, 400, "Beschrijf"),
        ({"text": ""}, 422, "te kort"),
        ({"text": "x", "channel": "chat"}, 422, "toegestaan"),
        ({"text": "x", "identity": {"kind": "email", "value": "ander@example.nl"}}, 422, "hoort niet"),
        ({"text": "x\x00"}, 422, "NUL"),
    ],
)  # fmt: skip
def test_a_bad_message_is_a_4xx_with_a_dutch_reason_and_files_nothing(
    cast, api, deliver, body, status, reason
):
    deliver(mail(cast.carla_email, "Voorschot", "Mijn voorschot is te hoog."))
    deliver(mail("ander@example.nl", "Iets anders", "Een vraag."))
    ticket = Ticket.objects.get(customer=cast.carla)
    before = ticket.messages.count()

    response = api(f"/tickets/{ticket.pk}/messages", body)

    assert response.status_code == status, response.json()
    assert reason.lower() in response.json()["detail"].lower()
    assert ticket.messages.count() == before


def test_a_message_for_a_ticket_the_agent_may_not_see_is_not_found(cast, api):
    ticket = Ticket.objects.create(customer=cast.carla, team=cast.techniek, subject="Meter")

    response = api(f"/tickets/{ticket.pk}/messages", {"text": "Hallo"})

    assert response.status_code == 404
    assert not ticket.messages.exists()
