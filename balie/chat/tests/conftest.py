"""Fixtures of the chat tests: the demo-like chat account and a started chat."""

from __future__ import annotations

import pytest

from balie.chat import actions
from balie.messaging.models import ChannelAccount


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
            topic="meterstand",
            page_url="https://www.voorbeeld-energie.nl/tarieven",
        )
