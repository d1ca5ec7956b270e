"""Who else has a ticket open, on the ticket page of every channel: an agent opening it is seen
by the others at once (a live event), stays while the page beats every few seconds, and is gone
when they leave or the heartbeats stop."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from balie.core.actors import SYSTEM
from balie.routing import presence
from balie.tickets import actions
from balie.tickets.models import Channel


@pytest.fixture(autouse=True)
def _no_one_there():
    cache.clear()
    yield
    cache.clear()


def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def presence_text(client, ticket) -> str:
    html = client.get(reverse("tickets:presence", args=[ticket.pk])).content.decode()
    return " ".join(html.split())


@pytest.mark.parametrize("channel", [c.value for c in Channel])
def test_an_agent_who_opens_a_ticket_is_seen_by_the_others_on_every_channel(
    cast, channel, published, django_capture_on_commit_callbacks
):
    ticket = actions.create_ticket(
        customer=cast.carla,
        subject="Vraag",
        channel=channel,
        by=SYSTEM,
        team=cast.klantenservice,
    )
    anna, bram = agent_client(cast.anna), agent_client(cast.bram)

    with django_capture_on_commit_callbacks(execute=True):
        assert anna.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 200

    assert (
        [f"ticket.{ticket.pk}"],
        "presence.viewing",
        {"ticket": ticket.pk, "agent": cast.anna.pk},
    ) in published
    assert "Bekijkt dit ticket ook: Anna de Vries" in presence_text(bram, ticket)
    assert "Bekijkt" not in presence_text(anna, ticket)  # not herself

    with django_capture_on_commit_callbacks(execute=True):
        assert anna.post(reverse("tickets:leave", args=[ticket.pk])).status_code == 204

    assert "Anna" not in presence_text(bram, ticket)
    assert published[-1][1] == "presence.viewing"


def test_heartbeats_keep_an_agent_there_and_without_them_they_drop_off(cast, monkeypatch):
    ticket = actions.create_ticket(
        customer=cast.carla, subject="Vraag", channel="email", by=SYSTEM, team=cast.klantenservice
    )
    anna, bram = agent_client(cast.anna), agent_client(cast.bram)
    started = time.time()
    anna.get(reverse("tickets:detail", args=[ticket.pk]))

    for beat in range(1, 6):  # the page's heartbeat, every 10 seconds for almost a minute
        monkeypatch.setattr(time, "time", lambda beat=beat: started + beat * presence.HEARTBEAT)
        assert anna.post(reverse("tickets:presence", args=[ticket.pk])).status_code == 200
    assert "Anna de Vries" in presence_text(bram, ticket)

    # The tab was closed without a word: a few missed beats later she is gone.
    monkeypatch.setattr(
        time, "time", lambda: started + 5 * presence.HEARTBEAT + presence.TTL["viewing"] + 1
    )
    assert "Anna" not in presence_text(bram, ticket)


def test_two_agents_together_read_as_a_list_and_the_one_typing_as_a_warning(cast):
    from balie.accounts.tests.factories import AgentFactory

    daan = AgentFactory(display_name="Daan Visser", teams=[cast.klantenservice])
    ticket = actions.create_ticket(
        customer=cast.carla, subject="Vraag", channel="chat", by=SYSTEM, team=cast.klantenservice
    )
    agent_client(cast.bram).get(reverse("tickets:detail", args=[ticket.pk]))
    agent_client(daan).get(reverse("tickets:detail", args=[ticket.pk]))
    anna = agent_client(cast.anna)

    assert "Bekijken dit ticket ook: Bram Bakker, Daan Visser" in presence_text(anna, ticket)

    agent_client(daan).post(reverse("tickets:typing", args=[ticket.pk]))
    text = presence_text(anna, ticket)
    assert "Bekijkt dit ticket ook: Bram Bakker" in text
    assert "Daan Visser is ook een antwoord aan het schrijven" in text


def test_presence_of_a_ticket_the_agent_may_not_see_is_refused(cast):
    hidden = actions.create_ticket(
        customer=cast.carla, subject="Intern", channel="email", by=SYSTEM, team=cast.techniek
    )
    anna = agent_client(cast.anna)  # not in the private team Techniek

    assert anna.post(reverse("tickets:presence", args=[hidden.pk])).status_code == 404
    assert anna.post(reverse("tickets:leave", args=[hidden.pk])).status_code == 404
    assert anna.get(reverse("tickets:leave", args=[hidden.pk])).status_code == 405
    assert presence.viewing_agents(hidden) == []
