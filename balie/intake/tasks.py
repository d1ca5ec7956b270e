"""Thin Celery tasks of the intake pipeline: ids in, one action called, idempotent."""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from balie.messaging.models import ChannelAccount, Envelope, EnvelopeStatus

from . import chat_order
from . import pipeline as ingest
from .polling import poll_account as poll_one
from .polling import polled_accounts


@shared_task(bind=True, acks_late=True)
def process_envelope(self: Task, envelope_id: int | None, slot: int = 0) -> str:
    """File this envelope and, in a worker, every other one waiting, in bursts, for as long as
    mail keeps coming (`ingest.drain`); None: woken for a live chat's answer, whose filing
    waits (`ingest.chat_order`). Run eagerly (tests, no broker): only this one, and the
    answers that wait."""
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


@shared_task
def process_pending_envelopes() -> int:
    """Envelopes stored but never processed, and a live chat's answers shown but never filed
    (a worker died): queue them again."""
    cutoff = timezone.now() - timedelta(minutes=2)
    ids = list(
        Envelope.objects.filter(status=EnvelopeStatus.RECEIVED, received_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:500]
    )
    answer = chat_order.answers_waiting()
    if ids or (answer is not None and answer < cutoff):
        # One task drains them all; if one is still draining, it takes these as well.
        ingest.wake_worker(ids[0] if ids else None, trust_hint=False)
    return len(ids) + (1 if answer is not None and answer < cutoff else 0)


@shared_task(acks_late=True)
def poll_account(account_id: int) -> int:
    """Fetch and store what is new on one polled account (an IMAP mailbox)."""
    account = ChannelAccount.objects.filter(pk=account_id, is_active=True).first()
    return poll_one(account) if account else 0


@shared_task
def poll_accounts() -> int:
    """Every active account whose connector fetches from its provider, one task each."""
    ids = polled_accounts()
    for account_id in ids:
        poll_account.delay(account_id)
    return len(ids)
