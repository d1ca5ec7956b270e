"""The automatic acknowledgement of a new ticket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from balie.core.actors import SYSTEM
from balie.core.bulk_inserts import insert_all
from balie.core.language_detection import answer_language
from balie.messaging.connectors.email.quotes import CLOSING
from balie.sla import actions as sla_actions
from balie.tickets.events import emit_all
from balie.tickets.models import (
    Channel,
    Message,
    Ticket,
)

from .deliveries import sent_entry
from .replies import add_reply, outbound_message_row, reply_channel


def send_acknowledgement(
    ticket: Ticket, *, to_message: Message, untouched: bool = False
) -> Message | None:
    """Tell the customer, on their channel, that we have their message and under which number.
    Only for e-mail and web form; never to automatic mail. `untouched`: the ticket was just
    created with `to_message` and nothing else changed it since (no rule fired), so recipients,
    thread and promise follow from what is in memory."""
    text = acknowledgement_text(ticket, to_message=to_message, untouched=untouched)
    if text is None:
        return None
    try:
        return add_reply(
            ticket,
            by=SYSTEM,
            text=text,
            automatic=True,
            only_message=to_message if untouched else None,
        )
    except ValueError:
        return None


def send_acknowledgements(
    pairs: Sequence[tuple[Ticket, Message]], *, at: datetime, filed: Sequence[Message] = ()
) -> dict[int, Message]:
    """`send_acknowledgement(untouched=True)` for many new tickets, each with the one message
    it holds: the answers, their outbox entries and audit entries in three INSERTs, sent by
    one sender with those of other batches (`outbox.wake_sender`). `filed`: answers made by
    `acknowledgement_rows` and stored with their tickets' messages (their audit entries with
    theirs), queued here with the others. Returns the answers by ticket id; the tickets in
    memory are changed as in the database."""
    made = acknowledgement_rows(pairs, at=at)
    if made:
        insert_all(made)
    replies = [*filed, *made]
    if not replies:
        return {}
    queued = _queue(replies, at=at)
    if made:
        emit_all([sent_entry(reply, by=SYSTEM) for reply in made])
    return queued


def acknowledgement_rows(pairs: Sequence[tuple[Ticket, Message]], *, at: datetime) -> list[Message]:
    """The acknowledgements of new tickets that hold just the message paired with them, not
    yet saved (none for a ticket that is not acknowledged or cannot be answered)."""
    replies: list[Message] = []
    for ticket, message in pairs:
        text = acknowledgement_text(ticket, to_message=message, untouched=True)
        if text is None:
            continue
        try:
            reply = outbound_message_row(
                ticket, by=SYSTEM, text=text, automatic=True, only_message=message, at=at
            )
        except ValueError:
            continue
        replies.append(reply)
    return replies


def _queue(replies: Sequence[Message], *, at: datetime) -> dict[int, Message]:
    """Stored answers into the outbox, their tickets' times moved on, the sender woken after
    commit."""
    from balie.messaging.outbox import outbox_row, wake_sender

    outbox = insert_all(outbox_row(reply, account=reply.ticket.account) for reply in replies)
    Ticket.objects.filter(pk__in=[reply.ticket_id for reply in replies]).update(
        last_message_at=at, updated_at=at
    )
    for reply in replies:
        reply.ticket.last_message_at = reply.ticket.updated_at = at
    ids = [item.pk for item in outbox]
    transaction.on_commit(lambda: wake_sender(ids))
    return {reply.ticket_id: reply for reply in replies}


def acknowledgement_text(
    ticket: Ticket, *, to_message: Message, untouched: bool = False
) -> str | None:
    """The text of `send_acknowledgement`, in the customer's language; None when no
    acknowledgement is due."""
    if to_message.is_automatic or reply_channel(ticket) != Channel.EMAIL:
        return None
    language = answer_language(ticket.language or ticket.customer.language)
    due_at, closed_reason = sla_actions.promise_for(
        ticket, language=language, from_ticket=untouched
    )
    with translation.override(language):
        return render_to_string(
            "tickets/email/acknowledgement.txt",
            {
                "ticket": ticket,
                "company": settings.BALIE_COMPANY_NAME,
                "message": to_message,
                "excerpt": message_excerpt(to_message.body_text),
                "portal_url": settings.BASE_URL + "/portaal/",
                "due_at": due_at,
                "closed_reason": closed_reason,
            },
        ).strip()


EXCERPT_LENGTH = 160


def message_excerpt(text: str, *, length: int = EXCERPT_LENGTH) -> str:
    """The start of the customer's message as one short line, to recognise it by: up to the
    first closing ("Met vriendelijke groet"), cut at a word, never the whole message (a whole
    message quoted back repeats the customer's sign-off above ours)."""
    lines: list[str] = []
    for line in text.splitlines():
        if lines and CLOSING.match(line):
            break
        lines.append(line)
    flat = " ".join(" ".join(lines).split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0].rstrip(",.;:") + " …"
