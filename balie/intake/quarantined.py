"""Input the pipeline could not take, kept with its reason (`balie quarantine list|show|replay`),
and its replay after a fix."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from balie.messaging.models import Envelope, Quarantine

logger = logging.getLogger("balie.intake.pipeline")


def quarantine(
    *,
    channel: str,
    source: str,
    reason: str,
    raw: bytes,
    meta: Mapping[str, Any] | None = None,
    envelope: Envelope | None = None,
) -> Quarantine:
    logger.warning("quarantined %s input from %s: %s", channel, source, reason)
    return Quarantine.objects.create(
        channel=channel,
        source=source,
        reason=reason,
        raw=raw,
        meta=dict(meta or {}),
        envelope=envelope,
    )


def replay(quarantine_item: Quarantine) -> str:
    """Process a quarantined input again (after a fix). Returns the outcome."""
    from .pipeline import DONE, process_envelope, receive

    if quarantine_item.envelope_id:
        envelope = process_envelope(quarantine_item.envelope_id, force=True)
        result = f"{envelope.status}: {envelope.reason}"
    else:
        envelope, _created = receive(
            channel=quarantine_item.channel,
            raw=bytes(quarantine_item.raw),
            meta=quarantine_item.meta,
        )
        envelope = process_envelope(envelope.pk)
        result = f"{envelope.status}: {envelope.reason}"
    if envelope.status in DONE:
        quarantine_item.replayed_at = timezone.now()
    quarantine_item.replay_result = result[:2000]
    quarantine_item.save(update_fields=["replayed_at", "replay_result"])
    return result
