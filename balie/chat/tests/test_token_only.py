"""A chat continues by its visitor token only: someone who types the same e-mail address starts
a chat of their own and sees nothing of the first one."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from balie.chat import actions
from balie.chat.tests.test_socket import WAIT_SECONDS, connect, frames_until, hello

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_address_typed_again_is_a_chat_of_its_own(started, chat_account):
    other = actions.start_chat(
        chat_account,
        name="Iemand anders",
        email="carla@example.nl",  # the address the first visitor typed
        text="Wat staat er in mijn gesprek?",
        client_id="o-1",
        topic="meter_reading",
    )
    assert other.session.ticket_id != started.session.ticket_id
    assert other.token != started.token

    @async_to_sync
    async def scenario():
        visitor, _c, _ = await connect()
        await hello(visitor, other.token)
        history, _seen = await frames_until(visitor, "messages")
        await visitor.disconnect(timeout=WAIT_SECONDS)
        return [m["text"] for m in history["messages"]]

    assert scenario() == ["Wat staat er in mijn gesprek?"]  # not "Mijn meterstand klopt niet"
