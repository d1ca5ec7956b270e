"""On PostgreSQL a burst's rows are written with their values bound server-side
(`balie.core.bulk_inserts.insert_all`): the burst ends exactly as it ends with Django's
`bulk_create`, with as many statements, and the rows themselves hold the same values,
whatever their types."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_lazy

from balie.core import bulk_inserts
from balie.core.bulk_inserts import insert_all
from balie.intake import pipeline as ingest
from balie.messaging.models import Envelope, EnvelopeStatus
from balie.tickets.models import Direction, Message, Ticket

from .test_burst import TUESDAY, run_and_rollback
from .test_pipeline import mail
from .test_pipeline_cost import stored

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="on SQLite insert_all is bulk_create"
)


def test_a_burst_written_with_bound_values_ends_as_one_written_with_bulk_create(
    cast, deliver, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(timezone, "now", lambda: TUESDAY)
    deliver(mail(sender="dirk@example.nl", subject="Meter kapot", message_id="<d1@example.nl>"))
    dirk = Ticket.objects.get(subject="Meter kapot")
    raws = [
        mail(sender="nieuw1@example.nl", subject="Nieuwe vraag", message_id="<n1@example.nl>"),
        mail(
            sender="nieuw2@example.nl",
            subject="Met kopie",
            cc="Partner <partner@example.nl>",
            message_id="<n2@example.nl>",
        ),
        mail(
            sender="dirk@example.nl",
            subject=f"Re: Meter kapot [#{dirk.pk}]",
            body="Hij doet het nog steeds niet.",
            message_id="<d2@example.nl>",
        ),
        mail(
            sender="nieuw3@example.nl",
            subject="Afwezig",
            headers={"Auto-Submitted": "auto-replied"},
            message_id="<n3@example.nl>",
        ),
        mail(  # the first mail again, through a second mailbox
            sender="nieuw1@example.nl",
            subject="Nieuwe vraag",
            message_id="<n1@example.nl>",
            headers={"Received": "from mx2.voorbeeld-energie.nl"},
        ),
        mail(
            sender="zoë@example.nl",
            subject="Storing – geen stroom sinds vanochtend",
            body="Goedemorgen,\n\nSinds vanochtend heb ik geen stroom. Kunt u helpen?\n",
            message_id="<z1@example.nl>",
        ),
        *(
            mail(sender=f"klant{i}@example.nl", subject=f"Vraag {i}", message_id=f"<k{i}@e.nl>")
            for i in range(6)
        ),
    ]
    envelopes = [stored(raw, django_capture_on_commit_callbacks) for raw in raws]

    def burst():
        with django_capture_on_commit_callbacks(execute=True):
            done = ingest.process_waiting(envelopes[0].pk, limit=50)
        assert len(done) == len(envelopes)

    with CaptureQueriesContext(connection) as binding:
        bound = run_and_rollback(burst)
    monkeypatch.setattr(bulk_inserts, "BOUND_FROM", 10**9)
    with CaptureQueriesContext(connection) as quoting:
        quoted = run_and_rollback(burst)

    assert len(bound["tickets"]) == 10  # Dirk's and nine new ones
    assert bound["envelopes"][-2][0] == EnvelopeStatus.PROCESSED
    assert bound == quoted
    assert len(binding.captured_queries) == len(quoting.captured_queries)
    new_messages = [
        query["sql"]
        for query in binding.captured_queries
        if query["sql"].startswith('INSERT INTO "tickets_message"')
    ]
    assert new_messages and all("VALUES ($1, $2" in sql for sql in new_messages)


def _values(objects) -> list[dict]:
    model = type(objects[0])
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id",)]
    return list(model.objects.filter(pk__in=[o.pk for o in objects]).order_by("pk").values(*names))


@pytest.mark.django_db
def test_rows_with_bound_values_hold_what_bulk_create_writes(cast):
    ticket = Ticket.objects.create(subject="Zomaar", customer=cast.carla, channel="email")

    def rows(tag: str) -> list[Message]:
        return [
            Message(
                ticket=ticket,
                direction=Direction.INBOUND,  # a choice's enum member
                channel="email",
                subject=gettext_lazy("Uw bericht"),  # a lazy translation
                created_at=timezone.now(),
                body_text=f"Tekst {i} met é, ß en \\ en\ttab\nen regel",
                recipients={"to": ["a@example.nl"], "cc_not_kept": i, "naam": "Zoë"},
                external_id=f"{tag}-{i}",
                sender_address="carla@example.nl" if i else "",
            )
            for i in range(4)
        ]

    bound = insert_all(rows("bound"))
    made = Message.objects.bulk_create(rows("orm"))

    assert all(m.pk and not m._state.adding for m in bound)
    assert sorted(m.pk for m in bound) == [m.pk for m in bound]  # in the order given
    got, want = _values(bound), _values(made)
    for row in got + want:
        row.pop("created_at"), row.pop("external_id")
    assert got == want
    assert Message.objects.get(pk=bound[1].pk).subject == "Uw bericht"
    assert Message.objects.get(pk=bound[1].pk).recipients["naam"] == "Zoë"


@pytest.mark.django_db(transaction=True)
def test_a_repeat_among_new_rows_is_refused_and_leaves_them_unsaved(cast):
    raws = [Envelope(channel="email", external_id=f"e{i}", raw=b"\x00\xff mail", meta={}) for i in range(3)]  # fmt: skip
    insert_all(raws)
    assert bytes(Envelope.objects.get(external_id="e0").raw) == b"\x00\xff mail"
    again = [Envelope(channel="email", external_id=f"e{i}", raw=b"x", meta={}) for i in (5, 6, 1)]

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_all(again)

    assert [e.pk for e in again] == [None, None, None]
    assert Envelope.objects.count() == 3
