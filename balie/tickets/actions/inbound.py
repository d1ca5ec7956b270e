"""The rows of what customers send, as `filing.file_messages` writes them."""

from __future__ import annotations

from typing import Any

from balie.customers.models import Identity
from balie.messaging.connectors.base import InboundMessage
from balie.tickets.models import (
    DeliveryStatus,
    Direction,
    Message,
    Ticket,
)


def inbound_message_row(
    ticket: Ticket,
    inbound: InboundMessage,
    *,
    identity: Identity | None,
    thread_reason: str,
    envelope: Any,
    at: Any,
    author: Any = None,
    threading: dict[str, Any] | None = None,
) -> Message:
    """A customer's message as it is filed, not yet saved. `author`: the agent who logged it
    (a call, visit or letter); `threading`: the thread reason as data."""
    return Message(
        author=author,
        ticket=ticket,
        direction=Direction.INBOUND,
        channel=inbound.channel,
        subject=inbound.subject[:255],
        body_text=inbound.text,
        body_html=inbound.html,
        full_text=inbound.full_text or inbound.text,
        full_html=inbound.mail.full_html,
        sender_identity=identity,
        sender_name=inbound.sender.name[:200],
        sender_address=inbound.sender.value[:254],
        external_id=inbound.external_id[:255],
        message_id=inbound.mail.message_id[:255],
        in_reply_to=inbound.mail.in_reply_to[:255],
        references=" ".join(inbound.mail.references),
        recipients={
            "to": [p.value for p in inbound.mail.to],
            "cc": [p.value for p in inbound.mail.cc],
            # a long list is read only in part: how many addresses it had in all
            **({"to_listed": inbound.mail.to_listed} if inbound.mail.to_listed else {}),
            **({"cc_listed": inbound.mail.cc_listed} if inbound.mail.cc_listed else {}),
            # Where the sender asked answers to go (Reply-To), and the date they wrote it;
            # messages are ordered by arrival, since a sender's clock may be wrong.
            "reply_to": inbound.claims.get("reply_to", ""),
            "sent_at": inbound.sent_at.isoformat() if inbound.sent_at else "",
        },
        delivery_status=DeliveryStatus.RECEIVED,
        is_automatic=bool(inbound.automatic),
        thread_reason=thread_reason[:300],
        threading=threading or {},
        envelope=envelope,
        created_at=at,
    )


def system_message_row(
    ticket: Ticket,
    *,
    text: str,
    inbound: InboundMessage,
    reason: str,
    envelope: Any,
    at: Any,
    threading: dict[str, Any] | None = None,
) -> Message:
    """A message Balie files without changing the ticket (a bounce, an auto-reply), not yet
    saved."""
    return Message(
        ticket=ticket,
        direction=Direction.SYSTEM,
        channel=inbound.channel,
        subject=inbound.subject[:255],
        body_text=text,
        full_text=inbound.full_text or text,
        sender_address=inbound.sender.value[:254],
        sender_name=inbound.sender.name[:200],
        external_id=inbound.external_id[:255],
        message_id=inbound.mail.message_id[:255],
        is_automatic=True,
        thread_reason=reason[:300],
        threading=threading or {},
        envelope=envelope,
        created_at=at,
    )
