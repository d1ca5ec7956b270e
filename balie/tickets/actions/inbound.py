"""Filing what customers send."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from balie.customers.models import Identity, IdentityKind
from balie.messaging.connectors.base import InboundMessage
from balie.sla import actions as sla_actions
from balie.tickets import events
from balie.tickets.events import emit, emit_all, held
from balie.tickets.models import (
    Channel,
    DeliveryStatus,
    Direction,
    Message,
    Status,
    Ticket,
)

from .attachments import store_attachments
from .creation import add_cc_participants
from .deliveries import received_entry


def add_inbound_message(
    ticket: Ticket,
    inbound: InboundMessage,
    *,
    by: Any,
    identity: Identity | None = None,
    thread_reason: str = "",
    threading: dict[str, Any] | None = None,
    envelope: Any = None,
    first: bool = False,
    steps: Sequence[str] = (),
    author: Any = None,
    logged: bool = False,
) -> Message:
    """File a customer's message in a ticket; a reply reopens a solved or pending ticket.
    `first`: the message that opens a ticket just made by `create_ticket`. `logged`: a call,
    visit or letter that `author` (an agent) logged."""
    with held():  # the consumers see the ticket and its SLA clocks as filing left them
        return _add_inbound_message(
            ticket,
            inbound,
            by=by,
            identity=identity,
            thread_reason=thread_reason,
            threading=threading,
            envelope=envelope,
            first=first,
            steps=steps,
            author=author,
            logged=logged,
        )


def _add_inbound_message(
    ticket: Ticket,
    inbound: InboundMessage,
    *,
    by: Any,
    identity: Identity | None,
    thread_reason: str,
    threading: dict[str, Any] | None,
    envelope: Any,
    first: bool,
    steps: Sequence[str],
    author: Any,
    logged: bool,
) -> Message:
    now = timezone.now()
    message = inbound_message_row(
        ticket,
        inbound,
        identity=identity,
        thread_reason=thread_reason,
        threading=threading,
        envelope=envelope,
        at=now,
        author=author,
    )
    message.save(force_insert=True)
    _stored, refused = store_attachments(message, inbound.attachments)
    refused += [
        {"filename": r.filename, "content_type": r.content_type, "size": r.size, "reason": r.reason}
        for r in inbound.refused_attachments
    ]
    if refused:
        message.refused_attachments = refused
        message.save(update_fields=["refused_attachments"])
    others = list(inbound.mail.cc)
    if inbound.sender.kind == IdentityKind.EMAIL and identity is None:
        others.insert(0, inbound.sender)  # someone we do not know wrote in: they may again
    not_kept = add_cc_participants(
        ticket, others, sender=inbound.sender.value if identity is not None else ""
    )
    if not_kept:
        message.recipients["cc_not_kept"] = not_kept
        message.save(update_fields=["recipients"])

    update_fields = ["last_message_at", "updated_at"]
    ticket.last_message_at = now
    if not inbound.automatic:
        ticket.last_inbound_at = now
        update_fields.append("last_inbound_at")
    reopened_from = ""
    if not inbound.automatic and ticket.status in (
        Status.SOLVED,
        Status.PENDING,
        Status.ON_HOLD,
        Status.CLOSED,
    ):
        reopened_from = ticket.status
        ticket.status = Status.OPEN
        ticket.solved_at = None
        ticket.closed_at = None
        update_fields += ["status", "solved_at", "closed_at"]
    ticket.save(update_fields=update_fields)
    emit_all([received_entry(message, by=by, refused=len(refused), steps=steps, logged=logged)])
    if reopened_from:
        emit(
            ticket,
            events.TICKET_REOPENED,
            by=by,
            data={"from": reopened_from, "message": message.pk},
        )
        sla_actions.follow_status_change(ticket, old=reopened_from, new=Status.OPEN, by=by)
    if not inbound.automatic:
        sla_actions.record_customer_message(ticket, by=by, first=first)
    return message


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
    (a call, visit or letter)."""
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


def add_system_message(
    ticket: Ticket,
    *,
    text: str,
    inbound: InboundMessage | None = None,
    reason: str = "",
    threading: dict[str, Any] | None = None,
    envelope: Any = None,
) -> Message:
    """A message Balie files without changing the ticket: a bounce, an auto-reply."""
    message = Message.objects.create(
        ticket=ticket,
        direction=Direction.SYSTEM,
        channel=inbound.channel if inbound else Channel.EMAIL,
        subject=(inbound.subject if inbound else "")[:255],
        body_text=text,
        full_text=(inbound.full_text if inbound else "") or text,
        sender_address=(inbound.sender.value if inbound else "")[:254],
        sender_name=(inbound.sender.name if inbound else "")[:200],
        external_id=(inbound.external_id if inbound else "")[:255],
        message_id=(inbound.mail.message_id if inbound else "")[:255],
        is_automatic=True,
        thread_reason=reason[:300],
        threading=threading or {},
        envelope=envelope,
        created_at=timezone.now(),
    )
    return message
