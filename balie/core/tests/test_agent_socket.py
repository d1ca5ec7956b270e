"""The agents' WebSocket: events of visible tickets arrive, private ones and anonymous
connections do not."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from balie.core import realtime
from balie.core.actors import SYSTEM
from balie.core.socket_urls import websocket_urlpatterns
from balie.tickets import actions

application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def connect(path: str, cookie: str = ""):
    headers = [(b"cookie", cookie.encode())] if cookie else []
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


def create_ticket(cast, team):
    return actions.create_ticket(
        customer=cast.carla, subject="Geen stroom", channel="email", by=SYSTEM, team=team
    )


publish_now = sync_to_async(realtime.send)


def test_agent_receives_events_of_a_visible_ticket(cast):
    ticket = create_ticket(cast, cast.klantenservice)
    cookie = session_cookie(cast.anna.user)

    @async_to_sync
    async def scenario():
        communicator, connected, _code = await connect(f"/ws/agent/?ticket={ticket.pk}", cookie)
        assert connected
        await publish_now(
            [f"ticket.{ticket.pk}"], "message.received", {"ticket": ticket.pk, "activity": 1}
        )
        assert await communicator.receive_json_from(timeout=10) == {
            "event": "message.received",
            "data": {"ticket": ticket.pk, "activity": 1},
        }
        await publish_now(
            [f"team.{cast.klantenservice.pk}"], "ticket.updated", {"ticket": ticket.pk}
        )
        assert (await communicator.receive_json_from(timeout=10))["event"] == "ticket.updated"
        await communicator.disconnect()

    scenario()


def test_events_of_private_team_tickets_are_not_relayed(cast):
    secret = create_ticket(cast, cast.techniek)
    cookie = session_cookie(cast.anna.user)

    @async_to_sync
    async def scenario():
        communicator, connected, _code = await connect("/ws/agent/", cookie)
        assert connected
        await publish_now(["inbox"], "ticket.created", {"ticket": secret.pk})
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    scenario()


def test_ticket_page_of_a_hidden_ticket_is_refused(cast):
    secret = create_ticket(cast, cast.techniek)
    cookie = session_cookie(cast.anna.user)

    @async_to_sync
    async def scenario():
        _communicator, connected, code = await connect(f"/ws/agent/?ticket={secret.pk}", cookie)
        assert not connected
        assert code == 4403

    scenario()


def test_anonymous_connection_is_refused(cast):
    @async_to_sync
    async def scenario():
        _communicator, connected, code = await connect("/ws/agent/")
        assert not connected
        assert code == 4401

    scenario()


def test_an_agent_on_a_ticket_page_gets_each_change_once(cast):
    ticket = create_ticket(cast, cast.klantenservice)
    actions.update_ticket(ticket, by=cast.anna, assignee=cast.anna)
    cookie = session_cookie(cast.anna.user)

    @async_to_sync
    async def scenario():
        communicator, connected, _code = await connect(f"/ws/agent/?ticket={ticket.pk}", cookie)
        assert connected
        # A note on a ticket of Anna's team, assigned to Anna, on the page she has open.
        await sync_to_async(actions.add_note)(ticket, by=cast.bram, text="Even bellen.")
        event = await communicator.receive_json_from(timeout=10)
        assert event["event"] == "note.added" and event["data"]["ticket"] == ticket.pk
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    scenario()


def test_audit_trail_events_are_judged_by_the_team_they_name(cast, monkeypatch):
    """With a thousand agents connected, asking the database for every connection and every
    change would stall the web process: the event names the ticket's team and each connection
    decides from the teams it read when it connected."""
    from balie.core.agent_socket import AgentConsumer

    asked: list[object] = []

    async def may_see(self, ticket_id):
        asked.append(ticket_id)
        return True

    monkeypatch.setattr(AgentConsumer, "_may_see", may_see)
    secret = create_ticket(cast, cast.techniek)
    public = create_ticket(cast, cast.klantenservice)
    anna_cookie = session_cookie(cast.anna.user)
    bram_cookie = session_cookie(cast.bram.user)

    @async_to_sync
    async def scenario():
        anna, connected, _code = await connect("/ws/agent/", anna_cookie)
        assert connected
        bram, connected, _code = await connect("/ws/agent/", bram_cookie)
        assert connected
        # Bram (Techniek) writes a note on a Techniek ticket, then on a Klantenservice one.
        await sync_to_async(actions.add_note)(secret, by=cast.bram, text="Meter vervangen.")
        await sync_to_async(actions.add_note)(public, by=cast.bram, text="Klant gebeld.")
        seen_by_bram = [await bram.receive_json_from(timeout=10) for _ in range(2)]
        assert [e["data"]["ticket"] for e in seen_by_bram] == [secret.pk, public.pk]
        assert seen_by_bram[0]["data"]["team"] == cast.techniek.pk
        seen_by_anna = await anna.receive_json_from(timeout=10)
        assert seen_by_anna["event"] == "note.added"
        assert seen_by_anna["data"]["ticket"] == public.pk
        assert await anna.receive_nothing(timeout=0.5)
        await anna.disconnect()
        await bram.disconnect()

    scenario()
    assert asked == []


def test_a_burst_of_changes_reaches_an_agent_as_one_frame_of_the_visible_ones(cast):
    """The worker files mail in bursts; their changes travel as one message and reach each
    agent as one list, without the tickets of a private team the agent is not in."""
    first = create_ticket(cast, cast.klantenservice)
    secret = create_ticket(cast, cast.techniek)
    second = create_ticket(cast, cast.klantenservice)
    cookie = session_cookie(cast.anna.user)

    def burst():
        with realtime.coalesced():
            for ticket in (first, secret, second):
                actions.add_note(ticket, by=cast.bram, text="Storing Utrecht-Oost.")

    @async_to_sync
    async def scenario():
        communicator, connected, _code = await connect("/ws/agent/", cookie)
        assert connected
        await sync_to_async(burst)()
        frame = await communicator.receive_json_from(timeout=10)
        assert [(e["event"], e["data"]["ticket"]) for e in frame] == [
            ("note.added", first.pk),
            ("note.added", second.pk),
        ]
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    scenario()


def test_one_trip_is_one_message_per_group():
    messages = realtime.trip_messages(
        [
            (["inbox"], "note.added", {"ticket": 1}),
            (["ticket.1"], "presence.typing", {"ticket": 1, "agent": 2}),
            (["inbox"], "message.sent", {"ticket": 2}),
        ]
    )
    assert messages == [
        (
            "inbox",
            {
                "type": "balie.events",
                "events": [
                    {"event": "note.added", "data": {"ticket": 1}},
                    {"event": "message.sent", "data": {"ticket": 2}},
                ],
            },
        ),
        (
            "ticket.1",
            {"type": "balie.event", "event": "presence.typing", "data": {"ticket": 1, "agent": 2}},
        ),
    ]
