"""Customer pages of the agent UI: list and search, customer page, identities, merge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from balie.core.actors import SYSTEM
from balie.customers.actions import create_customer
from balie.customers.models import Customer
from balie.tickets import actions


@pytest.fixture
def as_anna(client, cast):
    client.force_login(cast.anna.user)
    return client


def test_customer_list_searches_by_name_number_and_email(as_anna, cast):
    create_customer(name="Dirk de Boer", identities=[("email", "dirk@example.nl")], by=SYSTEM)
    url = reverse("customers:list")

    assert "Carla Jansen" in as_anna.get(url, {"q": "carla"}).content.decode()
    assert "Dirk de Boer" not in as_anna.get(url, {"q": "carla"}).content.decode()
    assert "Carla Jansen" in as_anna.get(url, {"q": cast.carla.number}).content.decode()
    assert "Dirk de Boer" in as_anna.get(url, {"q": "dirk@example"}).content.decode()


def test_picker_finds_a_customer_by_phone_in_any_notation(as_anna, cast):
    html = as_anna.get(reverse("customers:picker"), {"q": "+31 6 1234 5678"}).content.decode()
    assert "Carla Jansen" in html


def test_customer_page_shows_only_tickets_the_agent_may_see(as_anna, cast):
    visible = actions.create_ticket(
        customer=cast.carla,
        subject="Jaarnota",
        channel="email",
        by=SYSTEM,
        team=cast.klantenservice,
    )
    hidden = actions.create_ticket(
        customer=cast.carla, subject="Meterkast", channel="email", by=SYSTEM, team=cast.techniek
    )
    html = as_anna.get(reverse("customers:detail", args=[cast.carla.pk])).content.decode()
    assert f"#{visible.pk}" in html and "Jaarnota" in html
    assert f"#{hidden.pk}" not in html and "Meterkast" not in html
    assert "+31612345678" in html


def test_add_identity(as_anna, cast):
    response = as_anna.post(
        reverse("customers:identity_add", args=[cast.carla.pk]),
        {"kind": "whatsapp", "value": "06 12345678"},
    )
    assert response.status_code == 302
    assert cast.carla.identities.filter(kind="whatsapp", value="+31612345678").exists()


def test_add_identity_of_another_customer_is_refused(as_anna, cast):
    create_customer(name="Dirk", identities=[("email", "dirk@example.nl")], by=SYSTEM)
    response = as_anna.post(
        reverse("customers:identity_add", args=[cast.carla.pk]),
        {"kind": "email", "value": "dirk@example.nl"},
    )
    assert response.status_code == 400
    assert "hoort al bij klant" in response.content.decode()


def test_merge_asks_for_confirmation_then_moves_tickets(as_anna, cast):
    duplicate = create_customer(
        name="C. Jansen", identities=[("email", "c.jansen@werk.example")], by=SYSTEM
    )
    ticket = actions.create_ticket(
        customer=duplicate, subject="Via werkmail", channel="email", by=SYSTEM
    )
    url = reverse("customers:merge", args=[cast.carla.pk])

    confirm = as_anna.get(url, {"number": duplicate.number})
    assert confirm.status_code == 200
    assert "Weet u zeker" in confirm.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None

    done = as_anna.post(url, {"number": duplicate.number, "confirm": "ja"})
    assert done.status_code == 302
    duplicate.refresh_from_db()
    ticket.refresh_from_db()
    assert duplicate.merged_into == cast.carla
    assert ticket.customer == cast.carla
    assert cast.carla.identities.filter(value="c.jansen@werk.example").exists()
    page = as_anna.get(done["Location"]).content.decode()
    assert "is samengevoegd met" in page and "Via werkmail" in page


def test_merge_with_unknown_number_explains_in_dutch(as_anna, cast):
    response = as_anna.get(reverse("customers:merge", args=[cast.carla.pk]), {"number": "K0"})
    assert response.status_code == 400
    assert "Er is geen klant met klantnummer K0." in response.content.decode()
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0
