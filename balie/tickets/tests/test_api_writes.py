"""The tickets REST API's writes as an integration would make them: creating, changing,
replying and noting, each with a clear 4xx and a Dutch reason for bad input; and its schema and
docs. The client and the tickets come from conftest.py."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from balie.accounts.models import Role
from balie.accounts.tests.factories import AgentFactory, UserFactory
from balie.customers.models import Customer
from balie.messaging.models import OutboxItem
from balie.tickets.models import Direction, Status, Ticket
from balie.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


# --- create -------------------------------------------------------------------------------


def test_an_agent_logs_a_phone_call_for_a_known_customer(as_anna, cast):
    response = as_anna.post(
        "/tickets",
        {
            "customer": cast.carla.pk,
            "channel": "phone",
            "subject": "Belt over termijnbedrag",
            "text": "Klant wil het termijnbedrag verlagen naar 90 euro.",
            "priority": "high",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    ticket = Ticket.objects.get(pk=body["number"])
    assert ticket.customer == cast.carla
    assert ticket.channel == "phone"
    assert ticket.priority == "high"
    assert ticket.assignee == cast.anna
    assert ticket.team == cast.klantenservice
    assert body["messages"][0]["body_text"] == "Klant wil het termijnbedrag verlagen naar 90 euro."
    assert list(ticket.activities.values_list("kind", flat=True)) == [
        "ticket.created",
        "message.received",
    ]


def test_an_email_contact_for_a_new_address_creates_the_customer_and_files_the_message(
    as_anna, cast
):
    response = as_anna.post(
        "/tickets",
        {
            "identity": {"kind": "email", "value": "Dirk@Example.NL"},
            "name": "Dirk de Boer",
            "channel": "email",
            "text": "Mijn factuur klopt niet.\nGraag een correctie.",
            "team": cast.klantenservice.pk,
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["subject"] == "Mijn factuur klopt niet."
    assert body["customer"]["name"] == "Dirk de Boer"
    assert body["customer"]["email"] == "dirk@example.nl"
    message, acknowledgement = body["messages"]
    assert message["direction"] == "inbound"
    assert message["sender"]["address"] == "dirk@example.nl"
    assert message["delivery_status"] == "received"
    # acknowledged like a ticket that came in by mail
    assert acknowledgement["direction"] == "outbound"
    assert Customer.objects.filter(identities__value="dirk@example.nl").count() == 1


def test_creating_an_email_ticket_for_a_known_address_reuses_the_customer(as_anna, cast):
    response = as_anna.post(
        "/tickets",
        {
            "identity": {"kind": "phone", "value": "0612345678"},
            "channel": "webform",
            "text": "Terugbelverzoek",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["customer"]["id"] == cast.carla.pk


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"channel": "phone", "text": "hallo"}, 422, "klant"),
        ({"customer": 1, "identity": {"kind": "email", "value": "a@b.nl"}}, 422, "text"),
        ({"customer": 987654, "channel": "phone", "text": "hallo"}, 422, "bestaat niet"),
        (
            {"identity": {"kind": "email", "value": "geen-adres"}, "channel": "email", "text": "x"},
            422,
            "e-mail",
        ),
        ({"CUSTOMER": 1, "channel": "chat", "text": "hallo"}, 422, "toegestaan"),
        ({"customer": "{c}", "channel": "letter", "text": "  "}, 400, "Beschrijf"),
        ({"customer": "{c}", "channel": "letter", "text": "x", "team": 424242}, 422, "Team"),
        (
            {"customer": "{c}", "channel": "letter", "text": "x", "subject": "s" * 256},
            422,
            "te lang",
        ),
        ({"customer": "{c}", "channel": "letter", "text": "x\x00y"}, 422, "NUL"),
        ({"customer": 2**70, "channel": "letter", "text": "x"}, 422, "hoogstens"),
        ([1, 2, 3], 422, "Ongeldige invoer"),
    ],
)
def test_creating_with_bad_input_is_a_4xx_with_a_dutch_reason(as_anna, cast, body, status, reason):
    if isinstance(body, dict) and body.get("customer") == "{c}":
        body = {**body, "customer": cast.carla.pk}
    before = Ticket.objects.count()

    response = as_anna.post("/tickets", body)

    assert response.status_code == status, response.json()
    assert reason.lower() in response.json()["detail"].lower()
    assert Ticket.objects.count() == before


def test_a_body_that_is_not_json_is_a_400(as_anna):
    response = as_anna.client.post(
        "/api/v1/tickets", "{niet: json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


# --- update -------------------------------------------------------------------------------


def test_patch_changes_fields_and_writes_the_audit_trail(as_anna, cast, billing_ticket):
    response = as_anna.patch(
        f"/tickets/{billing_ticket.pk}",
        {
            "status": "on_hold",
            "priority": "urgent",
            "type": "complaint",
            "assignee": cast.anna.pk,
            "tags": ["Verhuizing", "voorschot"],
            "subject": "Voorschot te hoog na verhuizing",
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "on_hold"
    assert body["assignee"] == {"id": cast.anna.pk, "name": "Anna de Vries"}
    assert body["tags"] == ["verhuizing", "voorschot"]
    updated = billing_ticket.activities.get(kind="ticket.updated")
    assert updated.actor_agent == cast.anna
    assert updated.data["priority"] == {"from": "normal", "to": "urgent"}
    assert updated.data["subject"]["to"] == "Voorschot te hoog na verhuizing"
    assert billing_ticket.activities.filter(kind="ticket.assigned").count() == 1


def test_patch_can_unassign_and_move_to_another_team(as_anna, cast, billing_ticket):
    billing_ticket.assignee = cast.anna
    billing_ticket.save()
    response = as_anna.patch(
        f"/tickets/{billing_ticket.pk}", {"assignee": 0, "team": cast.techniek.pk}
    )
    assert response.status_code == 200
    billing_ticket.refresh_from_db()
    assert billing_ticket.assignee is None
    assert billing_ticket.team == cast.techniek
    # handed to the private team: anna no longer sees it
    assert as_anna.get(f"/tickets/{billing_ticket.pk}").status_code == 404


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"status": "weg"}, "toegestaan"),
        ({"priority": 3}, "toegestaan"),
        ({"team": 31337}, "Team 31337 bestaat niet"),
        ({"assignee": 31337}, "Medewerker 31337"),
        ({"subject": ""}, "te kort"),
        ({"subject": "x" * 300}, "te lang"),
        ({"tags": ["a" * 51]}, "te lang"),
        ({"tags": "los"}, "lijst"),
        (["status", "solved"], "JSON-object"),
    ],
)
def test_patch_with_unknown_values_is_a_422_with_a_dutch_reason(
    as_anna, billing_ticket, body, reason
):
    response = as_anna.patch(f"/tickets/{billing_ticket.pk}", body)
    assert response.status_code == 422
    assert reason in response.json()["detail"]
    assert not billing_ticket.activities.exists()


def test_patch_to_an_inactive_agent_is_refused(as_anna, billing_ticket):
    former = AgentFactory(user=UserFactory(username="oud", is_active=False), role=Role.AGENT)
    response = as_anna.patch(f"/tickets/{billing_ticket.pk}", {"assignee": former.pk})
    assert response.status_code == 422


# --- reply and notes ----------------------------------------------------------------------


def test_reply_is_queued_in_the_outbox_with_sanitised_html(as_anna, cast, billing_ticket):
    response = as_anna.post(
        f"/tickets/{billing_ticket.pk}/reply",
        {
            "text": "Wij hebben uw voorschot verlaagd.",
            "html": '<p onclick="steel()">Wij hebben uw voorschot verlaagd.</p>'
            "<script>alert(1)</script>",
            "status_after": "solved",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["direction"] == "outbound"
    assert body["delivery_status"] == "queued"
    assert body["body_html"] == "<p>Wij hebben uw voorschot verlaagd.</p>"
    outbox = OutboxItem.objects.get(message_id=body["id"])
    assert outbox.message.recipients["to"] == [cast.carla_email]
    billing_ticket.refresh_from_db()
    assert billing_ticket.status == Status.SOLVED
    kinds = list(billing_ticket.activities.values_list("kind", flat=True))
    assert kinds == ["message.sent", "ticket.updated"]


def test_reply_to_a_customer_without_email_is_a_400_with_a_reason(as_anna, cast):
    no_mail = Customer.objects.create(name="Zonder Mail")
    ticket = TicketFactory(customer=no_mail, channel="phone")

    response = as_anna.post(f"/tickets/{ticket.pk}/reply", {"text": "Hallo"})

    assert response.status_code == 400
    assert "e-mailadres" in response.json()["detail"]
    assert not OutboxItem.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"text": ""}, {"text": None}, {"text": "x", "status_after": "verdwenen"}, {"text": 5}],
)
def test_reply_with_bad_input_is_a_422(as_anna, billing_ticket, body):
    response = as_anna.post(f"/tickets/{billing_ticket.pk}/reply", body)
    assert response.status_code == 422
    assert not OutboxItem.objects.exists()


def test_a_blank_reply_is_a_400(as_anna, billing_ticket):
    response = as_anna.post(f"/tickets/{billing_ticket.pk}/reply", {"text": "   "})
    assert response.status_code == 400
    assert response.json()["detail"] == "Een antwoord mag niet leeg zijn."


def test_a_note_is_internal_and_audited(as_anna, cast, billing_ticket):
    response = as_anna.post(
        f"/tickets/{billing_ticket.pk}/notes", {"text": "Meterstand nagevraagd bij netbeheerder."}
    )

    assert response.status_code == 201
    assert response.json()["direction"] == "note"
    assert not OutboxItem.objects.exists()
    activity = billing_ticket.activities.get(kind="note.added")
    assert activity.actor_agent == cast.anna


def test_an_overlong_note_is_a_422(as_anna, billing_ticket):
    response = as_anna.post(f"/tickets/{billing_ticket.pk}/notes", {"text": "x" * 100_001})
    assert response.status_code == 422
    assert "te lang" in response.json()["detail"]


def test_a_body_over_the_request_limit_is_a_413_in_json(as_anna, billing_ticket, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    response = as_anna.post(f"/tickets/{billing_ticket.pk}/notes", {"text": "x" * 2_000_000})
    assert response.status_code == 413
    assert "te groot" in response.json()["detail"]


def test_the_openapi_schema_and_docs_describe_the_api(cast):
    schema = Client().get("/api/v1/openapi.json").json()
    assert {"/api/v1/tickets", "/api/v1/tickets/{number}/reply", "/api/v1/customers"} <= set(
        schema["paths"]
    )
    assert schema["components"]["schemas"]["Status"]["enum"] == [
        "new",
        "open",
        "pending",
        "on_hold",
        "solved",
        "closed",
    ]
    assert Client().get("/api/v1/docs").status_code == 200


def test_the_api_docs_work_without_internet_from_balies_own_static_files(cast):
    import re

    page = Client().get("/api/v1/docs").content.decode()

    loaded = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(url.endswith("swagger-ui-bundle.js") for url in loaded)
    assert [url for url in loaded if "//" in url] == []  # no CDN, no other host
    assert "cdn." not in page
    for url in loaded:
        response = Client().get(url)
        assert response.status_code == 200, url
        b"".join(response.streaming_content if response.streaming else [response.content])


def test_a_session_write_without_the_csrf_token_is_refused(cast, billing_ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.anna.user)

    response = client.post(
        f"/api/v1/tickets/{billing_ticket.pk}/notes",
        json.dumps({"text": "Via de browser"}),
        content_type="application/json",
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not billing_ticket.messages.filter(direction=Direction.NOTE).exists()


# --- paths and methods the API does not have --------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/nope"),
        ("get", "/api/v1/nope/"),
        ("post", "/api/v1/tickets/999999/unknown"),
        ("delete", "/api/v1/tickets/1/messages/2/nothing/"),
    ],
)
def test_an_unknown_api_path_is_a_json_404(as_anna, method, path):
    if method == "get":
        response = as_anna.client.get(path)
    else:
        response = getattr(as_anna.client, method)(path, "{}", content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Niet gevonden."}


def test_an_unknown_api_path_answers_in_english_when_asked(as_anna):
    response = as_anna.client.get("/api/v1/nope", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_wrong_method_on_a_known_api_path_is_a_json_405_with_allow(as_anna, billing_ticket):
    response = as_anna.client.put(
        f"/api/v1/tickets/{billing_ticket.pk}/notes", "{}", content_type="application/json"
    )
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert "POST" in response["Allow"]
    assert "niet toegestaan" in response.json()["detail"]
    assert "PUT" in response.json()["detail"]


def test_an_unknown_agent_page_keeps_the_html_404(cast, client):
    client.force_login(cast.anna.user)
    response = client.get("/tickets/999999/nope")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_label_that_lower_case_makes_too_long_is_refused_not_cut(as_anna, billing_ticket):
    # 50 characters as sent, 100 once in lower case ("İ" is "i" with a combining dot).
    response = as_anna.patch(
        f"/tickets/{billing_ticket.pk}", {"tags": ["İ" * 50], "priority": "high"}
    )
    assert response.status_code == 422, response.json()
    assert "te lang" in response.json()["detail"]
    billing_ticket.refresh_from_db()
    assert not billing_ticket.tags.exists()
    assert billing_ticket.priority != "high"
    assert not billing_ticket.activities.exists()
