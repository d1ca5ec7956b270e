"""Fixtures of the chat tests: the demo-like chat account and a started chat."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from balie.chat import actions
from balie.messaging.models import ChannelAccount


@pytest.fixture(autouse=True)
def _agents_online(request):
    """The cast's agents are online (Beschikbaar), so that the routing engine takes chats: with
    nobody online the widget offers leave-a-message instead."""
    if "cast" not in request.fixturenames:
        return
    from balie.routing.actions import set_presence

    cast = request.getfixturevalue("cast")
    for agent in (cast.anna, cast.bram):
        set_presence(agent, "online")


@pytest.fixture
def chat_account(db):
    return ChannelAccount.objects.create(
        kind="chat",
        name="Demo-chat",
        address="demo",
        config={"origins": ["self", "https://www.voorbeeld-energie.nl"]},
    )


@pytest.fixture
def started(cast, chat_account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return actions.start_chat(
            chat_account,
            name="Carla de Vries",
            email="carla@example.nl",
            text="Mijn meterstand klopt niet",
            client_id="c-first",
            customer_number="123456",
            topic="meter_reading",
            page_url="https://www.voorbeeld-energie.nl/tarieven",
        )


AMS = ZoneInfo("Europe/Amsterdam")
TUESDAY_MORNING = datetime(2026, 6, 2, 10, 0, tzinfo=AMS)  # open
SUNDAY = datetime(2026, 6, 7, 11, 0, tzinfo=AMS)  # the chat is closed all day


@pytest.fixture
def clock(monkeypatch):
    """Set the wall clock Balie reads (django.utils.timezone.now) to a given moment."""

    def _set(moment: datetime) -> datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return _set
