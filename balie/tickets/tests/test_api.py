"""The tickets REST API as an integration would use it: a bearer token acting as its agent,
the agent's permissions exactly as in the UI, and a clear 4xx with a Dutch reason for bad
input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from balie.accounts.actions import create_api_token, revoke_api_token
from balie.accounts.models import Role
from balie.accounts.tests.factories import AgentFactory, UserFactory
from balie.core.events import SYSTEM
from balie.customers.models import Customer
from balie.messaging.models import OutboxItem
from balie.tickets.actions import UploadedFile, add_note, store_attachments
from balie.tickets.models import Activity, DeliveryStatus, Direction, Status, Ticket
from balie.tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast's users get a password; a fast hasher keeps the setup of each test short."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Api:
    """A JSON client with a bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def get(self, path: str, params: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {})

    def post(self, path: str, body: object):
        return self.client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")

    def patch(self, path: str, body: object):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(body), content_type="application/json"
        )


@pytest.fixture
def as_anna(cast) -> Api:
    return Api(create_api_token(cast.anna, name="integratie", by=SYSTEM)[1])


@pytest.fixture
def as_bram(cast) -> Api:
    return Api(create_api_token(cast.bram, name="integratie", by=SYSTEM)[1])


@pytest.fixture
def billing_ticket(cast) -> Ticket:
    ticket = TicketFactory(
        customer=cast.carla, team=cast.klantenservice, subject="Voorschot te hoog"
    )
    MessageFactory(
        ticket=ticket,
        body_text="Mijn voorschot is veel te hoog sinds de verhuizing.",
        body_html="<p>Mijn voorschot is veel te hoog sinds de verhuizing.</p>",
        sender_address=cast.carla_email,
        sender_name="Carla Jansen",
        delivery_status=DeliveryStatus.RECEIVED,
    )
    return ticket


@pytest.fixture
def meter_ticket(cast) -> Ticket:
    """A ticket of the private team techniek: anna is not a member."""
    ticket = TicketFactory(customer=cast.carla, team=cast.techniek, subject="Slimme meter stuk")
    MessageFactory(ticket=ticket, body_text="De slimme meter geeft een foutcode E42.")
    return ticket


# --- authentication -----------------------------------------------------------------------


def test_requests_without_a_valid_token_are_refused(cast, billing_ticket):
    response = Client().get("/api/v1/tickets")
    assert response.status_code == 401
    assert "API-token" in response.json()["detail"]
    assert Api("blt_verzonnen").get("/tickets").status_code == 401


def test_the_token_of_a_deactivated_agent_is_refused(cast, billing_ticket):
    _token, raw = create_api_token(cast.anna, name="oude koppeling", by=SYSTEM)
    assert Api(raw).get("/tickets").status_code == 200

    cast.anna.user.is_active = False
    cast.anna.user.save(update_fields=["is_active"])

    assert Api(raw).get("/tickets").status_code == 401


def test_a_revoked_token_is_refused(cast):
    token, raw = create_api_token(cast.anna, name="gelekt", by=SYSTEM)
    revoke_api_token(token, by=SYSTEM)
    assert Api(raw).get("/tickets").status_code == 401


def test_a_token_revoked_from_the_admin_list_is_refused_at_once(cast, billing_ticket):
    """Tokens are kept per process; the admin's bulk revoke (an UPDATE, no signals) still
    takes effect on the next request."""
    from balie.accounts.admin import ApiTokenAdmin
    from balie.accounts.models import ApiToken

    token, raw = create_api_token(cast.anna, name="gelekt", by=SYSTEM)
    assert Api(raw).get("/tickets").status_code == 200

    ApiTokenAdmin.revoke(None, None, ApiToken.objects.filter(pk=token.pk))

    assert Api(raw).get("/tickets").status_code == 401


def test_joining_or_leaving_a_private_team_changes_what_the_api_shows_at_once(
    as_anna, cast, meter_ticket
):
    """The private teams and their members are kept per process: a change of membership
    shows on the next request."""
    path = f"/tickets/{meter_ticket.pk}"
    assert as_anna.get(path).status_code == 404

    cast.anna.teams.add(cast.techniek)
    assert as_anna.get(path).status_code == 200
    assert meter_ticket.pk in [t["number"] for t in as_anna.get("/tickets").json()["items"]]

    cast.techniek.agents.remove(cast.anna)
    assert as_anna.get(path).status_code == 404
    assert meter_ticket.pk not in [t["number"] for t in as_anna.get("/tickets").json()["items"]]


def test_a_logged_in_agent_can_use_the_api_with_their_session(cast, billing_ticket):
    client = Client()
    client.force_login(cast.anna.user)
    response = client.get("/api/v1/tickets")
    assert response.status_code == 200
    assert [t["number"] for t in response.json()["items"]] == [billing_ticket.pk]


# --- the private team: invisible to outsiders, everywhere -----------------------------------


def test_an_outsider_gets_404_for_a_private_teams_ticket_everywhere(as_anna, meter_ticket):
    path = f"/tickets/{meter_ticket.pk}"
    missing = as_anna.get("/tickets/999999")

    answers = [
        as_anna.get(path),
        as_anna.patch(path, {"status": "solved"}),
        as_anna.post(f"{path}/reply", {"text": "Wij komen langs."}),
        as_anna.post(f"{path}/notes", {"text": "Even kijken"}),
        as_anna.get(f"{path}/messages"),
    ]

    assert [r.status_code for r in answers] == [404] * 5
    assert {r.json()["detail"] for r in answers} == {missing.json()["detail"]}
    meter_ticket.refresh_from_db()
    assert meter_ticket.status == Status.NEW
    assert meter_ticket.messages.count() == 1
    assert not Activity.objects.filter(ticket=meter_ticket).exists()


def test_an_outsider_never_sees_a_private_ticket_in_lists(
    as_anna, as_bram, cast, meter_ticket, billing_ticket
):
    for params in ({}, {"view": "alle"}, {"q": "meter"}, {"team": cast.techniek.pk}):
        numbers = [t["number"] for t in as_anna.get("/tickets", params).json()["items"]]
        assert meter_ticket.pk not in numbers

    customer = as_anna.get(f"/customers/{cast.carla.pk}").json()
    assert [t["number"] for t in customer["recent_tickets"]] == [billing_ticket.pk]

    # a member of techniek does see it
    numbers = [t["number"] for t in as_bram.get("/tickets", {"q": "meter"}).json()["items"]]
    assert numbers == [meter_ticket.pk]


# --- list ---------------------------------------------------------------------------------


def test_list_shows_the_inbox_rows_with_customer_team_and_tags(as_anna, cast, billing_ticket):
    billing_ticket.tags.create(name="jaarafrekening")

    response = as_anna.get("/tickets")

    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    [row] = body["items"]
    assert row["number"] == billing_ticket.pk
    assert row["subject"] == "Voorschot te hoog"
    assert row["team"] == {"id": cast.klantenservice.pk, "name": "Klantenservice"}
    assert row["customer"]["name"] == "Carla Jansen"
    assert row["customer"]["email"] == cast.carla_email
    assert row["tags"] == ["jaarafrekening"]


def test_list_filters_by_status_assignee_and_channel(as_anna, cast):
    mine = TicketFactory(customer=cast.carla, assignee=cast.anna, status=Status.OPEN)
    waiting = TicketFactory(customer=cast.carla, status=Status.PENDING, channel="whatsapp")
    solved = TicketFactory(customer=cast.carla, status=Status.SOLVED)

    def numbers(params):
        response = as_anna.get("/tickets", params)
        assert response.status_code == 200, response.json()
        return {t["number"] for t in response.json()["items"]}

    assert numbers({"view": "alle", "status": ["solved", "pending"]}) == {
        waiting.pk,
        solved.pk,
    }
    assert numbers({"view": "alle", "assignee": 0}) == {waiting.pk, solved.pk}
    assert numbers({"view": "alle", "assignee": cast.anna.pk}) == {mine.pk}
    assert numbers({"view": "mijn"}) == {mine.pk}
    assert numbers({"view": "alle", "channel": "whatsapp"}) == {waiting.pk}


def test_q_finds_a_ticket_by_a_word_in_a_message(as_anna, cast, billing_ticket):
    TicketFactory(customer=cast.carla, subject="Storing in Utrecht")

    response = as_anna.get("/tickets", {"q": "verhuizing"})

    assert [t["number"] for t in response.json()["items"]] == [billing_ticket.pk]


def test_cursor_pagination_walks_through_every_ticket_exactly_once(as_anna, cast):
    start = timezone.now() - timedelta(days=1)
    tickets = [
        # pairs share a timestamp, so the keyset must break ties on the number
        TicketFactory(customer=cast.carla, last_message_at=start + timedelta(minutes=i // 2))
        for i in range(120)
    ]
    walked: dict[str, list[int]] = {}
    for sort in ("recent", "oud", "deadline"):
        seen = walked[sort] = []
        cursor = ""
        pages = 0
        while True:
            params = {"view": "alle", "limit": 50, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            body = as_anna.get("/tickets", params).json()
            seen += [t["number"] for t in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert len(seen) == len(set(seen)) == 120
        assert set(seen) == {t.pk for t in tickets}
    assert walked["oud"] == sorted(walked["oud"])
    assert walked["recent"][:2] == sorted((tickets[-1].pk, tickets[-2].pk), reverse=True)


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("nieuw", "nonsens!"),
        ("nieuw", "W10"),  # []
        ("nieuw", "WyJ4IiwgInkiXQ"),  # ["x", "y"]
        ("recent", "WyIyMDI0LTEzLTQ1VDAwOjAwOjAwIiwgMV0"),  # ["2024-13-45T00:00:00", 1]
    ],
)
def test_a_bad_cursor_is_a_400_with_a_reason(as_anna, sort, cursor):
    response = as_anna.get("/tickets", {"cursor": cursor, "sort": sort})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Ongeldige cursor")


def test_the_list_query_count_does_not_grow_with_the_page(
    as_anna, cast, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            ticket = TicketFactory(
                customer=cast.carla, team=cast.klantenservice, assignee=cast.anna
            )
            ticket.tags.create(name=f"label-{ticket.pk}")

    make(3)
    with django_assert_max_num_queries(7):
        assert len(as_anna.get("/tickets", {"view": "alle"}).json()["items"]) == 3
    make(60)
    with django_assert_max_num_queries(7):
        assert len(as_anna.get("/tickets", {"view": "alle"}).json()["items"]) == 50


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "veel"},
        {"status": "zoek"},
        {"team": 2**64},
        {"customer": -1},
        {"q": "voor\x00schot"},
        {"q": "x" * 201},
        {"sort": "willekeurig"},
        {"view": "geheim"},
    ],
)
def test_bad_list_parameters_are_a_422_with_a_dutch_reason(as_anna, params):
    response = as_anna.get("/tickets", params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Ongeldige invoer")


# --- one ticket ---------------------------------------------------------------------------


def test_get_shows_the_conversation_with_notes_and_attachments(as_anna, cast, billing_ticket):
    note = add_note(billing_ticket, by=cast.anna, text="Klant belde ook al gisteren.")
    inbound = billing_ticket.messages.get(direction=Direction.INBOUND)
    store_attachments(inbound, [UploadedFile("meterstand.jpg", "image/jpeg", b"\xff\xd8jpeg")])

    response = as_anna.get(f"/tickets/{billing_ticket.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == billing_ticket.pk
    assert body["customer"]["number"] == cast.carla.number
    assert body["more_messages"] is False
    first, second = body["messages"]
    assert first["direction"] == "inbound"
    assert first["body_html"] == "<p>Mijn voorschot is veel te hoog sinds de verhuizing.</p>"
    assert first["sender"]["address"] == cast.carla_email
    assert second["id"] == note.pk
    assert second["direction"] == "note"
    [attachment] = first["attachments"]
    assert attachment["filename"] == "meterstand.jpg"

    download = as_anna.client.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\xff\xd8jpeg"
    assert "attachment" in download["Content-Disposition"]


def test_an_unknown_or_absurd_ticket_number_is_a_clean_4xx(as_anna):
    assert as_anna.get("/tickets/123456789").status_code == 404
    assert as_anna.get("/tickets/99999999999999999999999").status_code == 422
    assert as_anna.get("/tickets/0").status_code == 422
    assert as_anna.get("/tickets/abc").status_code == 422


def test_messages_are_paged_by_id(as_anna, billing_ticket):
    for i in range(4):
        MessageFactory(ticket=billing_ticket, body_text=f"bericht {i}")

    first = as_anna.get(f"/tickets/{billing_ticket.pk}/messages", {"limit": 3}).json()
    rest = as_anna.get(
        f"/tickets/{billing_ticket.pk}/messages", {"limit": 3, "after": first["next_cursor"]}
    ).json()

    assert len(first["items"]) == 3
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    ids = [m["id"] for m in first["items"] + rest["items"]]
    assert ids == sorted(set(ids))
    assert as_anna.get(f"/tickets/{billing_ticket.pk}/messages", {"limit": 500}).status_code == 422


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
