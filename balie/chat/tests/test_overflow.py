"""A waiting chat whose team's wait limit passes: overflowed to leave-a-message, the visitor is
told the message is kept as a ticket and when the answer comes; overflowed to another team,
the visitor's place is in that team's queue."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.apps import apps as django_apps
from django.utils import timezone

from balie.chat import desk
from balie.chat.models import ChatSession
from balie.chat.tests.test_socket import WAIT_SECONDS, connect, frames_until, hello
from balie.routing.actions import set_presence, tick
from balie.routing.models import OverflowAction, TeamRouting
from balie.sla.calendars import forget_calendars

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def waiting(started, cast):
    for agent in (cast.anna, cast.bram):  # nobody takes the chat: it waits
        set_presence(agent, "offline")
    demo = import_module("balie.sla.migrations.0002_demo_calendar_and_policies")
    demo.create(django_apps, None)  # the demo company's hours and answer times
    forget_calendars()
    return started


def limit_wait(team, **fields):
    TeamRouting.objects.update_or_create(team=team, defaults={"overflow_wait": 60, **fields})


def test_a_chat_waiting_too_long_becomes_a_left_message_with_the_promise(waiting, cast):
    ticket = waiting.session.ticket
    limit_wait(ticket.team, overflow_action=OverflowAction.MESSAGE)

    @async_to_sync
    async def scenario():
        visitor, _c, _ = await connect()
        assert (await hello(visitor, waiting.token))["state"] == "waiting"
        await frames_until(visitor, "queue")  # the socket has done its hello
        await sync_to_async(tick)(now=timezone.now() + timedelta(seconds=61))
        told, _seen = await frames_until(visitor, "overflow")
        await frames_until(visitor, "ended")
        await visitor.disconnect(timeout=WAIT_SECONDS)
        return told

    told = scenario()
    assert told["text"].startswith("Het is nu te druk om u live te helpen.")
    assert f"#{ticket.pk}" in told["text"]
    assert told["promise"].startswith("U krijgt uiterlijk")
    session = ChatSession.objects.get(pk=waiting.session.pk)
    assert (session.state, session.end_reason) == ("ended", "overflow")
    ticket.refresh_from_db()
    assert ticket.is_open and ticket.assignee is None  # in the team's inbox, answered by e-mail


def test_a_chat_overflowing_to_another_team_waits_there(waiting, cast):
    ticket = waiting.session.ticket
    other = cast.klantenservice if ticket.team != cast.klantenservice else cast.techniek
    limit_wait(ticket.team, overflow_action=OverflowAction.TEAM, overflow_team=other)

    @async_to_sync
    async def scenario():
        visitor, _c, _ = await connect()
        await hello(visitor, waiting.token)
        await frames_until(visitor, "queue")
        await sync_to_async(tick)(now=timezone.now() + timedelta(seconds=61))
        place, seen = await frames_until(visitor, "queue")
        assert "overflow" not in [f["type"] for f in seen]
        await visitor.disconnect(timeout=WAIT_SECONDS)
        return place

    assert scenario()["position"] == 1
    ticket.refresh_from_db()
    assert ticket.team == other
    assert ChatSession.objects.get(pk=waiting.session.pk).state == "waiting"
    # The other team's agents see it waiting in their workspace; the first team's no longer.
    member = cast.anna if other == cast.klantenservice else cast.bram
    first = cast.bram if member == cast.anna else cast.anna
    assert [c.ticket_id for c in desk.waiting_chats(member)] == [ticket.pk]
    assert desk.waiting_chats(first) == []


def test_an_english_visitor_is_told_in_english(waiting, cast):
    from balie.chat import leaving

    ChatSession.objects.filter(pk=waiting.session.pk).update(language="en")
    session = ChatSession.objects.select_related("ticket").get(pk=waiting.session.pk)
    told = leaving.overflowed(session)
    assert told["text"].startswith("It is too busy to help you live right now.")
    assert told["promise"].startswith("You will have our answer no later than")
    assert leaving.overflowed(session) == told  # a second socket of the chat is told the same
