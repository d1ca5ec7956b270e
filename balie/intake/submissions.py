"""What the contact form, the portal's reply box and the chat's leave-a-message form hand to the
ingestion pipeline.

They build the JSON envelope that `messaging.connectors.webform` parses, store it with
`receive` (durable first) and process it at once, so the page can show the ticket number.
Processing is idempotent: the task queued by `receive` finds the envelope done.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.utils import timezone, translation

from balie.messaging.models import Envelope
from balie.tickets.actions import UploadedFile
from balie.tickets.models import Direction, Message, Ticket

from . import pipeline as ingest


def build_envelope(
    *,
    name: str,
    email: str,
    message: str,
    subject: str = "",
    phone: str = "",
    customer_number: str = "",
    order_number: str = "",
    topic: str = "",
    channel: str = "webform",
    attachments: Sequence[UploadedFile] = (),
) -> dict[str, Any]:
    return {
        "channel": channel,
        "name": name,
        "email": email,
        "phone": phone,
        "customer_number": customer_number,
        "order_number": order_number,
        "topic": topic,
        "subject": subject,
        "message": message,
        "language": translation.get_language() or "nl",
        "submitted_at": timezone.now().isoformat(),
        "attachments": [
            {
                "filename": item.filename,
                "content_type": item.content_type,
                "content_b64": base64.b64encode(item.content).decode("ascii"),
            }
            for item in attachments
        ],
    }


def envelope_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


# The same form sent again within this many seconds (a double click, a reload of the POST,
# "did it work?") is the same submission: it files nothing twice and shows the same number.
RESUBMIT_WINDOW = 60


def _fingerprint(data: dict[str, Any]) -> str:
    fields = {k: v for k, v in data.items() if k not in ("submitted_at", "language")}
    if isinstance(fields.get("email"), str):
        fields["email"] = fields["email"].strip().lower()
    return hashlib.sha256(envelope_bytes(fields)).hexdigest()[:40]


def submit(data: dict[str, Any]) -> Envelope:
    """Store the submission durably, then file it; returns the processed envelope. A copy of
    a submission stored less than `RESUBMIT_WINDOW` seconds ago returns that one: its id is
    the content's fingerprint and the time slot, so even two copies at once store one."""
    fingerprint = _fingerprint(data)
    slot = int(time.time()) // RESUBMIT_WINDOW
    recent = (
        Envelope.objects.filter(
            channel="webform",
            external_id__in=[f"form:{fingerprint}:{slot}", f"form:{fingerprint}:{slot - 1}"],
            received_at__gte=timezone.now() - timedelta(seconds=RESUBMIT_WINDOW),
        )
        .order_by("-received_at")
        .first()
    )
    if recent is not None:
        return ingest.process_envelope(recent.pk)
    envelope, _created = ingest.receive(
        channel="webform",
        raw=envelope_bytes(data),
        meta={"submission_id": str(uuid.uuid4())},
        external_id=f"form:{fingerprint}:{slot}",
    )
    return ingest.process_envelope(envelope.pk)


def ticket_of(envelope_id: int) -> Ticket | None:
    """The ticket an envelope's message was filed in (None while it is not processed)."""
    message = (
        Message.objects.filter(envelope_id=envelope_id, direction=Direction.INBOUND)
        .select_related("ticket")
        .first()
    )
    return message.ticket if message else None
