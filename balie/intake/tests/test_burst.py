"""The pipeline's batch behaviour: a burst of waiting mail run through PIPELINE as one batch
ends exactly as the same mail run through it message by message (a batch of one each), costs
a bounded number of statements whatever its size, and falls back to one message at a time
when the batch as a whole fails."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from balie.automation.actions import create_rule
from balie.customers.models import Identity
from balie.intake import pipeline as ingest
from balie.messaging.models import Envelope, EnvelopeStatus, OutboxItem, Quarantine
from balie.sla.models import SlaClock
from balie.tickets import actions
from balie.tickets.models import Activity, Direction, Message, Status, Ticket

from .test_pipeline import mail
from .test_pipeline_cost import stored

# An ordinary Tuesday morning, inside business hours.
TUESDAY = datetime(2026, 11, 17, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


class Rollback(Exception):
    pass


def _second(value: datetime | None) -> str:
    return value.replace(microsecond=0).isoformat() if value else ""


def snapshot(since_ticket: int) -> dict:
    """Everything the pipeline writes, with the numbers and random ids that differ between
    two runs replaced by stable labels."""
    tickets = list(Ticket.objects.order_by("pk"))
    # A ticket by the Message-ID of the mail that opened it: the numbers differ between runs,
    # and so may the order in which tickets of different customers were made.
    labels = {
        t.pk: "T<{}>".format(t.messages.order_by("created_at", "id").first().message_id)
        for t in tickets
    }
    messages = {}  # a message by its ticket and its place in the ticket, not by its id
    for ticket in tickets:
        for i, pk in enumerate(
            ticket.messages.order_by("created_at", "id").values_list("pk", flat=True)
        ):
            messages[pk] = f"{labels[ticket.pk]}/{i}"

    def norm(value):
        if isinstance(value, str):
            value = re.sub(r"balie\.\d+\.[0-9a-f]{32}@", "balie.ID@", value)
            value = re.sub(r"\bK\d+\b", "K#", value)  # customer numbers: order of creation
            return re.sub(r"\d{5,}", lambda m: labels.get(int(m.group()), m.group()), value)
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    result: dict = {"tickets": {}, "envelopes": [], "customers": {}}
    tickets.sort(key=lambda t: labels[t.pk])
    for ticket in tickets:
        if (
            ticket.pk <= since_ticket
            and not ticket.messages.filter(created_at__gte=TUESDAY).exists()
        ):
            continue
        result["tickets"][labels[ticket.pk]] = {
            "fields": norm(
                [
                    ticket.subject,
                    ticket.status,
                    ticket.channel,
                    ticket.team_id,
                    ticket.customer.identities.order_by("pk").first().value,
                    ticket.priority,
                    ticket.language,
                    ticket.claims,
                    ticket.sla_policy_id,
                    *(
                        _second(getattr(ticket, name))
                        for name in (
                            "first_response_due_at",
                            "next_response_due_at",
                            "resolution_due_at",
                            "sla_next_due_at",
                            "last_message_at",
                            "last_inbound_at",
                            "first_response_at",
                        )
                    ),
                ]
            ),
            "messages": [
                norm(
                    [
                        m.direction,
                        m.channel,
                        m.subject,
                        m.body_text,
                        m.sender_address,
                        m.sender_identity.value if m.sender_identity else "",
                        m.thread_reason,
                        m.recipients,
                        m.message_id,
                        m.in_reply_to,
                        m.references,
                        m.is_automatic,
                        m.delivery_status,
                        OutboxItem.objects.filter(message=m).count(),
                    ]
                )
                for m in ticket.messages.order_by("created_at", "id")
            ],
            "trail": [
                norm(
                    [
                        a.kind,
                        a.actor_label,
                        {k: (messages[v] if k == "message" else v) for k, v in a.data.items()},
                    ]
                )
                for a in ticket.activities.order_by("created_at", "id")
            ],
            "clocks": [
                [c.kind, c.state, _second(c.due_at), _second(c.warn_at), c.target_seconds]
                for c in SlaClock.objects.filter(ticket=ticket).order_by("kind", "id")
            ],
            "participants": sorted(
                [p.kind, p.role, p.value if p.role != "customer" else ""]
                for p in ticket.participants.all()
            ),
        }
    for envelope in Envelope.objects.order_by("pk"):
        result["envelopes"].append(norm([envelope.status, envelope.reason, envelope.attempts]))
    for identity in Identity.objects.select_related("customer").order_by("value"):
        customer = identity.customer
        result["customers"][identity.value] = [
            customer.name,
            customer.language,
            customer.tier,
            bool(re.fullmatch(r"K\d+", customer.number or "")),
        ]
    result["quarantine"] = Quarantine.objects.count()
    return result


def run_and_rollback(process) -> dict:
    since = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with transaction.atomic():
            process()
            taken = snapshot(since)
            raise Rollback
    except Rollback:
        pass
    return taken


@pytest.mark.parametrize("with_rule", [False, True], ids=["no rules", "a rule"])
def test_a_burst_ends_as_the_pipeline_ends_each_message_alone(
    cast, deliver, django_capture_on_commit_callbacks, monkeypatch, with_rule
):
    monkeypatch.setattr(timezone, "now", lambda: TUESDAY)
    # Before the burst: Dirk has an open ticket, Eva a ticket we answered, Fenna a solved one.
    deliver(mail(sender="dirk@example.nl", subject="Meter kapot", message_id="<d1@example.nl>"))
    dirk = Ticket.objects.get(subject="Meter kapot")
    deliver(mail(sender="eva@example.nl", subject="Verhuizing", message_id="<e1@example.nl>"))
    eva = Ticket.objects.get(subject="Verhuizing")
    answer = actions.add_reply(eva, by=cast.anna, text="Wanneer verhuist u?")
    deliver(mail(sender="fenna@example.nl", subject="Factuur", message_id="<f1@example.nl>"))
    fenna = Ticket.objects.get(subject="Factuur")
    actions.update_ticket(fenna, by=cast.anna, status=Status.SOLVED)
    # Gijs's ticket was closed last week, Hans's long ago.
    deliver(mail(sender="gijs@example.nl", subject="Aansluiting", message_id="<g1@example.nl>"))
    gijs = Ticket.objects.get(subject="Aansluiting")
    actions.update_ticket(gijs, by=cast.anna, status=Status.CLOSED)
    deliver(mail(sender="hans@example.nl", subject="Contract", message_id="<h1@example.nl>"))
    hans = Ticket.objects.get(subject="Contract")
    actions.update_ticket(hans, by=cast.anna, status=Status.CLOSED)
    Ticket.objects.filter(pk=hans.pk).update(closed_at=TUESDAY - timedelta(days=400))
    if with_rule:
        create_rule(
            by=cast.anna,
            name="Storing met spoed",
            event="message.received",
            conditions=[{"field": "body", "op": "contains", "value": "storing"}],
            actions=[{"type": "set_field", "field": "priority", "value": "high"}],
        )

    raws = [
        mail(sender="nieuw1@example.nl", subject="Nieuwe vraag", message_id="<n1@example.nl>"),
        mail(
            sender="carla.jansen@example.nl",
            subject="Storing in de straat",
            body="Er is een storing.",
            message_id="<c1@example.nl>",
        ),
        # The same sender twice in a burst: the second ends the burst's plain run.
        mail(sender="carla.jansen@example.nl", subject="Nog iets", message_id="<c2@example.nl>"),
        mail(
            sender="dirk@example.nl",
            subject=f"Re: Meter kapot [#{dirk.pk}]",
            body="Hij doet het nog steeds niet.",
            message_id="<d2@example.nl>",
        ),
        mail(
            sender="eva@example.nl",
            subject="Re: Verhuizing",
            in_reply_to=f"<{answer.message_id}>",
            references=f"<e1@example.nl> <{answer.message_id}>",
            message_id="<e2@example.nl>",
        ),
        mail(
            sender="nieuw2@example.nl",
            subject="Met kopie",
            cc="Partner <partner@example.nl>",
            message_id="<n2@example.nl>",
        ),
        mail(
            sender="nieuw3@example.nl",
            subject="Afwezig",
            headers={"Auto-Submitted": "auto-replied"},
            message_id="<n3@example.nl>",
        ),
        # The first mail again, through a second mailbox.
        mail(
            sender="nieuw1@example.nl",
            subject="Nieuwe vraag",
            message_id="<n1@example.nl>",
            headers={"Received": "from mx2.voorbeeld-energie.nl"},
        ),
        mail(
            sender="fenna@example.nl",
            subject=f"Re: Factuur [#{fenna.pk}]",
            message_id="<f2@example.nl>",
        ),
        mail(sender="gijs@example.nl", subject=f"Re: Aansluiting [#{gijs.pk}]"),
        mail(sender="hans@example.nl", subject=f"Re: Contract [#{hans.pk}]"),
        mail(
            sender="vreemde@example.nl",
            subject=f"Re: Meter kapot [#{dirk.pk}]",
            message_id="<v1@example.nl>",
        ),
        mail(
            sender="nieuw4@example.nl",
            subject="Storing",
            body="Storing bij mij thuis.",
            message_id="<n4@example.nl>",
        ),
    ]
    envelopes = [stored(raw, django_capture_on_commit_callbacks) for raw in raws]

    def one_by_one():
        with django_capture_on_commit_callbacks(execute=True):
            for envelope in envelopes:
                ingest.process_envelope(envelope.pk)

    rounds: list[list[int]] = []
    file_together = ingest.file_together

    def watched(ids, **kwargs):
        filed, left = file_together(ids, **kwargs)
        rounds.append([envelopes.index(e) for e in sorted(filed, key=lambda e: e.pk)])
        return filed, left

    def together():
        monkeypatch.setattr(ingest, "file_together", watched)
        with django_capture_on_commit_callbacks(execute=True):
            done = ingest.process_waiting(envelopes[0].pk, limit=50)
        assert len(done) == len(envelopes)

    alone = run_and_rollback(one_by_one)
    burst_run = run_and_rollback(together)

    # What is compared is what a service team would look at afterwards.
    assert len(alone["tickets"]) == 12
    assert alone["envelopes"][-len(raws) :][7][0] == EnvelopeStatus.SKIPPED
    assert burst_run == alone
    # Everything went through the batch: a second mail of the same sender and the repeat of a
    # message waited for the next round, which filed the one and dropped the other.
    assert rounds == [[0, 1, 3, 4, 5, 6, 8, 9, 10, 11, 12], [2, 7]]


def test_a_burst_of_new_mail_costs_the_same_few_statements_whatever_its_size(
    cast, django_capture_on_commit_callbacks
):
    warm = stored(
        mail(sender="eerste@example.nl", subject="Eerste"), django_capture_on_commit_callbacks
    )
    ingest.process_waiting(warm.pk, limit=1)

    def burst_of(count: int, start: int) -> int:
        envelopes = [
            stored(
                mail(sender=f"klant{start + i}@example.nl", subject=f"Vraag {start + i}"),
                django_capture_on_commit_callbacks,
            )
            for i in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            done = ingest.process_waiting(envelopes[0].pk, limit=count)
        assert [e.status for e in done] == [EnvelopeStatus.PROCESSED] * count
        return len(queries)

    few, many = burst_of(3, 0), burst_of(30, 100)

    assert Ticket.objects.filter(subject__startswith="Vraag ").count() == 33
    assert Message.objects.filter(direction=Direction.OUTBOUND, is_automatic=True).count() == 34
    assert many == few, "the statements of a burst must not grow with its size"
    assert many <= 25


def test_when_filing_together_fails_each_message_is_filed_alone(
    cast, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    run_batch = ingest.run_batch

    def broken(runs):
        if len(runs) > 1:
            raise RuntimeError("schijf vol")
        return run_batch(runs)

    monkeypatch.setattr(ingest, "run_batch", broken)
    envelopes = [
        stored(
            mail(sender=f"klant{i}@example.nl", subject=f"Vraag {i}"),
            django_capture_on_commit_callbacks,
        )
        for i in range(4)
    ]

    done = ingest.process_waiting(envelopes[0].pk, limit=10)

    assert [e.status for e in done] == [EnvelopeStatus.PROCESSED] * 4
    assert "one by one" in caplog.text
    for i in range(4):
        ticket = Ticket.objects.get(subject=f"Vraag {i}")
        assert ticket.messages.filter(direction=Direction.INBOUND).count() == 1
        assert ticket.messages.filter(direction=Direction.OUTBOUND).count() == 1
    assert Identity.objects.filter(value__startswith="klant").count() == 4
    assert Activity.objects.filter(kind="ticket.created").count() == 4


def test_a_mail_that_waits_for_the_next_round_is_read_once(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    from balie.messaging.connectors.email import EmailConnector

    raws = [
        mail(sender="carla.jansen@example.nl", subject="Eerste vraag"),
        mail(sender="carla.jansen@example.nl", subject="Tweede vraag"),  # waits for the first
        mail(sender="carla.jansen@example.nl", subject="Derde vraag"),  # and for the second
        mail(sender="nieuw@example.nl", subject="Iets anders"),
    ]
    envelopes = [stored(raw, django_capture_on_commit_callbacks) for raw in raws]
    read: list[int] = []
    parse = EmailConnector.parse

    def counted(self, envelope):
        read.append(envelope.pk)
        return parse(self, envelope)

    monkeypatch.setattr(EmailConnector, "parse", counted)
    with django_capture_on_commit_callbacks(execute=True):
        done = ingest.process_waiting(envelopes[0].pk, limit=10)

    assert [e.status for e in done] == [EnvelopeStatus.PROCESSED] * 4
    assert sorted(read) == sorted(e.pk for e in envelopes)  # three rounds, each mail read once
    carla = Ticket.objects.filter(customer__identities__value="carla.jansen@example.nl")
    assert sorted(carla.values_list("subject", flat=True)) == [
        "Derde vraag",
        "Eerste vraag",
        "Tweede vraag",
    ]
