"""The web contact form (/contact/) and the customer portal's reply box, as a channel.

The form view stores the submission as a JSON envelope; this connector turns it into an
`InboundMessage`. Attachments travel base64-encoded inside the envelope, so that the raw
submission is complete and can be replayed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from django.utils.dateparse import parse_datetime

from .base import Connector, InboundAttachment, InboundMessage, Party, RejectedInput

CLAIM_FIELDS = ("customer_number", "order_number", "topic", "phone", "language")


class WebformConnector(Connector):
    kind = "webform"
    identity_kind = "email"  # the form has no way back: answers go out by e-mail

    def envelope_id(self, raw: bytes, meta: Mapping[str, Any]) -> str:
        return str(meta.get("submission_id") or super().envelope_id(raw, meta))

    def parse(self, envelope: Any) -> list[InboundMessage]:
        try:
            data = json.loads(bytes(envelope.raw).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RejectedInput(f"formulier is geen geldige JSON: {exc}") from exc
        email = str(data.get("email", "")).strip()
        text = str(data.get("message", "")).strip()
        if not email or not text:
            raise RejectedInput("formulier zonder e-mailadres of bericht")
        attachments = tuple(
            InboundAttachment(
                filename=str(a.get("filename", "bijlage")),
                content_type=str(a.get("content_type", "application/octet-stream")),
                content=base64.b64decode(a.get("content_b64", "")),
            )
            for a in data.get("attachments", [])
        )
        claims = {
            key: str(data[key]).strip() for key in CLAIM_FIELDS if str(data.get(key, "")).strip()
        }
        return [
            InboundMessage(
                channel=str(data.get("channel", "webform")),
                external_id=envelope.external_id,
                sender=Party("email", email, str(data.get("name", "")).strip()[:200]),
                subject=str(data.get("subject", "")).strip()[:255],
                text=text,  # plain text: templates escape it, it is never rendered as HTML
                full_text=text,
                sent_at=parse_datetime(str(data.get("submitted_at", "")))
                if data.get("submitted_at")
                else None,
                attachments=attachments,
                claims=claims,
            )
        ]
