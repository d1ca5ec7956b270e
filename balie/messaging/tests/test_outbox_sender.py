"""New outbox items (acknowledgements, mostly) are sent by one sender at a time: items stored
while it is awake queue no task of their own, it sends them before it stops, and an item stored
just as it stops is not left behind (balie/messaging/outbox.py, `wake_sender`, `drain`)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from balie.customers.identities import normalise
from balie.intake.ticket_requests import TicketRequest, file_requests
from balie.messaging import outbox
from balie.messaging.models import OutboxItem, OutboxStatus
from balie.tickets.api_schemas import TicketIn


@pytest.fixture
def queued(settings, monkeypatch) -> list[list[int]]:
    """As with a broker and a worker: the sender tasks that would be queued (their items)."""
    from balie.messaging import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.delete(outbox.SENDER_KEY)
    tasks_queued: list[list[int]] = []
    monkeypatch.setattr(
        tasks.drain_outbox,
        "apply_async",
        lambda args, countdown=None: tasks_queued.append(list(args[0])),
    )
    return tasks_queued


def filed(cast, django_capture_on_commit_callbacks, *names: str) -> None:
    """A ticket over the API per name, each in a batch (and a transaction) of its own, with
    what their commits queue."""
    for name in names:
        payload = TicketIn(
            identity={"kind": "email", "value": f"{name}@example.nl"},
            channel="email",
            text=f"Vraag van {name} over de jaarafrekening.",
        )
        request = TicketRequest(
            agent=cast.anna, payload=payload, normalised=normalise("email", f"{name}@example.nl")
        )
        with django_capture_on_commit_callbacks(execute=True):
            (answer,) = file_requests([request])
        assert isinstance(answer, dict) and len(answer["messages"]) == 2  # acknowledged


def statuses() -> list[str]:
    return list(OutboxItem.objects.order_by("pk").values_list("status", flat=True))


def test_acknowledgements_stored_while_the_sender_is_awake_queue_no_task_and_are_all_sent(
    cast, queued, django_capture_on_commit_callbacks
):
    filed(cast, django_capture_on_commit_callbacks, "dirk", "eva", "fenna")
    first = list(OutboxItem.objects.order_by("pk").values_list("pk", flat=True))[:1]

    assert queued == [first]  # one task for the three, not one per ticket
    assert statuses() == [OutboxStatus.PENDING] * 3

    handled = outbox.drain(limit=2, seconds=30)  # a full burst of two, then the one left

    assert handled == 3
    assert statuses() == [OutboxStatus.SENT] * 3
    assert cache.get(outbox.SENDER_KEY) is None
    assert len(queued) == 1  # nothing left waiting: nothing queued again


def test_an_acknowledgement_stored_just_as_the_sender_stops_gets_a_sender(
    cast, queued, monkeypatch, django_capture_on_commit_callbacks
):
    filed(cast, django_capture_on_commit_callbacks, "dirk")
    late: list[bool] = []
    real_new_items = outbox.new_items

    def a_ticket_arrives_just_after_the_look(limit: int) -> list[int]:
        # The sender's look finds the first; then a ticket is filed while its key is still
        # set (it queues nothing), and the sender stops after this small burst.
        found = real_new_items(limit)
        if not late:
            late.append(True)
            filed(cast, django_capture_on_commit_callbacks, "eva")
        return found

    monkeypatch.setattr(outbox, "new_items", a_ticket_arrives_just_after_the_look)
    assert len(queued) == 1
    outbox.drain(limit=10, seconds=30)

    second = OutboxItem.objects.order_by("pk").last()
    assert second is not None
    assert queued == [queued[0], [second.pk]]  # the sender's last look woke another
    assert statuses() == [OutboxStatus.SENT, OutboxStatus.PENDING]


def test_a_retry_is_left_to_the_periodic_retry_not_to_the_sender(
    cast, queued, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    filed(cast, django_capture_on_commit_callbacks, "dirk", "eva")
    failed_once = OutboxItem.objects.order_by("pk").last()
    assert failed_once is not None
    OutboxItem.objects.filter(pk=failed_once.pk).update(attempts=1, next_attempt_at=timezone.now())

    outbox.drain(limit=10, seconds=30)

    assert statuses() == [OutboxStatus.SENT, OutboxStatus.PENDING]
    assert outbox.due_items() == [failed_once.pk]
