"""Thin Celery tasks: ids in, one action called, idempotent."""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from balie.core import realtime

from . import ingest, outbox
from .models import ChannelAccount, Envelope, EnvelopeStatus


@shared_task(bind=True, acks_late=True)
def process_envelope(self: Task, envelope_id: int, slot: int = 0) -> str:
    """File this envelope and, in a worker, every other one waiting, in bursts, for as long as
    mail keeps coming (`ingest.drain`). Run eagerly (tests, no broker): only this one."""
    if self.request.is_eager:
        done = ingest.process_waiting(envelope_id, limit=1)
        return ", ".join(sorted({e.status for e in done})) or "held by another worker"
    handled = ingest.drain(
        envelope_id,
        limit=settings.BALIE_INGEST_BATCH,
        seconds=settings.BALIE_INGEST_DRAIN_SECONDS,
        slot=slot,
    )
    return f"{handled} envelopes"


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


@shared_task
def process_pending_envelopes() -> int:
    """Envelopes stored but never processed (a worker died): queue them again."""
    cutoff = timezone.now() - timedelta(minutes=2)
    ids = list(
        Envelope.objects.filter(status=EnvelopeStatus.RECEIVED, received_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:500]
    )
    if ids:
        # One task drains them all; if one is still draining, it takes these as well.
        ingest.wake_worker(ids[0], trust_hint=False)
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
