"""What the pipeline costs and how it files bursts of mail: a guard on the number of queries
per new-ticket mail, batches in the worker, and the per-process caches that save queries (they
must still see an admin's change at once)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from balie.automation.actions import create_rule
from balie.intake import pipeline as ingest
from balie.messaging.models import ChannelAccount, Envelope, EnvelopeStatus, Quarantine
from balie.tickets import actions as ticket_actions
from balie.tickets.models import Direction, Ticket

from .test_pipeline import mail

# A new mail from a new customer, with its acknowledgement: 47 queries before the pipeline was
# made lean (docs/performance.md), 25 after (SQLite, savepoints counted).
NEW_TICKET_QUERIES = 30


def stored(raw: bytes, django_capture_on_commit_callbacks) -> Envelope:
    """An envelope as the MTA endpoint stores it, not yet processed (the task is not run)."""
    with django_capture_on_commit_callbacks(execute=False):
        envelope, _created = ingest.receive(channel="email", raw=raw)
    return envelope


def test_a_new_ticket_mail_costs_a_bounded_number_of_queries(
    cast, django_capture_on_commit_callbacks
):
    warm = stored(mail(sender="eerste@example.nl"), django_capture_on_commit_callbacks)
    ingest.process_envelope(warm.pk)
    envelope = stored(
        mail(sender="nieuw@example.nl", subject="Verhuizing doorgeven"),
        django_capture_on_commit_callbacks,
    )

    with CaptureQueriesContext(connection) as queries:
        ingest.process_envelope(envelope.pk)

    ticket = Ticket.objects.get(subject="Verhuizing doorgeven")
    assert ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=True).exists()
    assert len(queries) <= NEW_TICKET_QUERIES, "\n".join(q["sql"][:120] for q in queries)


def test_the_acknowledgement_of_a_new_ticket_threads_like_any_reply_to_the_sender_alone(
    cast, deliver
):
    deliver(
        mail(
            sender="nieuw@example.nl",
            subject="Meterstand",
            message_id="<vraag-1@example.nl>",
            cc="Partner <Partner@Example.nl>, Klantenservice <klantenservice@voorbeeld-energie.nl>",
            headers={"Reply-To": "antwoord@example.nl"},
        )
    )

    ticket = Ticket.objects.get(subject="Meterstand")
    ack = ticket.messages.get(direction=Direction.OUTBOUND)
    # an automatic message goes to the sender: not to the Reply-To, not to the Cc
    assert ack.recipients == {"to": ["nieuw@example.nl"], "cc": []}
    assert ticket_actions.reply_recipients(ticket) == (
        ["antwoord@example.nl"],
        ["partner@example.nl"],
    )
    assert ack.in_reply_to == "vraag-1@example.nl"
    assert ack.references == "vraag-1@example.nl"


def test_the_acknowledgement_follows_a_reply_that_a_rule_sent_first(cast, deliver):
    create_rule(
        by=cast.anna,
        name="Direct antwoord",
        event="ticket.created",
        conditions=[],
        actions=[{"type": "reply", "text": {"nl": "Wij kijken ernaar."}}],
    )

    deliver(mail(sender="nieuw@example.nl", subject="Storing", message_id="<vraag-2@example.nl>"))

    ticket = Ticket.objects.get(subject="Storing")
    rule_reply, ack = ticket.messages.filter(direction=Direction.OUTBOUND).order_by("id")
    assert rule_reply.body_text == "Wij kijken ernaar."
    assert ack.in_reply_to == rule_reply.message_id
    assert ack.references.split() == ["vraag-2@example.nl", rule_reply.message_id]


def test_a_worker_files_waiting_envelopes_in_one_go_and_quarantines_only_the_bad_one(
    cast, django_capture_on_commit_callbacks
):
    first = stored(mail(sender="een@example.nl", subject="Een"), django_capture_on_commit_callbacks)
    bad = stored(b"Subject: geen afzender\r\n\r\ntekst", django_capture_on_commit_callbacks)
    last = stored(
        mail(sender="twee@example.nl", subject="Twee"), django_capture_on_commit_callbacks
    )

    done = ingest.process_waiting(first.pk, limit=10)

    assert {e.pk for e in done} == {first.pk, bad.pk, last.pk}
    statuses = dict(Envelope.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: EnvelopeStatus.PROCESSED,
        bad.pk: EnvelopeStatus.FAILED,
        last.pk: EnvelopeStatus.PROCESSED,
    }
    assert set(Ticket.objects.values_list("subject", flat=True)) == {"Een", "Twee"}
    assert list(Quarantine.objects.values_list("envelope_id", flat=True)) == [bad.pk]


def test_a_batch_stops_at_its_limit_and_leaves_the_rest_waiting(
    cast, django_capture_on_commit_callbacks
):
    envelopes = [
        stored(
            mail(sender=f"klant{i}@example.nl", subject=f"Vraag {i}"),
            django_capture_on_commit_callbacks,
        )
        for i in range(4)
    ]

    done = ingest.process_waiting(envelopes[0].pk, limit=3)

    assert [e.pk for e in done] == [e.pk for e in envelopes[:3]]
    envelopes[3].refresh_from_db()
    assert envelopes[3].status == EnvelopeStatus.RECEIVED


def test_a_new_mailbox_is_recognised_at_once_by_loop_detection(cast, deliver):
    deliver(mail(sender="klant@example.nl", subject="Eerste"))  # loads our addresses

    ChannelAccount.objects.create(
        kind="email", name="Verkoop", address="verkoop@voorbeeld-energie.nl"
    )
    envelope = deliver(mail(sender="verkoop@voorbeeld-energie.nl", subject="Doorgestuurd"))

    assert envelope.status == EnvelopeStatus.SKIPPED and "lus" in envelope.reason


def test_a_rule_made_after_mail_came_in_applies_to_the_next_mail(cast, deliver):
    deliver(mail(sender="klant@example.nl", subject="Eerste"))  # loads the rules

    create_rule(
        by=cast.anna,
        name="Spoed",
        event="message.received",
        conditions=[],
        actions=[{"type": "set_field", "field": "priority", "value": "high"}],
    )
    deliver(mail(sender="ander@example.nl", subject="Tweede"))

    assert Ticket.objects.get(subject="Tweede").priority == "high"
    assert Ticket.objects.get(subject="Eerste").priority != "high"


@pytest.fixture
def queued(settings, monkeypatch) -> list[tuple[int, int]]:
    """As with a broker and a worker: the ingest tasks that would be queued, (envelope, slot)."""
    from balie.intake import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    tasks_queued: list[tuple[int, int]] = []
    monkeypatch.setattr(
        tasks.process_envelope, "delay", lambda pk, slot=0: tasks_queued.append((pk, slot))
    )
    return tasks_queued


def received(count: int, django_capture_on_commit_callbacks) -> list[Envelope]:
    """`count` mails from different customers, each stored as the MTA endpoint stores it."""
    envelopes = []
    for i in range(count):
        with django_capture_on_commit_callbacks(execute=True):
            envelope, _created = ingest.receive(
                channel="email", raw=mail(sender=f"klant{i}@example.nl", subject=f"Vraag {i}")
            )
        envelopes.append(envelope)
    return envelopes


def test_a_burst_of_mail_wakes_the_worker_once_and_it_files_them_all(
    cast, queued, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    envelopes = received(5, django_capture_on_commit_callbacks)

    assert queued == [(envelopes[0].pk, 0)]  # one task for the burst, not one per mail

    handled = ingest.drain(envelopes[0].pk, limit=2, seconds=30)

    assert handled == 5
    assert set(Envelope.objects.values_list("status", flat=True)) == {EnvelopeStatus.PROCESSED}
    assert cache.get(ingest.wake_key(0)) is None
    assert queued == [(envelopes[0].pk, 0)]  # nothing left waiting: nothing queued again


def test_mail_stored_just_after_the_worker_looked_last_is_not_left_behind(
    cast, queued, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, _created = ingest.receive(channel="email", raw=mail(sender="een@example.nl"))
    late = []
    real_oldest = ingest.oldest_waiting

    def last_look_then_mail_arrives():
        # The worker's last look finds nothing; then a mail is stored while the key is set.
        found = real_oldest()
        if not late:
            with django_capture_on_commit_callbacks(execute=True):
                envelope, _created = ingest.receive(
                    channel="email", raw=mail(sender="twee@example.nl")
                )
            late.append(envelope)
        return found

    monkeypatch.setattr(ingest, "oldest_waiting", last_look_then_mail_arrives)
    ingest.drain(first.pk, limit=10, seconds=30)

    assert queued == [(first.pk, 0), (late[0].pk, 0)]
    late[0].refresh_from_db()
    assert late[0].status == EnvelopeStatus.RECEIVED  # waiting for the task just queued


def test_with_two_drains_a_second_burst_gets_a_worker_of_its_own(
    cast, settings, queued, django_capture_on_commit_callbacks
):
    settings.BALIE_INGEST_DRAINS = 2
    envelopes = received(3, django_capture_on_commit_callbacks)

    # Both slots are taken by the first two mails; the third finds both drains awake.
    assert queued == [(envelopes[0].pk, 0), (envelopes[1].pk, 1)]
    ingest.drain(envelopes[1].pk, limit=10, seconds=30, slot=1)
    assert set(Envelope.objects.values_list("status", flat=True)) == {EnvelopeStatus.PROCESSED}


class CountingCache:
    """The shared cache, noting every wake key a delivery asks Redis for."""

    def __init__(self, real):
        self.real, self.asked = real, []

    def add(self, key, *args, **kwargs):
        self.asked.append(key)
        return self.real.add(key, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_while_every_drain_is_awake_deliveries_do_not_ask_redis(
    cast, settings, queued, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    settings.BALIE_INGEST_AWAKE_HINT = 30
    counting = CountingCache(cache)
    monkeypatch.setattr(ingest, "cache", counting)
    monkeypatch.setattr(ingest.time, "sleep", lambda seconds: None)

    envelopes = received(6, django_capture_on_commit_callbacks)

    # The first mail wakes the worker; the second finds it awake; the other four trust that.
    assert counting.asked == [ingest.wake_key(0), ingest.wake_key(0)]
    assert queued == [(envelopes[0].pk, 0)]
    assert ingest.drain(envelopes[0].pk, limit=10, seconds=30) == 6
    assert set(Envelope.objects.values_list("status", flat=True)) == {EnvelopeStatus.PROCESSED}


def test_mail_stored_on_trust_while_the_worker_stops_is_not_left_behind(
    cast, settings, queued, monkeypatch, django_capture_on_commit_callbacks
):
    settings.BALIE_INGEST_AWAKE_HINT = 30
    settings.BALIE_INGEST_GATHER_SECONDS = 0  # the only wait is the one before the last look
    first, second = received(2, django_capture_on_commit_callbacks)  # the second sees it awake
    stored_meanwhile = []

    def worker_waits(seconds):
        # The drain has cleared its key and waits before its last look; this process still
        # trusts that it is awake and queues nothing for a mail it stores now.
        assert seconds >= settings.BALIE_INGEST_AWAKE_HINT
        with django_capture_on_commit_callbacks(execute=True):
            envelope, _created = ingest.receive(channel="email", raw=mail(sender="laat@example.nl"))
        stored_meanwhile.append(envelope)
        assert queued == [(first.pk, 0)]

    monkeypatch.setattr(ingest.time, "sleep", worker_waits)
    assert ingest.drain(first.pk, limit=10, seconds=30) == 2

    # The last look after the wait finds that mail and wakes a worker for it.
    assert queued == [(first.pk, 0), (stored_meanwhile[0].pk, 0)]
    assert Envelope.objects.get(pk=second.pk).status == EnvelopeStatus.PROCESSED


def test_after_a_small_burst_the_drain_waits_for_the_mail_on_its_way_and_files_it_together(
    cast, settings, queued, monkeypatch, django_capture_on_commit_callbacks
):
    settings.BALIE_INGEST_GATHER_SECONDS = 0.05
    settings.BALIE_INGEST_AWAKE_HINT = 0
    (first,) = received(1, django_capture_on_commit_callbacks)
    waits = []
    bursts = []
    real_process_waiting = ingest.process_waiting

    def process_waiting(first_id, *, limit):
        done = real_process_waiting(first_id, limit=limit)
        bursts.append(len(done))
        return done

    def mail_arrives_meanwhile(seconds):
        waits.append(seconds)
        if len(waits) == 1:  # three more mails while the drain waits after its first burst
            for i in range(3):
                with django_capture_on_commit_callbacks(execute=True):
                    ingest.receive(channel="email", raw=mail(sender=f"onderweg{i}@example.nl"))

    monkeypatch.setattr(ingest, "process_waiting", process_waiting)
    monkeypatch.setattr(ingest.time, "sleep", mail_arrives_meanwhile)

    assert ingest.drain(first.pk, limit=10, seconds=30) == 4

    assert bursts == [1, 3]  # the three that arrived during the wait: one burst
    assert waits == [0.05, 0.05]
    assert set(Envelope.objects.values_list("status", flat=True)) == {EnvelopeStatus.PROCESSED}
    assert queued == [(first.pk, 0)]  # the awake drain took them: no task of their own
