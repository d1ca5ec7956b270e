"""Delivery receipts: a provider's status callback ("delivered", "read", "failed") about a
message we sent. It is no message of its own: it moves the delivery status of the message the
outbox sent under that provider id, and the ticket's timeline says so."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from balie.core.actors import SYSTEM
from balie.messaging.connectors.base import DeliveryReceipt, DeliveryState
from balie.messaging.models import ChannelAccount, OutboxItem, OutboxStatus
from balie.tickets.actions import mark_delivery
from balie.tickets.models import DeliveryStatus

# A receipt only moves a status forward: a late "delivered" after "read" changes nothing.
ORDER = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}
KNOWN = (DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.READ, DeliveryState.FAILED)


def moves_forward(current: str, new: str) -> bool:
    if current in (DeliveryStatus.FAILED, DeliveryStatus.BOUNCED):
        return False  # the provider gave up on it: nothing later changes that
    if new == DeliveryState.FAILED:
        return True
    return ORDER.get(new, -1) > ORDER.get(current, -1)


def file_receipts(
    receipts: Sequence[DeliveryReceipt], *, channel: str, account: ChannelAccount | None
) -> tuple[int, list[str]]:
    """Apply each receipt to the message sent under its provider id on this channel (and
    account, when the envelope has one). Returns how many changed a status, and a note per
    receipt for the envelope's reason."""
    wanted = {r.provider_id for r in receipts if r.provider_id}
    items = (
        OutboxItem.objects.filter(channel=channel, provider_id__in=wanted)
        .exclude(provider_id="")  # the condition of the index outbox_provider_id
        .select_related("message__ticket")
    )
    if account is not None:
        items = items.filter(account=account)
    by_id = {item.provider_id: item for item in items}
    applied = 0
    notes: list[str] = []
    for receipt in receipts:
        item = by_id.get(receipt.provider_id)
        if receipt.status not in KNOWN:
            notes.append(
                _("ontvangstbevestiging met onbekende status %(s)s") % {"s": receipt.status[:40]}
            )
            continue
        if item is None:
            notes.append(
                _("ontvangstbevestiging over een bericht dat niet van ons is: %(id)s")
                % {"id": receipt.provider_id[:100]}
            )
            continue
        message = item.message
        if not moves_forward(message.delivery_status, receipt.status):
            notes.append(
                _("#%(t)s: bericht %(m)s is al %(s)s")
                % {"t": message.ticket_id, "m": message.pk, "s": message.delivery_status}
            )
            continue
        item.receipt_status = receipt.status
        item.receipt_at = receipt.at or timezone.now()
        fields = ["receipt_status", "receipt_at"]
        if receipt.status == DeliveryState.FAILED and item.status != OutboxStatus.FAILED:
            item.status = OutboxStatus.FAILED
            item.last_error = receipt.error[:2000]
            fields += ["status", "last_error"]
        item.save(update_fields=fields)
        mark_delivery(message, status=receipt.status, error=receipt.error, by=SYSTEM)
        message.delivery_status = receipt.status
        applied += 1
        notes.append(
            _("#%(t)s: bericht %(m)s %(s)s")
            % {"t": message.ticket_id, "m": message.pk, "s": receipt.status}
        )
    return applied, notes
