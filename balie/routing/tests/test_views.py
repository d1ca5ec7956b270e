"""Presence, heartbeats, offers and the supervisor page, as agents use them in the browser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from balie.routing import actions
from balie.routing.models import Offer, OfferState, PresenceState, QueueEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_annie(client, make_agent):
    annie = make_agent("Annie", online=False)
    client.force_login(annie.user)
    client.agent = annie
    return client


def test_the_top_bar_shows_the_presence_selector_and_changing_it_works(as_annie):
    page = as_annie.get(reverse("tickets:inbox")).content.decode()
    assert 'id="presence-selector"' in page
    assert 'value="offline" selected' in page
    assert "Afwezig: Pauze" in page

    response = as_annie.post(
        reverse("routing:presence"), {"state": "online"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'value="online" selected' in response.content.decode()
    as_annie.agent.presence.refresh_from_db()
    assert as_annie.agent.presence.state == PresenceState.ONLINE

    response = as_annie.post(reverse("routing:presence"), {"state": "away:meeting"})
    assert response.status_code == 302
    as_annie.agent.presence.refresh_from_db()
    assert (as_annie.agent.presence.state, as_annie.agent.presence.reason) == ("away", "meeting")


def test_a_bad_state_is_refused_and_changes_nothing(as_annie):
    response = as_annie.post(
        reverse("routing:presence"), {"state": "away:koffie"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert "Onbekende reden" in response.json()["error"]
    response = as_annie.post(reverse("routing:presence"), {"state": "weg"})
    assert response.status_code == 400
    presence = actions.heartbeat(as_annie.agent, active=False)
    assert presence.state == PresenceState.OFFLINE  # still as it was


def test_presence_needs_login_and_csrf(client, make_agent):
    response = client.post(reverse("routing:heartbeat"))
    assert response.status_code == 302 and "/inloggen/" in response["Location"]
    from django.test import Client

    annie = make_agent("Annie")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(annie.user)
    assert strict.post(reverse("routing:presence"), {"state": "offline"}).status_code == 403
    assert strict.get(reverse("routing:heartbeat")).status_code == 405


def test_heartbeat_answers_the_state(as_annie):
    actions.set_presence(as_annie.agent, PresenceState.ONLINE)
    response = as_annie.post(reverse("routing:heartbeat"), {"active": "1"})
    assert response.json() == {"state": "online", "reason": ""}


def test_an_offer_shows_in_the_top_bar_and_accepting_opens_the_ticket(as_annie, new_ticket):
    actions.set_presence(as_annie.agent, PresenceState.ONLINE)
    ticket = new_ticket(subject="Storing in Utrecht")
    page = as_annie.get(reverse("routing:presence_selector")).content.decode()
    assert f"Nieuwe chat #{ticket.pk}: Storing in Utrecht" in page
    offer = Offer.objects.get(ticket=ticket)
    response = as_annie.post(
        reverse("routing:accept_offer", args=[offer.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("tickets:detail", args=[ticket.pk])
    ticket.refresh_from_db()
    assert ticket.assignee == as_annie.agent
    again = as_annie.post(reverse("routing:accept_offer", args=[offer.pk]))
    assert again.status_code == 409
    assert "al beantwoord" in again.json()["error"]


def test_nobody_answers_someone_elses_offer(as_annie, make_agent, new_ticket):
    bob = make_agent("Bob")
    ticket = new_ticket()
    offer = Offer.objects.get(ticket=ticket)
    assert offer.agent == bob
    assert as_annie.post(reverse("routing:accept_offer", args=[offer.pk])).status_code == 409
    assert as_annie.post(reverse("routing:decline_offer", args=[offer.pk])).status_code == 409
    offer.refresh_from_db()
    assert offer.state == OfferState.OFFERED


def test_declining_through_the_endpoint(as_annie, new_ticket):
    actions.set_presence(as_annie.agent, PresenceState.ONLINE)
    offer = Offer.objects.get(ticket=new_ticket())
    response = as_annie.post(reverse("routing:decline_offer", args=[offer.pk]))
    assert response.json() == {"ok": True}
    offer.refresh_from_db()
    assert offer.state == OfferState.DECLINED


def test_the_supervisor_page_shows_queues_and_agents_and_force_assigns(
    client, make_agent, new_ticket
):
    from balie.routing.models import TeamRouting

    annie = make_agent("Annie")
    make_agent("Bob", online=False)
    lead = make_agent("Lotte", role="team_lead", online=False)
    row = TeamRouting.objects.get()
    row.cap = 1
    row.save()
    actions.accept_offer(Offer.objects.get(ticket=new_ticket()).pk, agent=annie)
    waiting = new_ticket(tier="vip")

    client.force_login(annie.user)
    assert client.get(reverse("routing:supervisor")).status_code == 403

    client.force_login(lead.user)
    page = client.get(reverse("routing:supervisor")).content.decode()
    assert "Wachtrijen en bezetting" in page
    assert 'data-testid="waiting-klantenservice-chat">1<' in page
    assert f"#{waiting.pk}" in page and "VIP" in page
    assert "1 / 1" in page  # Annie's chats against the cap
    assert "Beschikbaar" in page and "Offline" in page

    response = client.post(
        reverse("routing:force_assign"), {"ticket": waiting.pk, "agent": annie.pk}, follow=True
    )
    assert f"Ticket #{waiting.pk} is toegewezen aan Annie." in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.assignee == annie
    assert not QueueEntry.objects.filter(state="waiting").exists()

    bad = client.post(reverse("routing:force_assign"), {"ticket": "x", "agent": ""}, follow=True)
    assert "Kies een ticket uit de wachtrij" in bad.content.decode()


def test_the_supervisor_page_in_english(client, make_agent):
    lead = make_agent("Lotte", role="team_lead")
    client.force_login(lead.user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("routing:supervisor"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Queues and staffing" in page
    assert "Available" in page


def test_the_supervisor_page_says_how_long_a_chat_waits_in_the_agents_language(
    client, make_agent, new_ticket
):
    from datetime import timedelta

    from django.utils import timezone

    lead = make_agent("Lotte", role="team_lead", online=False)
    new_ticket()
    client.force_login(lead.user)
    QueueEntry.objects.update(arrived_at=timezone.now() - timedelta(hours=3, minutes=5, seconds=9))
    dutch = client.get(reverse("routing:supervisor")).content.decode()
    assert "<td>3 u 05 min</td>" in dutch

    client.cookies["django_language"] = "en"
    english = client.get(reverse("routing:supervisor"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>3 h 05 min</td>" in english and " u " not in english

    QueueEntry.objects.update(arrived_at=timezone.now() - timedelta(days=6, hours=8, minutes=1))
    english = client.get(reverse("routing:supervisor"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>6 d 8 h</td>" in english
