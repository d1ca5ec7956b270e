"""A reply on a channel that cannot send (the demo's WhatsApp and chat tickets) is refused in
the reply box with the reason, and answered by e-mail instead when the customer has an address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from balie.core.actors import SYSTEM
from balie.customers.actions import create_customer
from balie.messaging.models import OutboxItem
from balie.tickets import actions
from balie.tickets.models import Message


@pytest.fixture
def as_anna(client, cast):
    client.force_login(cast.anna.user)
    return client


def whatsapp_ticket(cast, customer=None):
    return actions.create_ticket(
        customer=customer or cast.carla,
        subject="Storing in mijn straat",
        channel="whatsapp",
        by=SYSTEM,
        team=cast.klantenservice,
    )


def test_the_reply_box_says_why_whatsapp_cannot_send_and_offers_email(as_anna, cast):
    ticket = whatsapp_ticket(cast)
    page = as_anna.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Een antwoord via WhatsApp kan niet worden verzonden" in page
    assert "U kunt de klant per e-mail antwoorden, aan carla.jansen@example.nl." in page
    assert 'name="via" value="email"' in page


def test_a_reply_on_whatsapp_is_refused_and_nothing_is_queued(as_anna, cast):
    ticket = whatsapp_ticket(cast)
    response = as_anna.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"mode": "antwoord", "text": "De storing is om 14:00 verholpen."},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Een antwoord via WhatsApp kan niet worden verzonden" in page
    assert "De storing is om 14:00 verholpen." in page  # the text is kept
    assert not Message.objects.filter(ticket=ticket, direction="outbound").exists()
    assert not OutboxItem.objects.exists()


def test_the_same_reply_goes_by_email_when_the_agent_chooses_so(as_anna, cast):
    ticket = whatsapp_ticket(cast)
    response = as_anna.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"mode": "antwoord", "text": "De storing is om 14:00 verholpen.", "via": "email"},
    )
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket, direction="outbound")
    assert message.channel == "email"
    assert message.recipients["to"] == ["carla.jansen@example.nl"]
    assert OutboxItem.objects.get(message=message).channel == "email"
    # A note on the same ticket is not a reply and needs no channel.
    as_anna.post(reverse("tickets:reply", args=[ticket.pk]), {"mode": "notitie", "text": "Gebeld."})
    assert Message.objects.filter(ticket=ticket, direction="note").count() == 1


def test_without_an_email_address_there_is_no_offer(as_anna, cast):
    customer = create_customer(name="Piet", identities=[("phone", "06 98765432")], by=SYSTEM)
    ticket = whatsapp_ticket(cast, customer=customer)
    page = as_anna.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Een antwoord via WhatsApp kan niet worden verzonden" in page
    assert 'name="via"' not in page
    assert "Deze klant heeft geen e-mailadres." in page
    response = as_anna.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"mode": "antwoord", "text": "Hallo", "via": "email"},
    )
    assert response.status_code == 400
    assert "Deze klant heeft geen e-mailadres" in response.content.decode()


def test_an_unknown_way_out_is_refused(as_anna, cast):
    ticket = whatsapp_ticket(cast)
    response = as_anna.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"mode": "antwoord", "text": "Hallo", "via": "whatsapp"},
    )
    assert response.status_code == 400
    assert not Message.objects.filter(ticket=ticket, direction="outbound").exists()


def test_an_email_ticket_gets_no_refusal(as_anna, cast):
    ticket = actions.create_ticket(
        customer=cast.carla,
        subject="Factuur",
        channel="email",
        by=SYSTEM,
        team=cast.klantenservice,
    )
    page = as_anna.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "kan niet worden verzonden" not in page


def test_the_api_refuses_a_whatsapp_reply_with_the_reason(client, cast):
    from balie.accounts.actions import create_api_token

    _token, raw = create_api_token(cast.anna, name="test", by=SYSTEM)
    ticket = whatsapp_ticket(cast)
    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/reply",
        {"text": "Hallo"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 400
    assert "WhatsApp" in response.json()["detail"]
