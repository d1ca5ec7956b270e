"""Live chat on a company's own site (the widget of `balie.chat`), as a channel.

The chat app stores each visitor message as a JSON envelope (`build_envelope`): the external
id is the chat's id and the widget's own id of the message, so a message the widget sends again
after a reconnect is the same envelope and is filed once. This connector turns it into an
`InboundMessage`; it knows nothing of tickets or of the chat's sessions.

An answer reaches the visitor's socket while the chat is live (the chat app marks it live in
the cache, `mark_live`) from the web process that stored it (`balie.chat.live`, right after
commit), without an outbox entry (`shown_when_stored`). After the chat ends, the answer goes by e-mail to the address the
visitor gave, with the ticket number in the subject, so their reply continues the same ticket.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.utils.dateparse import parse_datetime

from ..base import (
    Connector,
    Delivery,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    Party,
    RejectedInput,
)

if TYPE_CHECKING:
    from balie.messaging.models import ChannelAccount

CLAIM_FIELDS = ("customer_number", "topic", "language", "page")
LIVE_KEY = "chat:live:{ticket}"
LIVE_TTL = 24 * 3600  # a chat left open for a day is no longer live


def group_of(ticket_number: int) -> str:
    """The channel-layer group of every open socket of one chat (visitor's and agents')."""
    return f"chat.ticket.{ticket_number}"


def mark_live(ticket_number: int, live: bool = True) -> None:
    """The chat app says whether the chat of a ticket is live (answers go over the socket)."""
    key = LIVE_KEY.format(ticket=ticket_number)
    if live:
        cache.set(key, 1, LIVE_TTL)
    else:
        cache.delete(key)


def is_live(ticket_number: int) -> bool:
    return bool(cache.get(LIVE_KEY.format(ticket=ticket_number)))


def build_envelope(
    *,
    chat: str,
    client_id: str,
    name: str,
    email: str,
    text: str,
    claims: Mapping[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    sent_at: str = "",
) -> tuple[str, bytes]:
    """The external id and raw JSON of one visitor message."""
    data = {
        "chat": chat,
        "client_id": client_id,
        "name": name,
        "email": email,
        "text": text,
        "claims": dict(claims or {}),
        "sent_at": sent_at,
        "attachments": [
            {
                "filename": filename,
                "content_type": content_type,
                "content_b64": base64.b64encode(content).decode("ascii"),
            }
            for filename, content_type, content in attachments
        ],
    }
    return envelope_key(chat, client_id), json.dumps(data, ensure_ascii=False).encode("utf-8")


def envelope_key(chat: str, client_id: str) -> str:
    return f"chat:{chat}:{client_id}"[:255]


class ChatConnector(Connector):
    kind = "chat"
    identity_kind = "email"  # the address the visitor gave: where answers go after the chat
    can_send = True
    own_envelopes = True  # stored by the chat app only (`balie.chat.actions`)

    def envelope_id(self, raw: bytes, meta: Mapping[str, Any]) -> str:
        try:
            data = json.loads(raw.decode("utf-8"))
            return envelope_key(str(data["chat"]), str(data["client_id"]))
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
            return super().envelope_id(raw, meta)

    def parse(self, envelope: Any) -> list[InboundMessage]:
        try:
            data = json.loads(bytes(envelope.raw).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RejectedInput(f"chatbericht is geen geldige JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise RejectedInput("chatbericht is geen JSON-object")
        email = str(data.get("email", "")).strip().lower()
        text = str(data.get("text", "")).strip()
        attachments = tuple(
            InboundAttachment(
                filename=str(a.get("filename", "bijlage")),
                content_type=str(a.get("content_type", "application/octet-stream")),
                content=base64.b64decode(a.get("content_b64", "")),
            )
            for a in data.get("attachments") or []
        )
        if not email or not (text or attachments):
            raise RejectedInput("chatbericht zonder e-mailadres of tekst")
        raw_claims = data.get("claims") or {}
        claims = {
            key: str(raw_claims[key]).strip()[:500]
            for key in CLAIM_FIELDS
            if str(raw_claims.get(key, "")).strip()
        }
        sent_at = parse_datetime(str(data.get("sent_at") or "")) if data.get("sent_at") else None
        return [
            InboundMessage(
                channel=self.kind,
                external_id=envelope.external_id,
                sender=Party("email", email, str(data.get("name", "")).strip()[:200]),
                subject=str(data.get("subject", "")).strip()[:255],
                text=text,  # plain text: never rendered as HTML
                full_text=text,
                sent_at=sent_at,
                attachments=attachments,
                claims=claims,
            )
        ]

    def shown_when_stored(self, ticket_number: int) -> bool:
        return is_live(ticket_number)  # `balie.chat.live` shows it on the chat's sockets

    def send(self, outbound: OutboundMessage, account: ChannelAccount | None) -> Delivery:
        if is_live(outbound.ticket_number):
            # Shown on the chat's sockets by the web process as it was stored.
            return Delivery(ok=True, provider_id=f"chat:{outbound.ticket_number}")
        return _send_by_email(outbound)


def _send_by_email(outbound: OutboundMessage) -> Delivery:
    """After the chat: the answer by e-mail, from the first mailbox, to the address given."""
    from balie.messaging.connectors.email.addresses import email_accounts

    from ..email import EmailConnector

    mailbox = next((a for a in email_accounts.get() if a.is_active), None)
    to = tuple(Party("email", p.value, p.name) for p in outbound.to if "@" in p.value)
    if not to:
        return Delivery(
            ok=False, error="geen e-mailadres om het antwoord heen te sturen", retry=False
        )
    mail = replace(
        outbound,
        channel="email",
        to=to,
        # The chat account's address is the widget's account name, not a mailbox.
        from_address=(
            mailbox.address if mailbox and mailbox.address else settings.DEFAULT_FROM_EMAIL
        ),
    )
    return EmailConnector().send(mail, mailbox)
