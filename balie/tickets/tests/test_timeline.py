"""Every kind of event reads as words on the ticket's timeline, in Dutch and in English."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from balie.core.actors import SYSTEM
from balie.tickets import actions as ticket_actions
from balie.tickets.events import EventKind, emit
from balie.tickets.models import Activity
from balie.tickets.timeline import activity_text

# What each kind's audit entry holds (docs/events.md), as the actions write it.
SAMPLES = {
    EventKind.TICKET_CREATED: {"channel": "email", "subject": "Voorschot"},
    EventKind.TICKET_UPDATED: {"subject": {"from": "Voorschot", "to": "Voorschot 2027"}},
    EventKind.TICKET_ASSIGNED: {"to": "Bram Bakker"},
    EventKind.TICKET_REOPENED: {"from": "solved", "message": 1},
    EventKind.TICKET_CUSTOMER_CHANGED: {"from": "K100001", "to": "K100002"},
    EventKind.TICKET_SNOOZED: {"until": "2027-03-01T09:00:00+01:00"},
    EventKind.TICKET_SNOOZE_ENDED: {"until": "2027-03-01T09:00:00+01:00"},
    EventKind.MESSAGE_RECEIVED: {"message": 1, "channel": "email", "thread_reason": "nieuw"},
    EventKind.MESSAGE_SENT: {"message": 2, "channel": "email", "to": ["carla@example.nl"]},
    EventKind.MESSAGE_DELIVERY_UPDATED: {"message": 2, "status": "sent", "error": ""},
    EventKind.MESSAGE_BOUNCED: {"message": 2, "status": "bounced", "error": "550 unknown user"},
    EventKind.NOTE_ADDED: {"message": 3},
    EventKind.MACRO_APPLIED: {"macro": 1, "name": "Meterstand", "sent": True},
    EventKind.SLA_WARNING: {"clock": 1, "kind": "first_response", "due_at": "2027-03-01T10:00"},
    EventKind.SLA_BREACHED: {"clock": 1, "kind": "resolution", "due_at": "2027-03-02T10:00"},
    EventKind.RULE_APPLIED: {"rule": 1, "name": "Storingen", "event": "message.received"},
    EventKind.RULE_FAILED: {"rule": 1, "name": "Storingen", "error": "geen team"},
    EventKind.LIFECYCLE_REMINDED: {"message": 4, "waiting_since": "2027-03-01T10:00"},
    EventKind.LIFECYCLE_FINAL_NOTICE_SENT: {"message": 5, "waiting_since": "2027-03-01T10:00"},
    EventKind.LIFECYCLE_SOLVED: {"message": 6, "waiting_since": "2027-03-01T10:00"},
    EventKind.LIFECYCLE_CLOSED: {"solved_at": "2027-03-01T10:00", "after_days": 7},
}
CODE = re.compile(r"\b[a-z_]+\.[a-z_]+ed\b|\b(?:ticket|message|sla|lifecycle|automation)\.")


def test_every_kind_has_a_sample():
    assert set(SAMPLES) == set(EventKind)


def test_every_kind_of_event_is_written_in_words_on_the_ticket_page(client, cast):
    ticket = ticket_actions.create_ticket(
        customer=cast.carla, subject="Voorschot", channel="email", by=cast.carla
    )
    for kind, data in SAMPLES.items():
        if kind != EventKind.TICKET_CREATED:
            emit(ticket, kind, by=SYSTEM, data=data)
    client.force_login(cast.anna.user)

    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    entries = re.findall(r'<li><span class="activity-time">.*?</li>', html, re.DOTALL)
    assert len(entries) == Activity.objects.filter(ticket=ticket).count() == len(EventKind)
    for entry in entries:
        assert not CODE.search(entry), entry
    assert "zette het ticket in de wacht tot 1 mrt 2027 09:00" in html
    assert "SLA-doel oplossing overschreden" in html
    assert "paste de macro ‘Meterstand’ toe en verstuurde het antwoord" in html


@pytest.mark.parametrize("kind", list(EventKind))
def test_each_kind_reads_in_dutch_and_in_english(kind):
    entry = Activity(kind=kind, data=SAMPLES[kind])

    with translation.override("nl"):
        dutch = activity_text(entry)
    with translation.override("en"):
        english = activity_text(entry)

    assert dutch and english and kind.value not in (dutch, english)
    assert english != dutch
