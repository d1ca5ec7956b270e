"""Spam from the contact form: kept in quarantine in the envelope shape that
`balie.intake.submissions` files (the form's, the portal's reply box's and the chat's
leave-a-message form's), so a false positive can be replayed.
"""

from __future__ import annotations

import uuid
from typing import Any

from balie.intake import pipeline as ingest
from balie.intake.submissions import envelope_bytes
from balie.messaging.models import Quarantine


def keep_as_spam(*, data: dict[str, Any], reason: str, ip: str, honeypot: str = "") -> Quarantine:
    """Nothing is created; the input is kept for inspection (and replay if it was a person)."""
    return ingest.quarantine(
        channel="webform",
        source="contactformulier",
        reason=reason,
        raw=envelope_bytes(data),
        meta={
            "submission_id": str(uuid.uuid4()),
            "spam": reason,
            "ip": ip,
            "website": honeypot[:500],
        },
    )
