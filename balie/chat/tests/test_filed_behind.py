"""A visitor's message is stored with one INSERT and shown at once; the ingest worker files it
into the chat's ticket behind, in order, with the id it was shown with, through the one
pipeline (audit entry, SLA), once even when the widget sends it again."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from balie.chat import actions
from balie.intake import pipeline as ingest
from balie.messaging.models import Envelope, EnvelopeStatus
from balie.tickets.models import Activity, Direction, Message

from .test_socket import WAIT_SECONDS, connect, frames_until, hello
from .test_workspace_socket import cookie_of, desk_of, frame_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_asleep(monkeypatch):
    """No ingest worker runs until the test says so: what the socket stored stays unfiled."""
    monkeypatch.setattr(ingest, "wake_worker", lambda *args, **kwargs: None)


def _chat_envelopes():
    return Envelope.objects.filter(channel="chat", status=EnvelopeStatus.RECEIVED)


def _file_waiting() -> None:
    first = _chat_envelopes().order_by("id").values_list("pk", flat=True).first()
    assert first is not None
    ingest.process_waiting(first, limit=50)


def test_a_message_is_shown_to_the_agent_before_it_is_filed_and_filed_behind_in_order(
    started, cast, worker_asleep
):
    session = started.session
    ticket = session.ticket
    ticket.assignee = cast.bram
    ticket.save(update_fields=["assignee"])
    cookie = cookie_of(cast.bram.user)

    @async_to_sync
    async def scenario():
        desk = await desk_of(cookie)  # opens the agent's chat
        await frame_of(desk, "messages")  # the first message
        visitor, _, _ = await connect()
        await hello(visitor, started.token)
        await frames_until(visitor, "messages")
        acks = []
        for n, text in enumerate(["Een", "Twee", "Drie"]):
            await visitor.send_json_to({"type": "message", "cid": f"v{n}", "text": text})
            acks.append((await frames_until(visitor, "ack"))[0]["id"])
        shown = []
        while len(shown) < 3:
            shown += (await frame_of(desk, "messages"))["messages"]
        assert [(m["id"], m["text"], m["from"]) for m in shown] == [
            (acks[0], "Een", "visitor"),
            (acks[1], "Twee", "visitor"),
            (acks[2], "Drie", "visitor"),
        ]
        # Nothing is filed yet, but nothing is only in memory: every one is stored.
        assert not await sync_to_async(
            Message.objects.filter(ticket=ticket, body_text__in=["Een", "Twee", "Drie"]).exists
        )()
        assert await sync_to_async(_chat_envelopes().count)() == 3
        # A socket opened meanwhile (a reload) has them too, once.
        again, _, _ = await connect()
        await hello(again, started.token)
        history, _ = await frames_until(again, "messages")
        assert [m["text"] for m in history["messages"]] == [
            "Mijn meterstand klopt niet", "Een", "Twee", "Drie"
        ]  # fmt: skip
        # The widget did not see the ack of "Drie" and sends it again: the same id, nothing new.
        await visitor.send_json_to({"type": "message", "cid": "v2", "text": "Drie"})
        assert (await frames_until(visitor, "ack"))[0]["id"] == acks[2]
        await sync_to_async(_file_waiting)()
        # Filing shows nothing twice: the agent's next frame is the answer, not a repeat.
        await sync_to_async(actions.agent_reply)(session, by=cast.bram, text="Ik kijk het na")
        answer = await frame_of(desk, "messages")
        assert [m["text"] for m in answer["messages"]] == ["Ik kijk het na"]
        for communicator in (desk, visitor, again):
            await communicator.disconnect(timeout=WAIT_SECONDS)
        return acks

    acks = scenario()
    filed = list(
        Message.objects.filter(ticket=ticket, direction=Direction.INBOUND)
        .order_by("created_at", "id")
        .values_list("pk", "body_text")
    )
    assert filed[1:] == list(zip(acks, ["Een", "Twee", "Drie"], strict=True))
    assert not _chat_envelopes().exists()
    received = Activity.objects.filter(ticket=ticket, kind="message.received").count()
    assert received == 4  # each filed through the pipeline, with its audit entry
    ingest.process_waiting(None, limit=50)  # the worker files the answer behind too
    answer = Message.objects.get(ticket=ticket, body_text="Ik kijk het na")
    assert answer.pk > acks[2]  # the answer came after the visitor's messages, and sorts so


def test_the_agents_answer_is_shown_by_the_web_process_not_the_outbox(started, cast):
    """The live answer needs no outbox worker: it is on the visitor's socket once stored, and
    counts as sent; after the chat the outbox sends answers by e-mail (test_after_the_chat)."""
    from balie.messaging.models import OutboxItem

    @async_to_sync
    async def scenario():
        visitor, _, _ = await connect()
        await hello(visitor, started.token)
        await frames_until(visitor, "queue")  # the welcome's reads are done
        await sync_to_async(actions.agent_reply)(started.session, by=cast.anna, text="Hallo!")
        frame, _ = await frames_until(visitor, "messages")
        assert [(m["from"], m["name"], m["text"]) for m in frame["messages"]] == [
            ("agent", "Anna", "Hallo!")
        ]
        await visitor.disconnect(timeout=WAIT_SECONDS)

    scenario()
    answer = Message.objects.get(ticket=started.session.ticket, body_text="Hallo!")
    assert answer.delivery_status == "sent"
    assert not OutboxItem.objects.filter(message=answer).exists()
