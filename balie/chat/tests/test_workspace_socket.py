"""The agents' workspace socket: a waiting chat appears, an agent accepts it and the two talk;
an internal note stays with the agents; a chat of a private team stays hidden."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application

from .test_socket import WAIT_SECONDS

pytestmark = pytest.mark.django_db(transaction=True)
SITE = "https://www.voorbeeld-energie.nl"


def cookie_of(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def frame_of(communicator, kind: str, timeout: float = WAIT_SECONDS):
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def desk_of(cookie: bytes):
    desk = WebsocketCommunicator(
        application,
        "/ws/werkplek/",
        headers=[(b"cookie", cookie), (b"origin", b"http://testserver"), (b"host", b"testserver")],
    )
    assert (await desk.connect(timeout=WAIT_SECONDS))[0]
    return desk


def test_agent_accepts_and_both_sides_talk(started, cast):
    ticket = started.session.ticket
    assert ticket.team == cast.techniek  # the topic "meter_reading" chose the private team
    outsider_cookie = cookie_of(cast.anna.user)
    agent_cookie = cookie_of(cast.bram.user)

    @async_to_sync
    async def scenario():
        outsider = await desk_of(outsider_cookie)
        assert (await frame_of(outsider, "waiting"))["chats"] == []
        await outsider.send_json_to({"type": "accept", "ticket": ticket.pk})
        assert "niet voor u" in (await frame_of(outsider, "error"))["message"]
        await outsider.disconnect(timeout=WAIT_SECONDS)
        desk = WebsocketCommunicator(
            application,
            "/ws/werkplek/",
            headers=[
                (b"cookie", agent_cookie),
                (b"origin", b"http://testserver"),
                (b"host", b"testserver"),
            ],
        )
        assert (await desk.connect(timeout=WAIT_SECONDS))[0]
        waiting = await frame_of(desk, "waiting")
        assert [c["ticket"] for c in waiting["chats"]] == [ticket.pk]
        await desk.send_json_to({"type": "accept", "ticket": ticket.pk})
        chat = await frame_of(desk, "chat")
        assert chat["chat"]["page"] == "https://www.voorbeeld-energie.nl/tarieven"
        assert chat["chat"]["customer_number"] == "123456"
        first = await frame_of(desk, "messages")
        assert first["messages"][0]["text"] == "Mijn meterstand klopt niet"

        visitor = WebsocketCommunicator(
            application, "/ws/chat/demo/", headers=[(b"origin", SITE.encode()), (b"host", b"x")]
        )
        assert (await visitor.connect(timeout=WAIT_SECONDS))[0]
        await visitor.send_json_to({"type": "hello", "token": started.token})
        welcome = await frame_of(visitor, "welcome")
        assert welcome["state"] == "active" and welcome["agent"] == "Bram"
        await frame_of(visitor, "messages")

        await desk.send_json_to({"type": "note", "ticket": ticket.pk, "text": "Klant lijkt boos"})
        note = await frame_of(desk, "messages")
        assert note["messages"][0]["from"] == "note"
        await desk.send_json_to({"type": "typing", "ticket": ticket.pk, "on": True})
        assert (await frame_of(visitor, "typing"))["on"] is True
        await desk.send_json_to({"type": "reply", "ticket": ticket.pk, "text": "Ik kijk het na"})
        answer = await frame_of(visitor, "messages")
        assert [m["text"] for m in answer["messages"]] == ["Ik kijk het na"]
        own = await frame_of(desk, "messages")  # the agent's own answer, stored, in their log
        assert [m["from"] for m in own["messages"]] == ["agent"]

        await visitor.send_json_to({"type": "message", "cid": "v-2", "text": "Dank u"})
        got = await frame_of(desk, "messages")
        assert [(m["from"], m["text"]) for m in got["messages"]] == [("visitor", "Dank u")]
        await visitor.send_json_to({"type": "read", "upto": answer["messages"][0]["id"]})
        assert (await frame_of(desk, "read"))["upto"] == answer["messages"][0]["id"]

        await desk.send_json_to({"type": "end", "ticket": ticket.pk})
        await frame_of(visitor, "ended")
        await visitor.disconnect(timeout=WAIT_SECONDS)
        await desk.disconnect(timeout=WAIT_SECONDS)

    scenario()
    ticket.refresh_from_db()
    assert ticket.assignee == cast.bram


def test_an_agent_outside_the_chats_team_cannot_show_the_visitor_typing(started, cast):
    ticket = started.session.ticket
    outsider_cookie = cookie_of(cast.anna.user)  # not in the private team the chat went to

    @async_to_sync
    async def scenario():
        visitor = WebsocketCommunicator(
            application, "/ws/chat/demo/", headers=[(b"origin", SITE.encode()), (b"host", b"x")]
        )
        assert (await visitor.connect(timeout=WAIT_SECONDS))[0]
        await visitor.send_json_to({"type": "hello", "token": started.token})
        await frame_of(visitor, "welcome")
        outsider = await desk_of(outsider_cookie)
        await outsider.send_json_to({"type": "typing", "ticket": ticket.pk, "on": True})
        assert "niet voor u" in (await frame_of(outsider, "error"))["message"]
        seen = []
        while not await visitor.receive_nothing(timeout=1):
            seen.append((await visitor.receive_json_from())["type"])
        assert "typing" not in seen
        await outsider.disconnect(timeout=WAIT_SECONDS)
        await visitor.disconnect(timeout=WAIT_SECONDS)

    scenario()


def test_without_login_the_workspace_socket_is_closed(started):
    @async_to_sync
    async def scenario():
        desk = WebsocketCommunicator(
            application,
            "/ws/werkplek/",
            headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")],
        )
        connected, code = await desk.connect(timeout=WAIT_SECONDS)
        assert not connected and code == 4401

    scenario()


def test_a_waiting_chat_shows_its_topic_in_words(started, cast):
    cookie = cookie_of(cast.bram.user)

    @async_to_sync
    async def scenario():
        desk = await desk_of(cookie)
        waiting = await frame_of(desk, "waiting")
        assert [(c["topic"], c["topic_label"]) for c in waiting["chats"]] == [
            ("meter_reading", "Meterstand")
        ]
        await desk.disconnect(timeout=WAIT_SECONDS)

    scenario()


def test_an_offer_of_a_chat_ticket_without_a_live_chat_names_the_ticket_and_keeps_the_socket(
    cast, django_capture_on_commit_callbacks
):
    """A chat ticket no visitor is on (filed by an agent, or an old one handed back): the offer
    says which ticket it is, and accepting it leaves the workspace connected."""
    from asgiref.sync import sync_to_async

    from balie.core.actors import SYSTEM
    from balie.routing.actions import accept_offer
    from balie.tickets.actions import create_ticket

    cookie = cookie_of(cast.anna.user)

    def new_chat_ticket():
        with django_capture_on_commit_callbacks(execute=True):
            return create_ticket(
                customer=cast.carla,
                subject="Terugbelverzoek over mijn termijn",
                channel="chat",
                team=cast.klantenservice,
                by=SYSTEM,
            )

    def accept(offer):
        with django_capture_on_commit_callbacks(execute=True):
            accept_offer(offer, agent=cast.anna)

    @async_to_sync
    async def scenario():
        desk = await desk_of(cookie)
        await frame_of(desk, "waiting")
        ticket = await sync_to_async(new_chat_ticket)()
        offer = await frame_of(desk, "offer")
        assert offer["ticket"] == ticket.pk
        assert offer["name"] == f"#{ticket.pk} Terugbelverzoek over mijn termijn"
        assert offer["started"]
        await sync_to_async(accept)(offer["offer"])
        await desk.send_json_to({"type": "open", "ticket": ticket.pk})
        assert "niet voor u" in (await frame_of(desk, "error"))["message"]
        await desk.disconnect(timeout=WAIT_SECONDS)

    scenario()


def test_an_agent_who_chose_english_gets_the_workspace_in_english(started, cast):
    """The language the agent chose in the header (EN) holds on the socket too: topics in
    words and the reasons it gives."""
    english = cookie_of(cast.bram.user) + b"; django_language=en"
    outsider = cookie_of(cast.anna.user) + b"; django_language=en"
    ticket = started.session.ticket

    @async_to_sync
    async def scenario():
        desk = await desk_of(english)
        waiting = await frame_of(desk, "waiting")
        assert [c["topic_label"] for c in waiting["chats"]] == ["Meter reading"]
        await desk.disconnect(timeout=WAIT_SECONDS)
        other = await desk_of(outsider)
        await frame_of(other, "waiting")
        await other.send_json_to({"type": "accept", "ticket": ticket.pk})
        assert (await frame_of(other, "error"))["message"] == (
            "This chat does not exist or is not yours."
        )
        await other.disconnect(timeout=WAIT_SECONDS)

    scenario()
