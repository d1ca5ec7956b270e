"""The event stream: one enumeration, documented, handed to the consumers in order."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from balie.tickets import actions as ticket_actions
from balie.tickets.events import EventKind, emit, held
from balie.tickets.models import Activity, Priority

DOCS = Path(settings.BASE_DIR) / "docs" / "events.md"

seen: list[tuple[str, str]] = []


def remember(events):
    """A consumer for these tests: what it was handed, and in which order."""
    seen.extend((event.kind, event.ticket.subject) for event in events)


@pytest.fixture
def consumer(settings):
    seen.clear()
    settings.EVENT_CONSUMERS = (*settings.EVENT_CONSUMERS, f"{__name__}.remember")
    return seen


def new_ticket(cast, subject="Vraag over mijn voorschot"):
    return ticket_actions.create_ticket(
        customer=cast.carla, subject=subject, channel="email", by=cast.carla
    )


def test_every_event_kind_is_documented_and_every_documented_event_exists():
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOCS.read_text(), re.MULTILINE))

    assert documented == {kind.value for kind in EventKind}


def test_an_action_hands_its_events_to_the_consumers_in_the_order_they_happened(cast, consumer):
    ticket = new_ticket(cast)
    consumer.clear()

    ticket_actions.update_ticket(ticket, by=cast.anna, priority=Priority.HIGH, assignee=cast.bram)

    assert [kind for kind, _subject in consumer] == ["ticket.updated", "ticket.assigned"]
    assert list(
        Activity.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True)
    ) == ["ticket.created", "ticket.updated", "ticket.assigned"]


def test_consumers_wait_for_the_end_of_a_held_block(cast, consumer):
    ticket = new_ticket(cast)
    consumer.clear()

    with held():
        emit(ticket, EventKind.NOTE_ADDED, by=cast.anna)
        ticket_actions.update_ticket(ticket, by=cast.anna, priority=Priority.HIGH)
        during = list(consumer)

    assert during == []
    assert [kind for kind, _subject in consumer] == ["note.added", "ticket.updated"]


def test_a_block_that_fails_hands_nothing_over(cast, consumer):
    ticket = new_ticket(cast)
    consumer.clear()

    with pytest.raises(RuntimeError), held():
        emit(ticket, EventKind.NOTE_ADDED, by=cast.anna)
        raise RuntimeError("stop")

    assert consumer == []


def test_an_unknown_event_name_is_refused(cast):
    ticket = new_ticket(cast)

    with pytest.raises(ValueError):
        emit(ticket, "ticket.teleported", by=cast.anna)
