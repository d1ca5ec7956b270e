"""The customers' messages of the demo, filed as the intake would file them, and why each is in
its ticket as real intake would have it: a customer's e-mail after our answer replies to that
answer (In-Reply-To), a later message on another channel carries the ticket number in its
subject, and the first one opens the ticket."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from balie.customers.models import IdentityKind
from balie.messaging.connectors.base import EmailDetails, InboundMessage, Party
from balie.tickets.actions import add_inbound_message
from balie.tickets.models import Channel, Direction, Message, Ticket

from .demo_accounts import DEMO_MAILBOX


def demo_thread(ticket: Ticket, channel: str) -> tuple[str, dict[str, Any], str]:
    """(thread_reason, threading, in_reply_to) of the customer's next message in `ticket`."""
    if not ticket.messages.exists():
        return _("nieuw ticket"), {"how": "new"}, ""
    ours = (
        ticket.messages.filter(direction=Direction.OUTBOUND)
        .exclude(message_id="")
        .order_by("-created_at")
        .values_list("message_id", flat=True)
        .first()
    )
    if channel == Channel.EMAIL and ours:
        basis = {"how": "header", "header": "In-Reply-To", "message_id": ours}
        return f"In-Reply-To <{ours}>", basis, ours
    reason = _("[#%(n)s] in het onderwerp") % {"n": ticket.pk}
    return reason, {"how": "subject", "number": ticket.pk}, ""


def customer_message(
    ticket, customer, channel, subject, text, external_id, email, phone
) -> Message:
    if channel == Channel.WHATSAPP:
        sender = Party(IdentityKind.WHATSAPP, phone or "", customer.name)
        identity = None
    else:
        sender = Party(IdentityKind.EMAIL, email, customer.name)
        identity = customer.identities.filter(kind=IdentityKind.EMAIL).first()
    message_id = f"{external_id}@{email.rpartition('@')[2]}" if channel == Channel.EMAIL else ""
    reason, threading, in_reply_to = demo_thread(ticket, channel)
    return add_inbound_message(
        ticket,
        InboundMessage(
            channel=channel,
            external_id=external_id,
            sender=sender,
            subject=subject,
            text=text,
            full_text=text,
            email=EmailDetails(
                message_id=message_id,
                in_reply_to=in_reply_to,
                to=(Party(IdentityKind.EMAIL, DEMO_MAILBOX),),
            )
            if channel == Channel.EMAIL
            else None,
        ),
        by=customer,
        identity=identity,
        thread_reason=reason,
        threading=threading,
    )
