"""Signed webhook POSTs.

Each request carries the raw JSON body, `X-Balie-Event`, `X-Balie-Timestamp` (Unix seconds)
and `X-Balie-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body with the rule's secret.
The body itself holds `sent_at`, so a receiver that checks the signature also knows when the
event was sent and can refuse old replays. Only http(s) URLs are accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.utils import timezone

from .models import DeliveryState, WebhookDelivery
from .rule_effects import valid_webhook_url

TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 6


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt: 30 s, 1, 2, 4, 8 minutes."""
    return min(30 * 2 ** max(attempts - 1, 0), 3600)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (and our tests): compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header or "")


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status: int | None
    error: str = ""


def post_signed(url: str, body: bytes, *, secret: str, event: str) -> Attempt:
    if not valid_webhook_url(url):
        return Attempt(False, None, "URL moet http of https zijn")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Balie-Webhook/1",
            "X-Balie-Event": event,
            "X-Balie-Timestamp": str(int(time.time())),
            "X-Balie-Signature": sign(secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return Attempt(200 <= response.status < 300, response.status)
    except urllib.error.HTTPError as error:
        return Attempt(False, error.code, f"HTTP {error.code}")
    except (urllib.error.URLError, OSError) as error:
        return Attempt(False, None, str(getattr(error, "reason", error))[:500])


def deliver_webhook(delivery_id: int) -> WebhookDelivery | None:
    """Send one pending delivery once; returns it, or None when there is nothing to send."""
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING).first()
    if delivery is None:
        return None
    body = delivery.body.encode()
    event = json.loads(delivery.body).get("event", "")
    attempt = post_signed(delivery.url, body, secret=delivery.secret, event=event)
    delivery.attempts += 1
    delivery.response_status = attempt.status
    delivery.error = attempt.error
    fields = ["attempts", "response_status", "error"]
    if attempt.ok:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = timezone.now()
        fields += ["state", "delivered_at"]
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
        fields.append("state")
    delivery.save(update_fields=fields)
    return delivery
