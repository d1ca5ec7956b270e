"""Outbound messages: written with the reply in one transaction, sent by a task through the
channel's connector, retried with back-off until the provider confirms or gives up."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from balie.core import realtime
from balie.core.actors import SYSTEM
from balie.core.bulk_updates import update_each
from balie.core.language_detection import answer_language

from .connectors import UnknownChannel, get_connector
from .connectors.base import Delivery, DeliveryState, OutboundAttachment, OutboundMessage, Party
from .connectors.email.addresses import email_accounts
from .models import ChannelAccount, OutboxItem, OutboxStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)


def record_delivery(messages: list[Any], *, status: str, error: str = "") -> None:
    """Tell the tickets layer what became of sent messages (`settings.BALIE_DELIVERY_RECORDER`,
    tickets.actions.mark_deliveries: their delivery status and audit entries): the outbox sits
    below tickets and does not import them."""
    import_string(settings.BALIE_DELIVERY_RECORDER)(messages, status=status, error=error, by=SYSTEM)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def enqueue_outbound(message: Any, *, account: ChannelAccount | None = None) -> OutboxItem:
    from .tasks import send_outbox_item

    item = outbox_row(message, account=account)
    item.save(force_insert=True)
    transaction.on_commit(lambda: send_outbox_item.delay(item.pk))
    return item


def outbox_row(message: Any, *, account: ChannelAccount | None = None) -> OutboxItem:
    """The outbox entry of an outbound message, not yet saved: on `account` when it is of the
    message's channel, else on the first active account of that channel."""
    if account is None or account.kind != message.channel:
        if message.channel == "email":
            # The first active mailbox, from the per-process cache (no query per reply).
            account = next((a for a in email_accounts.get() if a.is_active), None)
        else:
            account = (
                ChannelAccount.objects.filter(kind=message.channel, is_active=True)
                .order_by("id")
                .first()
            )
    return OutboxItem(
        message=message, channel=message.channel, account=account, next_attempt_at=timezone.now()
    )


def build_outbound(item: OutboxItem) -> OutboundMessage:
    message = item.message
    ticket = message.ticket
    recipients = message.recipients if isinstance(message.recipients, dict) else {}
    from_address = (
        item.account.address
        if item.account and item.account.address
        else settings.DEFAULT_FROM_EMAIL
    )
    attachments = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as fh:
            attachments.append(
                OutboundAttachment(attachment.filename, attachment.content_type, fh.read())
            )
    return OutboundMessage(
        channel=message.channel,
        ticket_number=ticket.pk,
        to=tuple(Party(_identity_kind(message.channel), v) for v in recipients.get("to", [])),
        cc=tuple(Party("email", v) for v in recipients.get("cc", [])),
        subject=message.subject,
        text=message.body_text,
        html=message.body_html,
        from_address=from_address,
        from_name=settings.BALIE_COMPANY_NAME,
        message_id=message.message_id,
        in_reply_to=message.in_reply_to,
        references=tuple(message.references.split()),
        attachments=tuple(attachments),
        # an automatic message is written in the customer's language only where Balie has
        # its texts (German and French customers read English), an agent's in theirs
        language=answer_language(ticket.language) if message.is_automatic else ticket.language,
        automatic=message.is_automatic,
    )


def _identity_kind(channel: str) -> str:
    """The identity kind a reply on the channel goes to (e-mail for e-mail)."""
    try:
        return get_connector(channel).identity_kind or channel
    except UnknownChannel:
        return channel


def claim(item_id: int) -> OutboxItem | None:
    """Take an item for sending; two workers never both send it (the lease is one UPDATE)."""
    now = timezone.now()
    updated = (
        OutboxItem.objects.filter(pk=item_id, status=OutboxStatus.PENDING)
        .filter(next_attempt_at__lte=now)
        .update(next_attempt_at=now + LEASE)
    )
    if not updated:
        return None
    return OutboxItem.objects.select_related("message__ticket", "account").get(pk=item_id)


def deliver(item_id: int) -> OutboxItem | None:
    item = claim(item_id)
    if item is None:
        return None
    _record(item, _send(item))
    return item


def deliver_many(item_ids: list[int]) -> list[OutboxItem]:
    """Send a burst of items (the acknowledgements of a burst of new tickets): claimed at
    once, read with their messages and attachments in three queries, and what was sent
    recorded together; an item that failed is recorded as `deliver` records it."""
    items = claim_many(item_ids)
    sent: list[OutboxItem] = []
    for item in items:
        delivery = _send(item)
        if not delivery.ok:
            _record(item, delivery)
            continue
        item.attempts += 1
        item.status = OutboxStatus.SENT
        item.provider_id = delivery.provider_id[:255]
        item.last_error = ""
        sent.append(item)
    if not sent:
        return items
    now = timezone.now()
    for item in sent:
        item.sent_at = now
    with transaction.atomic():
        update_each(
            OutboxItem, ["status", "sent_at", "provider_id", "last_error", "attempts"], sent
        )
        record_delivery([item.message for item in sent], status=DeliveryState.SENT)
    return items


def claim_many(item_ids: list[int]) -> list[OutboxItem]:
    """Take the items that are due for sending, as `claim` takes one."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            OutboxItem.objects.select_for_update(skip_locked=True)
            .filter(pk__in=item_ids, status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .values_list("pk", flat=True)
        )
        OutboxItem.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return list(
        OutboxItem.objects.select_related("message__ticket", "account")
        .prefetch_related("message__attachments")
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _send(item: OutboxItem) -> Delivery:
    try:
        connector = get_connector(item.channel)
    except UnknownChannel:
        return Delivery(
            ok=False,
            retry=False,
            error=_("kanaal %(c)s heeft geen connector: niet verzonden") % {"c": item.channel},
        )
    if not connector.can_send:
        return Delivery(
            ok=False,
            retry=False,
            error=_("via kanaal %(c)s kan niets worden verzonden") % {"c": item.channel},
        )
    try:
        return connector.send(build_outbound(item), item.account)
    except Exception as exc:  # a connector bug or network error: retry later
        logger.exception("sending outbox item %s failed", item.pk)
        return Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")


def _record(item: OutboxItem, delivery: Delivery) -> None:
    item.attempts += 1
    now = timezone.now()
    with transaction.atomic():
        if delivery.ok:
            item.status = OutboxStatus.SENT
            item.sent_at = now
            item.provider_id = delivery.provider_id[:255]
            item.last_error = ""
            item.save(update_fields=["status", "sent_at", "provider_id", "last_error", "attempts"])
            record_delivery([item.message], status=DeliveryState.SENT)
        else:
            item.last_error = delivery.error[:2000]
            if delivery.retry and item.attempts < MAX_ATTEMPTS:
                wait = backoff(item.attempts)
                if delivery.retry_after is not None:
                    wait = max(wait, timedelta(seconds=delivery.retry_after))
                item.next_attempt_at = now + wait
            else:
                item.status = OutboxStatus.FAILED
                record_delivery([item.message], status=DeliveryState.FAILED, error=delivery.error)
            item.save(update_fields=["status", "last_error", "attempts", "next_attempt_at"])


# Set while a sender drains the outbox's new items (`drain`): new items then queue no task.
SENDER_KEY = "outbox:sender-awake"


def wake_sender(item_ids: list[int]) -> None:
    """Have new outbox items sent (call after their commit), with a task once per burst: the
    first item sets the sender's key and queues a sender to start `BALIE_OUTBOX_GATHER_SECONDS`
    later (held by the worker meanwhile, not taking a process), and the items stored until it
    clears the key queue nothing: it sends them all together. A task of their own for every
    few acknowledgements (each batch of `POST /api/v1/tickets`) cost the web process a Celery
    publish per batch and the worker most of its CPU per acknowledgement
    (docs/performance.md). With eager tasks (tests, no Redis): sent at once."""
    from .tasks import drain_outbox, send_outbox_items

    if not item_ids:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        send_outbox_items.delay(item_ids)
        return
    timeout = int(settings.BALIE_OUTBOX_GATHER_SECONDS + settings.BALIE_OUTBOX_DRAIN_SECONDS) + 30
    if cache.add(SENDER_KEY, item_ids[0], timeout=timeout):
        drain_outbox.apply_async((item_ids,), countdown=settings.BALIE_OUTBOX_GATHER_SECONDS)


def new_items(limit: int) -> list[int]:
    """Items waiting for their first attempt, oldest first (what `wake_sender` left to a
    sender that was awake; a retry waits for `retry_outbox`)."""
    return list(
        OutboxItem.objects.filter(
            status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now(), attempts=0
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def drain(*, limit: int, seconds: float) -> int:
    """The sender's task: send every new item, `limit` at a time, as long as full bursts
    come (a backlog) and for at most `seconds`; then clear the sender's key. It never waits
    in between: the wait for more to gather is before it starts (`wake_sender`), so a worker
    process is never held by a sender that sleeps while other work queues. An item committed
    before the key was cleared queued no task: the last look, after clearing it, finds it and
    wakes a sender for it. Returns the number of items handled. Two senders at once take
    different items."""
    deadline = time.monotonic() + seconds
    handled = 0
    try:
        ids = new_items(limit)
        while ids:
            with realtime.coalesced():  # the live events of the burst in one trip
                handled += len(deliver_many(ids))
            if len(ids) < limit or time.monotonic() > deadline:
                break
            ids = new_items(limit)
    finally:
        cache.delete(SENDER_KEY)
    left = new_items(limit)
    if left:
        wake_sender(left)
    return handled


def due_items(limit: int = 100) -> list[int]:
    return list(
        OutboxItem.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
