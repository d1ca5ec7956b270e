"""Delivery states of messages and their audit-trail entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from balie.core.actors import SYSTEM, Actor
from balie.tickets import events
from balie.tickets.events import Event, emit_all, new_event
from balie.tickets.models import (
    DeliveryStatus,
    Message,
)


def mark_delivery(message: Message, *, status: str, error: str = "", by: Actor = SYSTEM) -> None:
    mark_deliveries([message], status=status, error=error, by=by)


def mark_deliveries(
    messages: Sequence[Message], *, status: str, error: str = "", by: Actor = SYSTEM
) -> None:
    """Messages whose delivery moved to one status: the outbox sent them, or gave up (with
    `error`). Set in one UPDATE, with each message's audit entry. The outbox (below tickets)
    calls this through `settings.BALIE_DELIVERY_RECORDER`."""
    if not messages:
        return
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(
        delivery_status=status, delivery_error=error[:2000]
    )
    emit_all([delivery_entry(m, status=status, error=error, by=by) for m in messages])


# --- the audit entries of a message (one form, whether one message is filed or a burst) ---


def received_entry(
    message: Message,
    *,
    by: Actor,
    refused: int = 0,
    steps: Sequence[str] = (),
    logged: bool = False,
) -> Event:
    """`steps`: the intake pipeline's steps the message went through, in order. `logged`: a
    contact an agent logged (a call, visit or letter)."""
    data: dict[str, Any] = {
        "message": message.pk,
        "channel": message.channel,
        "thread_reason": message.thread_reason,
        "refused_attachments": refused,
        "steps": list(steps),
    }
    if logged:
        data["logged"] = True
    return new_event(message.ticket, events.MESSAGE_RECEIVED, by=by, data=data, message=message)


def sent_entry(message: Message, *, by: Actor) -> Event:
    return new_event(
        message.ticket,
        events.MESSAGE_SENT,
        by=by,
        data={
            "message": message.pk,
            "channel": message.channel,
            "to": message.recipients["to"],
            "cc": message.recipients["cc"],
            "automatic": message.is_automatic,
        },
        message=message,
    )


def delivery_entry(message: Message, *, status: str, error: str = "", by: Actor = SYSTEM) -> Event:
    kind = (
        events.MESSAGE_BOUNCED
        if status == DeliveryStatus.BOUNCED
        else events.MESSAGE_DELIVERY_UPDATED
    )
    return new_event(
        message.ticket,
        kind,
        by=by,
        data={"message": message.pk, "status": status, "error": error[:500]},
        message=message,
    )
