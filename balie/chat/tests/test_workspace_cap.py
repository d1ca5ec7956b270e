"""An agent handles several chats side by side up to the team's cap: in a team whose chats are
handed out by hand (manual), taking one more than the cap is refused with the reason."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from balie.chat import actions
from balie.chat.tests.test_socket import WAIT_SECONDS
from balie.chat.tests.test_workspace_socket import cookie_of, desk_of, frame_of
from balie.routing.models import RoutingMode, TeamRouting
from balie.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_takes_chats_up_to_the_teams_cap_and_no_more(cast, chat_account):
    TeamRouting.objects.update_or_create(
        team=cast.klantenservice, defaults={"mode": RoutingMode.MANUAL, "cap": 2}
    )
    chats = [
        actions.start_chat(
            chat_account,
            name=f"Bezoeker {n}",
            email=f"bezoeker{n}@example.nl",
            text="Een vraag over mijn contract",
            client_id=f"b-{n}",
            topic="question",  # Klantenservice, Anna's team
        )
        for n in (1, 2, 3)
    ]
    tickets = [c.session.ticket_id for c in chats]
    page = Client()
    page.force_login(cast.anna.user)
    assert "Tot 2 chats tegelijk." in page.get("/chat/werkplek/").content.decode()
    cookie = cookie_of(cast.anna.user)

    @async_to_sync
    async def scenario():
        desk = await desk_of(cookie)
        waiting = await frame_of(desk, "waiting")
        assert [c["ticket"] for c in waiting["chats"]] == tickets
        opened = []
        for number in tickets[:2]:
            await desk.send_json_to({"type": "accept", "ticket": number})
            opened.append((await frame_of(desk, "chat"))["chat"]["ticket"])
        assert opened == tickets[:2]
        await desk.send_json_to({"type": "accept", "ticket": tickets[2]})
        refused = await frame_of(desk, "error")
        await desk.disconnect(timeout=WAIT_SECONDS)
        return refused

    assert scenario()["message"] == "U heeft al het maximum aantal chats tegelijk."
    assignees = [Ticket.objects.get(pk=number).assignee for number in tickets]
    assert assignees == [cast.anna, cast.anna, None]


def test_an_agent_finds_the_chat_workspace_in_the_main_menu(cast):
    import re

    page = Client()
    page.force_login(cast.bram.user)
    inbox = page.get("/tickets/").content.decode()
    menu = re.search(r'<nav aria-label="Hoofdmenu">(.*?)</nav>', inbox, re.S).group(1)
    assert re.search(r'<a href="/chat/werkplek/"\s*>Chat</a>', menu)
    workspace = page.get("/chat/werkplek/").content.decode()
    assert re.search(r'<a href="/chat/werkplek/" aria-current="page">Chat</a>', workspace)
