"""Signed webhook POSTs: those a rule's webhook action asks for, and those of the admins'
subscriptions per event kind (`consume_events`, a consumer of the event stream).

Each request carries the raw JSON body, `X-Balie-Event`, `X-Balie-Timestamp` (Unix seconds)
and `X-Balie-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body with the rule's or subscription's secret.
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.core.process_cache import ProcessCache
from balie.tickets.events import Event

from .models import DeliveryState, WebhookDelivery, WebhookSubscription
from .rule_effects import ticket_payload, valid_webhook_url

TEST_EVENT = "webhook.test"  # the admin's "send a test": not a domain event

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
        return Attempt(False, None, _("URL moet http of https zijn"))
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
    """Send one pending delivery once; returns it, or None when there is nothing to send (it
    was delivered, failed for good, or another worker is sending it: its row is locked while
    it is sent, so a task that runs twice does not POST twice at once)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, state=DeliveryState.PENDING)
            .first()
        )
        if delivery is None:
            return None
        return _attempt(delivery)


def _attempt(delivery: WebhookDelivery) -> WebhookDelivery:
    body = delivery.body.encode()
    event = delivery.event or json.loads(delivery.body).get("event", "")
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


# --- subscriptions: a consumer of the event stream -----------------------------------------


def _load_subscriptions() -> dict[str, list[WebhookSubscription]]:
    by_kind: dict[str, list[WebhookSubscription]] = {}
    for subscription in WebhookSubscription.objects.filter(is_active=True):
        for kind in subscription.events:
            by_kind.setdefault(kind, []).append(subscription)
    return by_kind


# Read for every event, changed rarely: kept per process like the active rules.
active_subscriptions: ProcessCache[dict[str, list[WebhookSubscription]]] = ProcessCache(
    "webhook-subscriptions", _load_subscriptions
)
post_save.connect(
    active_subscriptions.forget, sender=WebhookSubscription, dispatch_uid="webhook-subscriptions"
)
post_delete.connect(
    active_subscriptions.forget, sender=WebhookSubscription, dispatch_uid="webhook-subscriptions"
)


def subscription_body(
    event: str, *, ticket: Any = None, data: Any = None, activity: Any = None
) -> str:
    payload: dict[str, Any] = {"event": event, "sent_at": timezone.now().isoformat()}
    if activity is not None:
        payload["id"] = activity.pk
        payload["actor"] = activity.actor_label
    if ticket is not None:
        payload["ticket"] = ticket_payload(ticket)
    payload["data"] = data or {}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)


def consume_events(events: Sequence[Event]) -> None:
    """The event stream's consumer (settings.EVENT_CONSUMERS): one delivery per event and
    subscription to its kind, written in one INSERT and sent by a task after commit."""
    subscribed = active_subscriptions.get()
    if not subscribed:
        return
    deliveries = [
        WebhookDelivery(
            subscription=subscription,
            ticket=event.ticket,
            event=event.kind,
            url=subscription.url,
            secret=subscription.secret,
            body=subscription_body(
                event.kind, ticket=event.ticket, data=event.data, activity=event.activity
            ),
        )
        for event in events
        for subscription in subscribed.get(event.kind, ())
    ]
    if deliveries:
        send_later(WebhookDelivery.objects.bulk_create(deliveries))


def send_later(deliveries: list[WebhookDelivery]) -> None:
    from .tasks import send_webhook

    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: [send_webhook.delay(pk) for pk in ids])
