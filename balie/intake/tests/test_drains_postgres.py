"""Drains running at the same time take different envelopes (PostgreSQL: the rows a drain
is filing are locked, and the others pass over them)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from balie.intake import pipeline as ingest
from balie.messaging.models import Envelope, EnvelopeStatus

from .test_pipeline import mail

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks that others skip need PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_a_drain_passes_over_the_envelopes_another_drain_is_filing(cast, monkeypatch):
    monkeypatch.setattr(
        ingest, "wake_worker", lambda envelope_id, **kwargs: None
    )  # stored, waiting
    envelopes = [
        ingest.receive(
            channel="email", raw=mail(sender=f"klant{i}@example.nl", subject=f"Vraag {i}")
        )[0]
        for i in range(4)
    ]
    locked, release = threading.Event(), threading.Event()

    def other_drain() -> None:
        try:
            with transaction.atomic():
                list(
                    Envelope.objects.select_for_update()
                    .filter(pk__in=[envelopes[0].pk, envelopes[1].pk])
                    .values_list("pk", flat=True)
                )
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_drain)
    thread.start()
    try:
        assert locked.wait(10)
        done = ingest.process_waiting(envelopes[2].pk, limit=2)
    finally:
        release.set()
        thread.join(10)

    assert [e.pk for e in done] == [envelopes[2].pk, envelopes[3].pk]
    statuses = dict(Envelope.objects.values_list("pk", "status"))
    assert statuses[envelopes[0].pk] == statuses[envelopes[1].pk] == EnvelopeStatus.RECEIVED
