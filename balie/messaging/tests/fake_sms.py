"""A made-up SMS provider, used only by the tests: a channel that is one connector class and
one line in BALIE_CONNECTORS, and nothing else, run end to end through the generic webhook
route (balie/intake/tests/test_webhooks.py).

Its provider signs each call like Meta does (`X-Signature-256: sha256=<HMAC of the body with
the account's webhook_secret>`), confirms the URL with Meta's GET handshake (`hub.verify_token`
= the account's verify_token), and posts JSON: `{"events": [...]}`, where an event is a message
(`{"type": "message", "id", "from", "name", "text", "sent_at"}`) or a status update about one
of ours (`{"type": "status", "message_id", "status", "error"}`). Accounts with `"poll": true`
in their config are polled instead (from `FakeSms.inbox`). What it sends is kept in
`FakeSms.sent`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any, ClassVar

from django.utils.dateparse import parse_datetime

from balie.messaging.connectors.base import (
    Addressing,
    Connector,
    Delivery,
    DeliveryReceipt,
    InboundMessage,
    OutboundMessage,
    Party,
    RawInbound,
    RejectedInput,
    ReplyContext,
    WebhookRequest,
)
from balie.messaging.connectors.signatures import check_hmac, hub_challenge

LINE = {"sms": "balie.messaging.tests.fake_sms.FakeSms"}


def sms_account(team: Any, *, secret: str) -> Any:
    """An active account of the test channel, as an admin sets one up: its number, its team,
    the provider's signing secret and the token of its handshake."""
    from balie.messaging.models import ChannelAccount

    return ChannelAccount.objects.create(
        kind="sms",
        name="Sms-nummer",
        address="+3197010000000",
        team=team,
        config={"webhook_secret": secret, "verify_token": "balie-verifieert"},
    )


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeSms(Connector):
    kind = "sms"
    identity_kind = "phone"
    can_send = True
    receives_webhooks = True

    sent: ClassVar[list[OutboundMessage]] = []
    inbox: ClassVar[dict[int, list[dict[str, Any]]]] = {}  # account id -> waiting messages
    acknowledged: ClassVar[list[str]] = []  # ids the poller told the provider are stored

    def verify(self, request: WebhookRequest, account: Any) -> str | None:
        if request.method == "GET":
            return hub_challenge(request, verify_token=str(account.setting("verify_token", "")))
        check_hmac(
            request.body,
            secret=str(account.setting("webhook_secret", "")),
            given=request.header("X-Signature-256"),
        )
        return None

    def unpack(self, request: WebhookRequest, account: Any) -> list[RawInbound]:
        try:
            data = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RejectedInput(f"geen geldige JSON: {exc}", status=400) from exc
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list):
            raise RejectedInput('verwacht {"events": [...]}', status=400)
        deliveries = []
        for event in events:
            if not isinstance(event, dict) or event.get("type") not in ("message", "status"):
                raise RejectedInput("onbekend soort event", status=400)
            if event["type"] == "message":
                key = str(event.get("id", ""))
            else:
                key = f"status:{event.get('message_id', '')}:{event.get('status', '')}"
            if not key or key.startswith("status::"):
                raise RejectedInput("event zonder id", status=400)
            deliveries.append(RawInbound(key, json.dumps(event).encode()))
        return deliveries

    def parse(self, envelope: Any) -> list[InboundMessage | DeliveryReceipt]:
        event = json.loads(bytes(envelope.raw))
        if event["type"] == "status":
            return [
                DeliveryReceipt(
                    provider_id=str(event["message_id"]),
                    status=str(event["status"]),
                    error=str(event.get("error", "")),
                )
            ]
        text = str(event.get("text", ""))
        return [
            InboundMessage(
                channel=self.kind,
                external_id=str(event["id"]),
                sender=Party("phone", str(event["from"]), str(event.get("name", ""))),
                text=text,
                full_text=text,
                sent_at=parse_datetime(str(event.get("sent_at", ""))),
            )
        ]

    def address(self, context: ReplyContext) -> Addressing:
        """Its provider quotes the message an answer replies to: the customer's last one."""
        to = (Party(context.identity_kind, context.identity_value),)
        return Addressing(to=to, in_reply_to=context.earlier_ids[-1] if context.earlier_ids else "")

    def send(self, outbound: OutboundMessage, account: Any) -> Delivery:
        self.sent.append(outbound)
        return Delivery(ok=True, provider_id=f"fake-{len(self.sent)}")

    def polls(self, account: Any) -> bool:
        return bool(account.config.get("poll"))

    def poll(self, account: Any) -> Iterator[RawInbound]:
        waiting = self.inbox.setdefault(account.pk, [])
        while waiting:
            event = waiting[0]
            yield RawInbound(str(event["id"]), json.dumps(event).encode())
            waiting.pop(0)  # stored by now: the provider may forget it
            self.acknowledged.append(str(event["id"]))
