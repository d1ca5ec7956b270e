"""What each side of a live chat sees of the other, over the real sockets: the visitor's typing
reaches the agent, the agent's reading reaches the visitor (read receipts, also after a
reload), and a waiting visitor's place in the queue moves up live when the chat ahead goes."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from balie.chat import actions
from balie.chat.models import ChatSession
from balie.chat.tests.test_socket import WAIT_SECONDS, connect, frames_until, hello
from balie.chat.tests.test_workspace_socket import cookie_of, desk_of, frame_of
from balie.routing.actions import force_assign, set_presence

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_visitor_typing_reaches_the_agent_and_the_agent_reading_reaches_the_visitor(
    started, cast
):
    ticket = started.session.ticket
    force_assign(ticket, cast.bram, by=cast.bram)
    cookie = cookie_of(cast.bram.user)

    @async_to_sync
    async def scenario():
        desk = await desk_of(cookie)
        await frame_of(desk, "chat")  # the chat Bram has, opened in his workspace
        visitor, _c, _ = await connect()
        await hello(visitor, started.token)

        await visitor.send_json_to({"type": "typing", "on": True})
        typing = await frame_of(desk, "typing")
        assert (typing["ticket"], typing["on"]) == (ticket.pk, True)
        await visitor.send_json_to({"type": "typing", "on": False})
        assert (await frame_of(desk, "typing"))["on"] is False

        await visitor.send_json_to({"type": "message", "cid": "v-2", "text": "Zijn jullie er?"})
        acked, _seen = await frames_until(visitor, "ack")
        await desk.send_json_to({"type": "read", "ticket": ticket.pk, "upto": acked["id"]})
        read = await frame_of(visitor, "read")
        assert read["upto"] == acked["id"]
        await visitor.disconnect(timeout=WAIT_SECONDS)

        # After a reload the widget is told at once how far the agent has read.
        again, _c, _ = await connect()
        welcome = await hello(again, started.token)
        assert welcome["read"] == acked["id"]
        await again.disconnect(timeout=WAIT_SECONDS)
        await desk.disconnect(timeout=WAIT_SECONDS)

    scenario()


def test_a_waiting_visitor_moves_up_the_queue_live(started, cast, chat_account):
    for agent in (cast.anna, cast.bram):  # nobody takes a chat: both wait
        set_presence(agent, "offline")
    second = actions.start_chat(
        chat_account,
        name="Dirk Jansen",
        email="dirk@example.nl",
        text="Ik wil verhuizen",
        client_id="d-1",
        topic="meter_reading",  # the same team as the first chat
    )

    @async_to_sync
    async def scenario():
        visitor, _c, _ = await connect()
        await hello(visitor, second.token)
        place, _seen = await frames_until(visitor, "queue")
        assert place["position"] == 2
        first = await sync_to_async(ChatSession.objects.get)(pk=started.session.pk)
        await sync_to_async(actions.leave_queue)(first)  # the chat ahead goes
        place, _seen = await frames_until(visitor, "queue")
        assert place["position"] == 1
        await visitor.disconnect(timeout=WAIT_SECONDS)

    scenario()
