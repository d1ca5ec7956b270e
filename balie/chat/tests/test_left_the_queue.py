"""A visitor who closes the tab while waiting gives up the place in the queue; one who reloads,
drops the connection for a moment or still has another tab open keeps it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone

from balie.chat.models import ChatSession
from balie.chat.tasks import check_idle_chats
from balie.chat.tests.test_socket import WAIT_SECONDS, _queued, connect, frames_until, hello
from balie.routing.actions import force_assign, set_presence

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def waiting(started, cast):
    for agent in (cast.anna, cast.bram):  # nobody takes the chat: it waits in the queue
        set_presence(agent, "offline")
    assert _queued(started.session.ticket_id) == 1
    return started


def later(monkeypatch, seconds: int) -> None:
    """The clock the periodic chat job reads, `seconds` on."""
    moment = timezone.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def visit(token: str, *, state: str = "waiting") -> None:
    """Open the chat in a tab, then close the tab."""

    @async_to_sync
    async def scenario():
        communicator, _connected, _ = await connect()
        assert (await hello(communicator, token))["state"] == state
        if state == "waiting":
            await frames_until(communicator, "queue")  # the socket has done its hello
        await communicator.disconnect(timeout=WAIT_SECONDS)
        await _settle()

    scenario()


async def _settle() -> None:
    import asyncio

    await asyncio.sleep(0.3)  # the other tab's socket answers the closed one's question


def state_of(started) -> str:
    return ChatSession.objects.get(pk=started.session.pk).state


def test_a_tab_closed_while_waiting_gives_up_the_place_after_a_minute(waiting, monkeypatch):
    visit(waiting.token)
    check_idle_chats()  # just gone: it may be a reload
    assert state_of(waiting) == "waiting" and _queued(waiting.session.ticket_id) == 1

    later(monkeypatch, 61)
    check_idle_chats()
    session = ChatSession.objects.get(pk=waiting.session.pk)
    assert (session.state, session.end_reason) == ("ended", "left")
    assert _queued(waiting.session.ticket_id) == 0  # the supervisor no longer counts it


def test_a_reload_keeps_the_place(waiting, monkeypatch):
    @async_to_sync
    async def scenario():
        before, _c, _ = await connect()
        await hello(before, waiting.token)
        await frames_until(before, "queue")
        await before.disconnect(timeout=WAIT_SECONDS)  # the page unloads
        await _settle()
        after, _c, _ = await connect()  # and comes back
        assert (await hello(after, waiting.token))["state"] == "waiting"
        await frames_until(after, "queue")
        later(monkeypatch, 120)
        await sync_to_async(check_idle_chats)()
        assert await sync_to_async(state_of)(waiting) == "waiting"
        await after.disconnect(timeout=WAIT_SECONDS)

    scenario()
    assert _queued(waiting.session.ticket_id) == 1


def test_closing_one_of_two_tabs_keeps_the_place(waiting, monkeypatch):
    @async_to_sync
    async def scenario():
        first, _c, _ = await connect()
        second, _c, _ = await connect()
        await hello(first, waiting.token)
        await frames_until(first, "queue")
        await hello(second, waiting.token)
        await frames_until(second, "queue")
        await first.disconnect(timeout=WAIT_SECONDS)
        await _settle()
        later(monkeypatch, 120)
        await sync_to_async(check_idle_chats)()
        assert await sync_to_async(state_of)(waiting) == "waiting"
        await second.disconnect(timeout=WAIT_SECONDS)

    scenario()
    assert _queued(waiting.session.ticket_id) == 1


def test_a_chat_an_agent_has_taken_is_not_ended_when_the_tab_closes(waiting, cast, monkeypatch):
    force_assign(waiting.session.ticket, cast.bram, by=cast.bram)
    visit(waiting.token, state="active")
    later(monkeypatch, 120)
    check_idle_chats()
    assert state_of(waiting) != "ended"
