"""Thin Celery tasks: ids in, one action called, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from balie.core import realtime

from . import outbox


@shared_task(acks_late=True)
def send_outbox_item(item_id: int) -> str:
    item = outbox.deliver(item_id)
    return item.status if item else "skipped"


@shared_task(acks_late=True)
def send_outbox_items(item_ids: list[int]) -> str:
    """Send a burst of outbox items (the acknowledgements of a burst of new tickets) in one
    task (`outbox.deliver_many`)."""
    with realtime.coalesced():  # the live events of the whole burst in one trip
        handled = outbox.deliver_many(item_ids)
    return f"{len(handled)} of {len(item_ids)} handled"


@shared_task(acks_late=True)
def drain_outbox(item_ids: list[int]) -> int:
    """Send the new outbox items: `item_ids`, woken for, and every other one waiting
    (`outbox.drain`)."""
    return outbox.drain(
        limit=settings.BALIE_OUTBOX_BATCH, seconds=settings.BALIE_OUTBOX_DRAIN_SECONDS
    )


@shared_task
def retry_outbox() -> int:
    ids = outbox.due_items()
    for item_id in ids:
        send_outbox_item.delay(item_id)
    return len(ids)
