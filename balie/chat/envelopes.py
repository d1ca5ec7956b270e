"""A visitor's chat message stored as its envelope: one statement on PostgreSQL.

The envelope names the chat's ticket and the id the message will have there
(`intake.pipeline.FILED_IN`), taken from the messages' own sequence in the same INSERT; a
resend of the same client id conflicts on the envelope's unique key and stores nothing. Then
the ingest worker is woken, as for mail, to file it behind. SQLite (the embedded default, one
writer at a time) takes the id first and stores the envelope through `intake.pipeline.receive`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from balie.intake import pipeline as ingest
from balie.messaging.models import ChannelAccount, Envelope, EnvelopeStatus
from balie.tickets.message_ids import reserve_message_id
from balie.tickets.models import Message


@dataclass(frozen=True)
class StoredEnvelope:
    envelope_id: int
    message_id: int
    received_at: datetime


def store(
    *,
    account: ChannelAccount,
    external_id: str,
    raw: bytes,
    filed_in: dict[str, Any],
) -> StoredEnvelope | None:
    """Store the envelope with the message id in its `FILED_IN` meta; None when an envelope
    with this external id is stored already (nothing is stored then)."""
    if connection.vendor == "postgresql":
        stored = _insert(account=account, external_id=external_id, raw=raw, filed_in=filed_in)
        if stored is not None:
            ingest.wake_worker(stored.envelope_id)
        return stored
    number = reserve_message_id()
    envelope, created = ingest.receive(
        channel="chat",
        raw=raw,
        account=account,
        external_id=external_id,
        meta={ingest.FILED_IN: {**filed_in, "message": number}},
    )
    if not created:
        return None
    return StoredEnvelope(envelope.pk, number, envelope.received_at)


def _insert(
    *, account: ChannelAccount, external_id: str, raw: bytes, filed_in: dict[str, Any]
) -> StoredEnvelope | None:
    envelopes, messages = Envelope._meta.db_table, Message._meta.db_table
    sql = (
        f'INSERT INTO "{envelopes}" '  # noqa: S608 (table names from the models)
        "(channel, account_id, external_id, raw, meta, status, reason, attempts, received_at) "
        "VALUES ('chat', %s, %s, %s, jsonb_set(%s::jsonb, %s, "
        "to_jsonb(nextval(pg_get_serial_sequence(%s, 'id')))), %s, '', 0, %s) "
        "ON CONFLICT (channel, external_id) DO NOTHING "
        f"RETURNING id, (meta -> %s ->> 'message')::bigint, received_at"
    )
    params: list[Any] = [
        account.pk,
        external_id[:255],
        raw,
        json.dumps({ingest.FILED_IN: filed_in}),
        [ingest.FILED_IN, "message"],
        messages,
        EnvelopeStatus.RECEIVED,
        timezone.now(),
        ingest.FILED_IN,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return StoredEnvelope(int(row[0]), int(row[1]), row[2]) if row else None
