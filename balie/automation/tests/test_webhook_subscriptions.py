"""Webhook subscriptions: an admin chooses event kinds and a URL; every such event is POSTed,
signed, retried with back-off, and logged, without writing a rule."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from balie.automation.models import DeliveryState, WebhookDelivery, WebhookSubscription
from balie.automation.outgoing_webhooks import MAX_ATTEMPTS, signature_matches
from balie.tickets import actions as ticket_actions

pytestmark = pytest.mark.django_db

SECRET = "een-lang-gedeeld-geheim-123"


@pytest.fixture
def as_admin(client, admin_agent):
    client.force_login(admin_agent.user)
    return client


def subscribe(as_admin, url, events, *, active=True):
    data = {"name": "CRM", "url": url, "secret": SECRET, "events": events}
    if active:
        data["is_active"] = "on"
    response = as_admin.post(reverse("automation:webhook_new"), data)
    assert response.status_code == 302, response.content.decode()
    return WebhookSubscription.objects.get(name="CRM")


def new_ticket(cast):
    return ticket_actions.create_ticket(
        customer=cast.carla, subject="Vraag over mijn voorschot", channel="email", by=cast.carla
    )


def test_an_admin_subscribes_and_each_chosen_event_is_posted_signed(
    cast, as_admin, webhook_server, django_capture_on_commit_callbacks
):
    subscribe(as_admin, webhook_server.url, ["ticket.created", "note.added"])

    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket(cast)
        ticket_actions.update_ticket(ticket, by=cast.anna, subject="Voorschot 2027")
        ticket_actions.add_note(ticket, by=cast.anna, text="Eerst meterstanden nakijken")

    payloads = [json.loads(r.body) for r in webhook_server.received]
    assert [p["event"] for p in payloads] == ["ticket.created", "note.added"]  # not updated
    for request in webhook_server.received:
        assert signature_matches(SECRET, request.body, request.headers["X-Balie-Signature"])
        assert int(request.headers["X-Balie-Timestamp"]) > 0
        assert request.headers["X-Balie-Event"] in ("ticket.created", "note.added")
    assert payloads[0]["ticket"]["number"] == ticket.pk
    assert payloads[0]["data"]["channel"] == "email"
    assert payloads[1]["actor"] == "Anna de Vries"
    assert set(WebhookDelivery.objects.values_list("state", "response_status")) == {
        (DeliveryState.DELIVERED, 200)
    }


def test_a_failing_receiver_is_retried_and_the_log_shows_status_and_error(
    cast, as_admin, webhook_server, django_capture_on_commit_callbacks
):
    subscription = subscribe(as_admin, webhook_server.url, ["ticket.created"])
    webhook_server.answers = [500] * MAX_ATTEMPTS

    with django_capture_on_commit_callbacks(execute=True):
        new_ticket(cast)

    assert len(webhook_server.received) == MAX_ATTEMPTS
    assert len({r.body for r in webhook_server.received}) == 1  # the same signed body
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.response_status) == (
        DeliveryState.FAILED,
        MAX_ATTEMPTS,
        500,
    )
    html = as_admin.get(reverse("automation:webhook_log", args=[subscription.pk])).content.decode()
    assert "Mislukt" in html and "HTTP 500" in html and "ticket.created" in html


def test_the_test_button_posts_a_signed_test_event(
    as_admin, webhook_server, django_capture_on_commit_callbacks
):
    subscription = subscribe(as_admin, webhook_server.url, ["ticket.created"])

    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(reverse("automation:webhook_test", args=[subscription.pk]))

    assert response.status_code == 302
    [request] = webhook_server.received
    assert json.loads(request.body)["event"] == "webhook.test"
    assert signature_matches(SECRET, request.body, request.headers["X-Balie-Signature"])
    html = as_admin.get(response.url).content.decode()
    assert "webhook.test" in html and "Afgeleverd" in html


def test_an_inactive_or_deleted_subscription_sends_nothing(
    cast, as_admin, webhook_server, django_capture_on_commit_callbacks
):
    subscription = subscribe(as_admin, webhook_server.url, ["ticket.created"], active=False)
    with django_capture_on_commit_callbacks(execute=True):
        new_ticket(cast)
    as_admin.post(
        reverse("automation:webhook_edit", args=[subscription.pk]),
        {"name": "CRM", "url": webhook_server.url, "secret": SECRET, "events": ["ticket.created"]},
    )

    as_admin.post(reverse("automation:webhook_delete", args=[subscription.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        new_ticket(cast)

    assert webhook_server.received == []
    assert not WebhookSubscription.objects.exists()


def test_a_subscription_needs_an_http_url_and_known_events(as_admin):
    response = as_admin.post(
        reverse("automation:webhook_new"),
        {"name": "CRM", "url": "file:///etc/passwd", "secret": SECRET, "events": ["ticket.x"]},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "url" in response.context["form"].errors and "ticket.x" in html
    assert not WebhookSubscription.objects.exists()


def test_only_admins_manage_webhooks(client, cast):
    client.force_login(cast.anna.user)

    assert client.get(reverse("automation:webhooks")).status_code == 403
    assert client.get(reverse("automation:webhook_new")).status_code == 403


def test_a_burst_of_mail_makes_all_its_deliveries_in_one_insert(
    cast, as_admin, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from balie.intake import pipeline as ingest
    from balie.intake.tests.test_pipeline import mail
    from balie.intake.tests.test_pipeline_cost import stored

    subscribe(as_admin, "https://crm.example.nl/hooks", ["ticket.created", "message.received"])
    envelopes = [
        stored(
            mail(sender=f"klant{i}@example.nl", subject=f"Vraag {i}"),
            django_capture_on_commit_callbacks,
        )
        for i in range(5)
    ]

    with CaptureQueriesContext(connection) as queries:
        ingest.process_waiting(envelopes[0].pk, limit=5)

    inserts = [
        q for q in queries if q["sql"].startswith('INSERT INTO "automation_webhookdelivery"')
    ]
    assert len(inserts) == 1
    kinds = list(WebhookDelivery.objects.order_by("id").values_list("event", "ticket__subject"))
    assert kinds == [
        (kind, f"Vraag {i}") for i in range(5) for kind in ("ticket.created", "message.received")
    ]
