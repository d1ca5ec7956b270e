"""Thin Celery tasks: ids in, one action called, idempotent."""

from __future__ import annotations

from celery import shared_task

from balie.core import realtime

from . import outbox
from .models import ChannelAccount


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


@shared_task
def retry_outbox() -> int:
    ids = outbox.due_items()
    for item_id in ids:
        send_outbox_item.delay(item_id)
    return len(ids)


@shared_task(acks_late=True)
def poll_mailbox(account_id: int) -> int:
    from .connectors import get_connector

    account = ChannelAccount.objects.get(pk=account_id)
    return get_connector(account.kind).poll(account)


@shared_task
def poll_mailboxes() -> int:
    ids = list(
        ChannelAccount.objects.filter(kind="email", is_active=True)
        .exclude(config__imap_host="")
        .exclude(config__imap_host__isnull=True)
        .values_list("pk", flat=True)
    )
    for account_id in ids:
        poll_mailbox.delay(account_id)
    return len(ids)
