"""The tickets REST API as an integration would use it: a bearer token acting as its agent,
the agent's permissions exactly as in the UI, and a clear 4xx with a Dutch reason for bad
input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from balie.accounts.actions import create_api_token, revoke_api_token
from balie.core.actors import SYSTEM
from balie.tickets.actions import UploadedFile, add_note, store_attachments
from balie.tickets.models import Activity, Direction, Status, Ticket
from balie.tickets.tests.api_client import Api
from balie.tickets.tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db


# --- authentication -----------------------------------------------------------------------


def test_requests_without_a_valid_token_are_refused(cast, billing_ticket):
    response = Client().get("/api/v1/tickets")
    assert response.status_code == 401
    assert "API-token" in response.json()["detail"]
    assert Api("blt_verzonnen").get("/tickets").status_code == 401


def test_a_write_with_an_unknown_token_is_refused_as_unauthenticated_not_as_csrf(cast):
    """Over HTTP the browser session's CSRF check applies to writes; a wrong bearer token must
    still be answered as a wrong token."""
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Bearer blt_verzonnen")
    body = {"subject": "Factuur", "body": "Waarom twee keer?", "email": "klant@example.nl"}
    response = client.post("/api/v1/tickets", body, content_type="application/json")
    assert response.status_code == 401
    assert "API-token" in response.json()["detail"]
    assert not Ticket.objects.filter(subject="Factuur").exists()


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
    for params in ({}, {"view": "all"}, {"q": "meter"}, {"team": cast.techniek.pk}):
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


def test_list_answers_what_the_schema_makes_of_each_ticket(as_anna, cast, billing_ticket):
    """Given tickets with and without team, assignee, tags, customer number, e-mail address and
    a last message, when the list is asked, then its body is, byte for byte, the TicketList
    schema validated from each ticket's summary (as the ticket page of the API builds it) and
    rendered by django-ninja: the list reads plain values, the answer is the same."""
    from ninja.renderers import JSONRenderer

    from balie.customers.tests.factories import CustomerFactory
    from balie.tickets.api import ticket_summary
    from balie.tickets.api_schemas import TicketList

    billing_ticket.tags.create(name="voorschot")
    billing_ticket.tags.create(name="jaarafrekening")
    stranger = CustomerFactory(number=None, name="")
    TicketFactory(customer=stranger, assignee=cast.bram, last_message_at=None, priority="urgent")
    TicketFactory(
        customer=cast.carla, team=cast.klantenservice, assignee=cast.anna, type="complaint"
    )

    response = as_anna.get("/tickets", {"view": "all"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    numbers = [row["number"] for row in response.json()["items"]]
    assert len(numbers) == 3
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=numbers)}
    expected = TicketList.model_validate(
        {"items": [ticket_summary(tickets[n]) for n in numbers], "next_cursor": None}
    ).model_dump()
    assert response.content.decode() == JSONRenderer().render(None, expected, response_status=200)


def test_list_filters_by_status_assignee_and_channel(as_anna, cast):
    mine = TicketFactory(customer=cast.carla, assignee=cast.anna, status=Status.OPEN)
    waiting = TicketFactory(customer=cast.carla, status=Status.PENDING, channel="whatsapp")
    solved = TicketFactory(customer=cast.carla, status=Status.SOLVED)

    def numbers(params):
        response = as_anna.get("/tickets", params)
        assert response.status_code == 200, response.json()
        return {t["number"] for t in response.json()["items"]}

    assert numbers({"view": "all", "status": ["solved", "pending"]}) == {
        waiting.pk,
        solved.pk,
    }
    assert numbers({"view": "all", "assignee": 0}) == {waiting.pk, solved.pk}
    assert numbers({"view": "all", "assignee": cast.anna.pk}) == {mine.pk}
    assert numbers({"view": "mine"}) == {mine.pk}
    assert numbers({"view": "all", "channel": "whatsapp"}) == {waiting.pk}


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
    for sort in ("recent", "oldest", "deadline"):
        seen = walked[sort] = []
        cursor = ""
        pages = 0
        while True:
            params = {"view": "all", "limit": 50, "sort": sort}
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
    assert walked["oldest"] == sorted(walked["oldest"])
    assert walked["recent"][:2] == sorted((tickets[-1].pk, tickets[-2].pk), reverse=True)


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("newest", "nonsens!"),
        ("newest", "W10"),  # []
        ("newest", "WyJ4IiwgInkiXQ"),  # ["x", "y"]
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
        assert len(as_anna.get("/tickets", {"view": "all"}).json()["items"]) == 3
    make(60)
    with django_assert_max_num_queries(7):
        assert len(as_anna.get("/tickets", {"view": "all"}).json()["items"]) == 50


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
