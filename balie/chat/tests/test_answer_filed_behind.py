"""An agent's answer in a live chat is stored with one INSERT and shown at once; the ingest
worker files the rest (the ticket's times, SLA clocks, audit entry, rules) behind, in the
ticket's order together with the visitor's messages. A crash between storing and filing loses
nothing and doubles nothing; the ticket ends up as when every answer was filed in full."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from balie.chat import actions
from balie.intake import pipeline as ingest
from balie.intake import tasks as ingest_tasks
from balie.messaging.models import OutboxItem
from balie.sla import actions as sla_actions
from balie.sla.calendars import forget_calendars
from balie.sla.models import SlaClock
from balie.tickets import actions as ticket_actions
from balie.tickets.models import Activity, Message, Ticket, UnfiledAnswer

from .test_socket import WAIT_SECONDS, connect, frames_until, hello
from .test_workspace_socket import cookie_of, desk_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _installed_hours_and_answer_times(transactional_db):
    """The business hours and SLA policies as installed (chat: answered within 2 minutes):
    a transactional test starts from an empty database."""
    demo = import_module("balie.sla.migrations.0002_demo_calendar_and_policies")
    demo.create(django_apps, None)
    forget_calendars()


class Worker:
    """The ingest worker: asleep (nothing it is woken for runs) until the test wakes it."""

    def __init__(self, monkeypatch):
        self.asleep = True
        self.woken = []
        real = ingest.wake_worker

        def wake(envelope_id, **kwargs):
            self.woken.append(envelope_id)
            if not self.asleep:
                real(envelope_id, **kwargs)

        monkeypatch.setattr(ingest, "wake_worker", wake)

    def runs(self) -> None:
        self.asleep = False
        ingest.process_waiting(None, limit=50)


@pytest.fixture
def worker(monkeypatch):
    return Worker(monkeypatch)


def _answers(ticket: Ticket, text: str):
    return Message.objects.filter(ticket=ticket, body_text=text)


def _sent_entries(ticket: Ticket) -> list[int]:
    return [
        a.data["message"]
        for a in Activity.objects.filter(ticket=ticket, kind="message.sent").order_by("id")
    ]


def test_a_crash_between_storing_and_filing_loses_nothing_and_files_it_once(
    started, cast, worker, monkeypatch
):
    ticket = started.session.ticket
    cookie = cookie_of(cast.bram.user)

    @async_to_sync
    async def scenario():
        visitor, _, _ = await connect()
        await hello(visitor, started.token)
        await frames_until(visitor, "messages")
        desk = await desk_of(cookie)
        await desk.send_json_to({"type": "accept", "ticket": ticket.pk})
        await desk.send_json_to({"type": "reply", "ticket": ticket.pk, "text": "Ik kijk het na"})
        # Shown to the visitor at once, before any worker ran.
        while True:
            frame, _ = await frames_until(visitor, "messages")
            if any(m["text"] == "Ik kijk het na" for m in frame["messages"]):
                break
        for communicator in (desk, visitor):
            await communicator.disconnect(timeout=WAIT_SECONDS)

    scenario()
    # Stored durably, with what is still owed; not filed into the ticket yet.
    (stored,) = UnfiledAnswer.objects.filter(ticket=ticket, text="Ik kijk het na")
    assert not _answers(ticket, "Ik kijk het na").exists()
    assert None in worker.woken  # the worker was asked to file it
    assert _sent_entries(ticket) == []
    first = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert first.state == "running"

    # The worker dies while filing it: nothing of the filing stays, the mark does.
    def killed(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(sla_actions, "record_agent_response", killed)
    worker.runs()
    assert UnfiledAnswer.objects.filter(pk=stored.pk).exists()
    assert not _answers(ticket, "Ik kijk het na").exists()
    assert _sent_entries(ticket) == []
    assert SlaClock.objects.get(pk=first.pk).state == "running"
    monkeypatch.undo()  # a new worker starts: the real clocks, and awake

    # The periodic look for stored work never done finds it once it is two minutes old.
    later = timezone.now() + timedelta(minutes=3)
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert ingest_tasks.process_pending_envelopes() == 1
    monkeypatch.setattr(timezone, "now", real_now)

    (answer,) = _answers(ticket, "Ik kijk het na")
    # Filed with the id and moment it was shown with, counted as sent, no outbox entry.
    assert (answer.pk, answer.created_at) == (stored.pk, stored.created_at)
    assert answer.delivery_status == "sent" and answer.author == cast.bram
    assert not OutboxItem.objects.filter(message=answer).exists()
    assert not UnfiledAnswer.objects.exists()
    assert _sent_entries(ticket) == [answer.pk]
    first.refresh_from_db()
    assert (first.state, first.ended_at) == ("met", answer.created_at)
    ticket.refresh_from_db()
    assert ticket.first_response_at == answer.created_at
    assert ticket.status == "open"
    # Filed once: another look files nothing again, and the answer is there once.
    ingest.process_waiting(None, limit=50)
    assert _sent_entries(ticket) == [answer.pk]
    assert _answers(ticket, "Ik kijk het na").count() == 1


def _talk(session, agent, turns, *, answer) -> None:
    for n, text in enumerate(turns):
        if text.startswith("V:"):
            actions.store_visitor_message(session, client_id=f"t{n}", text=text)
        else:
            answer(session, text)


def _what_the_team_sees(ticket: Ticket) -> dict:
    """The ticket as its page, its SLA and its audit trail show it, with moments given as the
    message they are the moment of."""
    messages = list(Message.objects.filter(ticket=ticket, is_automatic=False).order_by("id"))
    index = {m.pk: i for i, m in enumerate(messages)}
    moments = [m.created_at for m in messages]

    def which(moment):
        return moments.index(moment) if moment in moments else moment is not None

    def addressed(message):  # an answer's recipients: the visitor, by the address they gave
        if message.direction != "outbound":
            return None
        visitor = ticket.chat.email
        return {
            k: ["visitor" if v == visitor else v for v in vs]
            for k, vs in message.recipients.items()
        }

    ticket.refresh_from_db()
    return {
        "messages": [
            (m.direction, m.body_text, m.delivery_status, m.author_id, addressed(m))
            for m in messages
        ],
        "audit": [
            (a.kind, index.get((a.data or {}).get("message")), a.actor_agent_id)
            for a in Activity.objects.filter(ticket=ticket).order_by("id")
        ],
        "clocks": [
            (c.kind, c.state, which(c.started_at), which(c.ended_at))
            for c in SlaClock.objects.filter(ticket=ticket).order_by("id")
        ],
        "ticket": (
            ticket.status,
            ticket.assignee_id,
            which(ticket.first_response_at),
            which(ticket.last_message_at),
            which(ticket.last_inbound_at),
        ),
        "outbox": OutboxItem.objects.filter(message__ticket=ticket).count(),
    }


TURNS = ["V:Mijn meter loopt snel", "Welke meter?", "V:De gasmeter", "V:Sinds maandag", "Ik kijk"]


def test_filed_behind_the_ticket_ends_as_when_every_answer_was_filed_in_full(
    started, cast, chat_account, worker
):
    # Before: each visitor message filed at once, each answer `add_reply` in full.
    worker.asleep = False
    before = actions.start_chat(
        chat_account, name="Dirk", email="dirk@example.nl", text="Hallo", client_id="d-first"
    )
    _talk(
        before.session,
        cast.bram,
        TURNS,
        answer=lambda s, text: ticket_actions.add_reply(s.ticket, by=cast.bram, text=text),
    )
    # Now: the worker asleep while the chat goes on, then one burst files it all.
    worker.asleep = True
    after = actions.start_chat(
        chat_account, name="Els", email="els@example.nl", text="Hallo", client_id="e-first"
    )
    _talk(
        after.session,
        cast.bram,
        TURNS,
        answer=lambda s, text: actions.agent_reply(s, by=cast.bram, text=text),
    )
    ticket = after.session.ticket
    assert UnfiledAnswer.objects.filter(ticket=ticket, text="Welke meter?").exists()
    assert not _answers(ticket, "Welke meter?").exists()
    assert _sent_entries(ticket) == []
    worker.runs()

    seen = _what_the_team_sees(ticket)
    assert seen == _what_the_team_sees(before.session.ticket)
    # What the comparison is about: the answer met the first clock, the next visitor message
    # started a next-response clock that the last answer met.
    assert [c[:2] for c in seen["clocks"]] == [
        ("first_response", "met"),
        ("resolution", "running"),
        ("next_response", "met"),
    ]
    assert seen["clocks"][2][2:] == (3, 5)  # started by "De gasmeter", met by "Ik kijk"


def test_an_answer_is_filed_after_the_visitor_message_it_followed_even_when_another_drain_has_it(
    started, cast, worker
):
    """The visitor's message the answer followed is held by another drain (or not reached
    yet): the answer waits for it, and is filed after it."""
    session = started.session
    ticket = session.ticket
    actions.store_visitor_message(session, client_id="q", text="V:Hoe laat?")
    answer = actions.agent_reply(session, by=cast.bram, text="Om drie uur")
    worker.asleep = False
    # A drain takes the answer alone (the visitor's envelope is not its own): nothing filed.
    assert ingest.file_together([]) == ([], [])
    assert UnfiledAnswer.objects.filter(pk=answer.pk).exists()
    ingest.process_waiting(None, limit=50)
    kinds = [
        (a.kind, a.data.get("message"))
        for a in Activity.objects.filter(ticket=ticket, kind__startswith="message.").order_by("id")
    ]
    question = Message.objects.get(ticket=ticket, body_text="V:Hoe laat?")
    assert kinds[-2:] == [("message.received", question.pk), ("message.sent", answer.pk)]
    assert question.pk < answer.pk


def test_a_chat_burst_files_several_messages_of_one_ticket_in_one_transaction(
    started, cast, worker, monkeypatch
):
    session = started.session
    _talk(
        session,
        cast.bram,
        ["V:een", "antwoord een", "V:twee", "V:drie", "antwoord twee", "V:vier"],
        answer=lambda s, text: actions.agent_reply(s, by=cast.bram, text=text),
    )
    rounds = []
    real = ingest.file_together

    def watched(ids, **kwargs):
        filed, left = real(ids, **kwargs)
        rounds.append((len(filed), len(kwargs.get("answers") or [])))
        return filed, left

    monkeypatch.setattr(ingest, "file_together", watched)
    worker.asleep = False
    with CaptureQueriesContext(connection) as queries:
        done = ingest.process_waiting(None, limit=50)
    assert len(done) == 4 and len(done.answers) == 2
    assert rounds == [(4, 2)]  # one transaction: every message of the chat, in order
    ticket = session.ticket
    texts = [
        Message.objects.get(pk=a.data["message"]).body_text
        for a in Activity.objects.filter(ticket=ticket, kind__startswith="message.").order_by("id")
    ]
    assert texts[-6:] == ["V:een", "antwoord een", "V:twee", "V:drie", "antwoord twee", "V:vier"]
    assert len(queries) < 6 * 12  # about a dozen statements a message, in one transaction
