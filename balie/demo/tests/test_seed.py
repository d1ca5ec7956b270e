"""`balie seed`: generated data that looks like a real inbox and keeps the invariants."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Count, Max, Min

from balie.customers.models import Customer, Identity
from balie.demo.seed_text import COMMON_TERM
from balie.messaging.models import OutboxItem
from balie.tickets.models import OPEN_STATUSES, Activity, Message, Participant, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    out = StringIO()
    call_command("seed", "--tickets", "200", "--batch", "100", stdout=out)
    return out.getvalue()


def test_seed_reports_what_it_made(seeded):
    assert "200 tickets" in seeded
    assert Ticket.objects.count() == 200
    assert Customer.objects.count() == 67  # one per three tickets


def test_every_ticket_has_a_customer_with_an_email_address(seeded):
    assert not Ticket.objects.filter(customer__isnull=True).exists()
    customers = Customer.objects.filter(tickets__isnull=False).distinct()
    with_email = customers.filter(identities__kind="email").distinct()
    assert with_email.count() == customers.count()
    assert Identity.objects.filter(kind="email", value__contains="@").count() >= 67
    assert all(c.number and c.number.startswith("K") for c in Customer.objects.all())


def test_ticket_numbers_start_at_10001_and_the_next_ticket_gets_a_fresh_number(seeded):
    from balie.core.actors import SYSTEM
    from balie.tickets.actions import create_ticket

    numbers = list(Ticket.objects.order_by("id").values_list("id", flat=True))
    assert numbers[0] >= 10001
    customer = Customer.objects.first()
    ticket = create_ticket(customer=customer, subject="Nieuw", channel="email", by=SYSTEM)
    assert ticket.pk > numbers[-1]


def test_messages_are_in_time_order_and_the_ticket_times_match(seeded):
    for ticket in Ticket.objects.all():
        messages = list(ticket.messages.order_by("id"))
        assert messages, f"#{ticket.pk} has no messages"
        public = [m for m in messages if m.direction != "note"]
        times = [m.created_at for m in public]
        assert times == sorted(times)
        assert public[0].direction == "inbound"
        assert public[0].created_at == ticket.created_at
        assert ticket.last_message_at == max(m.created_at for m in messages)
        inbound = [m.created_at for m in messages if m.direction == "inbound"]
        assert ticket.last_inbound_at == max(inbound)
        outbound = [m.created_at for m in messages if m.direction == "outbound"]
        assert ticket.first_response_at == (min(outbound) if outbound else None)
        if ticket.status == "new":
            assert not outbound
        if ticket.status in ("solved", "closed"):
            assert ticket.solved_at and ticket.solved_at >= ticket.last_message_at
        if ticket.status == "closed":
            assert ticket.closed_at and ticket.closed_at > ticket.solved_at


def test_data_is_spread_like_a_real_inbox(seeded):
    tickets = Ticket.objects.all()
    channels = Counter(tickets.values_list("channel", flat=True))
    statuses = Counter(tickets.values_list("status", flat=True))
    assert channels.most_common(1)[0][0] == "email"
    assert len(channels) >= 5
    assert {"closed", "open"} <= set(statuses)
    assert statuses["closed"] > statuses["open"]  # a year of history: most are done
    assert 0 < sum(statuses[s] for s in OPEN_STATUSES) < 100
    assert tickets.values("team").distinct().count() >= 3
    assert tickets.exclude(assignee=None).values("assignee").distinct().count() >= 5
    assert len({t.month for t in tickets.values_list("created_at", flat=True)}) >= 10
    assert len(set(tickets.values_list("priority", flat=True))) >= 3
    assert len(set(tickets.values_list("type", flat=True))) >= 4
    counts = tickets.annotate(n=Count("messages")).aggregate(avg=Max("n"), low=Min("n"))
    assert counts["low"] >= 1 and counts["avg"] > 3
    total = Message.objects.count()
    assert 2.0 * 200 < total < 4.5 * 200


def test_text_is_dutch_with_common_and_uncommon_words(seeded):
    bodies = list(Message.objects.filter(direction="inbound").values_list("body_text", flat=True))
    words = Counter(w.strip(".,?!:").lower() for body in bodies for w in body.split())
    assert words["de"] > 100 and words["ik"] > 50
    # A common word is common, most words are rare: a long tail, as in a real inbox.
    with_common = sum(COMMON_TERM in body.lower() for body in bodies)
    assert 0.03 * len(bodies) < with_common < 0.5 * len(bodies)
    once = [w for w, n in words.items() if n == 1]
    assert len(once) > 0.3 * len(words)
    replies = Message.objects.filter(direction="outbound").values_list("body_text", flat=True)
    assert all("Met vriendelijke groet" in r or r.startswith("Hoi ") for r in replies)


def test_seed_sends_nothing_and_keeps_the_audit_trail(seeded):
    assert OutboxItem.objects.count() == 0
    assert mail.outbox == []
    assert Activity.objects.filter(kind="ticket.created").count() == 200
    assert Participant.objects.filter(role="customer").count() == 200


def test_open_tickets_have_running_sla_clocks(seeded):
    pytest.importorskip("balie.sla.actions")
    open_new = Ticket.objects.filter(status__in=["new", "open"])
    assert open_new.exists()
    assert not open_new.filter(sla_next_due_at=None).exists()
    assert not Ticket.objects.filter(status="closed").exclude(sla_next_due_at=None).exists()


def test_a_second_run_adds_to_the_first(seeded):
    first_last = Ticket.objects.aggregate(m=Max("id"))["m"]
    call_command("seed", "--tickets", "50", stdout=StringIO())
    assert Ticket.objects.count() == 250
    assert Ticket.objects.filter(id__gt=first_last).count() == 50
