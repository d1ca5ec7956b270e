"""Agents' replies and notes: recipients, threading, the outbox row; a live chat's answer
stored with one INSERT and filed behind (`store_shown_reply`, `file_shown_replies`)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.accounts.models import Agent
from balie.core.actors import SYSTEM, actor_fields
from balie.customers.models import IdentityKind
from balie.messaging.connectors import UnknownChannel, can_send, get_connector
from balie.messaging.connectors.base import Addressing, Connector, Party, ReplyContext
from balie.messaging.connectors.email.addresses import own_email_addresses
from balie.sla import actions as sla_actions
from balie.tickets import events
from balie.tickets.events import emit, emit_all
from balie.tickets.models import (
    LOGGED_CHANNELS,
    Attachment,
    Channel,
    DeliveryStatus,
    Direction,
    Message,
    ParticipantRole,
    Status,
    Ticket,
    UnfiledAnswer,
)

from ..message_ids import reserve_message_id
from .attachments import UploadedFile, store_uploads
from .changes import update_ticket
from .creation import add_participants
from .deliveries import sent_entry


def _mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "balie.invalid"


def new_message_id(ticket: Ticket) -> str:
    return f"balie.{ticket.pk}.{uuid.uuid4().hex}@{_mail_domain()}"


def reply_channel(ticket: Ticket) -> str:
    """The channel an answer goes out on: the ticket's own, or e-mail for channels that have
    no way back (web form, phone, walk-in, letter, portal)."""
    if ticket.channel in (Channel.WEBFORM, Channel.PORTAL, *LOGGED_CHANNELS):
        return Channel.EMAIL
    return ticket.channel


REPLY_SOURCES = (Channel.EMAIL, Channel.WEBFORM, Channel.PORTAL)


class CannotSend(ValueError):
    """An answer on a channel nothing can be sent on (no connector, or one that cannot send):
    refused before it is stored. `email`: where an answer by e-mail instead would go ("" when
    the customer has no e-mail address)."""

    def __init__(self, reason: str, *, channel: str, email: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.channel = channel
        self.email = email


def reply_refusal(ticket: Ticket) -> CannotSend | None:
    """Why an agent's answer on the ticket's channel cannot be sent, or None when it can."""
    channel = reply_channel(ticket)
    if can_send(channel):
        return None
    label = Channel(channel).label if channel in Channel.values else channel
    to, _cc = reply_recipients(ticket)
    return CannotSend(
        _(
            "Een antwoord via %(channel)s kan niet worden verzonden: Balie heeft (nog) geen "
            "koppeling die via dit kanaal berichten verstuurt."
        )
        % {"channel": label},
        channel=channel,
        email=to[0] if to and can_send(Channel.EMAIL) else "",
    )


def reply_recipients(
    ticket: Ticket, *, only_message: Message | None = None, automatic: bool = False
) -> tuple[list[str], list[str]]:
    """To: the Reply-To or address the customer last wrote from (else their first e-mail);
    Cc: the CC participants. `automatic` (acknowledgements, reminders, notices): to the
    requester alone, the address they wrote from, never a Reply-To and never a Cc, so that a
    mail cannot make Balie write to third parties. `only_message`: the ticket's one and only
    message, just filed by the pipeline (nothing else touched the ticket), so that nothing
    need be read back."""
    if only_message is None:
        inbound = ticket.messages.filter(
            direction=Direction.INBOUND, channel__in=REPLY_SOURCES
        ).exclude(sender_address="")
        if automatic:
            inbound = inbound.filter(sender_identity__customer_id=ticket.customer_id)
        last = (
            inbound.order_by("-created_at", "-id")
            .values_list("sender_address", "recipients")
            .first()
        )
    elif (
        only_message.direction == Direction.INBOUND
        and only_message.channel in REPLY_SOURCES
        and only_message.sender_address
    ):
        last = (only_message.sender_address, only_message.recipients)
    else:
        last = None
    if automatic:
        to = (last[0] if last else "") or ticket.customer.primary_email
        return ([to] if to else []), []
    reply_to = ""
    if last and isinstance(last[1], dict):
        reply_to = str(last[1].get("reply_to") or "")
    to = reply_to or (last[0] if last else "") or ticket.customer.primary_email
    # The pipeline adds CC participants only for the mail's Cc and for a sender it could not
    # identify; without either, the new ticket has none.
    no_cc = (
        only_message is not None
        and only_message.sender_identity_id is not None
        and not (isinstance(only_message.recipients, dict) and only_message.recipients.get("cc"))
    )
    candidates = (
        []
        if no_cc
        else [
            p.value
            for p in ticket.participants.filter(kind="email", role=ParticipantRole.CC).order_by(
                "id"
            )
        ]
    )
    cc: list[str] = []
    if candidates:
        customer_addresses = set(
            ticket.customer.identities.filter(kind=IdentityKind.EMAIL).values_list(
                "value", flat=True
            )
        )
        own = own_email_addresses()
        cc = [
            value
            for value in candidates
            if value != (to or "").lower() and value not in customer_addresses and value not in own
        ]
    return ([to] if to else []), cc


def channel_addressing(ticket: Ticket, channel: str) -> Addressing:
    """Who an answer on a channel other than e-mail goes to, by that channel's connector: the
    customer's identity on it (the one they last wrote from on this channel, else their first
    of the connector's identity kind) and the provider ids of the ticket's earlier messages on
    the channel. Raises ValueError when the customer has no identity there."""
    connector = get_connector(channel)
    kind = connector.identity_kind or channel
    last = (
        ticket.messages.filter(
            direction=Direction.INBOUND, channel=channel, sender_identity__kind=kind
        )
        .select_related("sender_identity")
        .order_by("-created_at", "-id")
        .first()
    )
    identity = (
        last.sender_identity
        if last is not None
        else ticket.customer.identities.filter(kind=kind).order_by("id").first()
    )
    if identity is None:
        label = Channel(channel).label if channel in Channel.values else channel
        raise ValueError(
            _("Deze klant is via %(channel)s niet bereikbaar; antwoord via een ander kanaal.")
            % {"channel": label}
        )
    # Only a connector with its own `address` can use the earlier ids (the default does not
    # thread): a live chat's answer reads none.
    earlier = (
        list(
            ticket.messages.filter(channel=channel, direction=Direction.INBOUND)
            .exclude(external_id="")
            .order_by("-created_at", "-id")
            .values_list("external_id", flat=True)[:20]
        )
        if type(connector).address is not Connector.address
        else []
    )
    return connector.address(
        ReplyContext(
            channel=channel,
            identity_kind=kind,
            identity_value=identity.value,
            earlier_ids=tuple(reversed(earlier)),
        )
    )


def thread_headers(ticket: Ticket, *, only_message: Message | None = None) -> tuple[str, list[str]]:
    """In-Reply-To and References for the next outgoing mail: the last mail of the ticket and
    the chain of every mail id in it (bounded to the last 20). `only_message` as for
    `reply_recipients`."""
    if only_message is not None:
        ids = (
            [only_message.message_id]
            if only_message.message_id and only_message.direction != Direction.NOTE
            else []
        )
    else:
        ids = list(
            ticket.messages.exclude(message_id="")
            .exclude(direction=Direction.NOTE)
            .order_by("created_at", "id")
            .values_list("message_id", flat=True)
        )
    return (ids[-1] if ids else ""), ids[-20:]


def add_reply(
    ticket: Ticket,
    *,
    by: Agent | Any,
    text: str,
    html: str = "",
    attachments: Sequence[UploadedFile] = (),
    status: str | None = None,
    automatic: bool = False,
    cc: Sequence[str] = (),
    keep_cc: Sequence[str] | None = None,
    only_message: Message | None = None,
    via: str = "",
) -> Message:
    """An answer to the customer on the ticket's channel (`via="email"`: by e-mail instead):
    stored and put in the outbox in one transaction; sent (and retried) by the outbox task.
    An answer its channel shows the moment it is stored (a live chat) gets no outbox entry.
    An agent's answer on a channel that cannot send is refused (CannotSend, with the reason
    and the customer's e-mail address to answer on instead). `keep_cc`: the Cc'd participants
    the agent keeps on this answer (None: all of them); `cc`: addresses added to it.
    `only_message`: see `reply_recipients` (the acknowledgement of a new ticket)."""
    from balie.messaging.outbox import enqueue_outbound

    if via and via != Channel.EMAIL:
        raise ValueError(_("Een antwoord kan alleen per e-mail via een ander kanaal gaan."))
    if not via and not automatic:
        refusal = reply_refusal(ticket)
        if refusal is not None:
            raise refusal
    message = outbound_message_row(
        ticket,
        by=by,
        text=text,
        html=html,
        automatic=automatic,
        cc=cc,
        keep_cc=keep_cc,
        only_message=only_message,
        channel=via,
    )
    agent = message.author
    cc_list = message.recipients["cc"]
    # A live chat's answer is shown on its sockets after commit: no outbox entry, sent.
    at_once = not automatic and _shown_when_stored(message.channel, ticket.pk)
    if at_once:
        message.delivery_status = DeliveryStatus.SENT
    with transaction.atomic():
        message.save(force_insert=True)
        add_participants(ticket, [Party("email", c) for c in cc_list])
        if not store_uploads(message, attachments):
            # Known to have none: whoever shows it (`chat.live`) need not read them.
            message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}  # type: ignore[attr-defined]
        if not at_once:
            enqueue_outbound(message, account=ticket.account)
        ticket.save(update_fields=answered(ticket, message))
        if agent:
            sla_actions.record_agent_response(ticket, by=by, at=message.created_at)
        emit_all([sent_entry(message, by=by)])
        if status and status != ticket.status:
            update_ticket(ticket, by=by, status=status)
    return message


def answered(ticket: Ticket, message: Message) -> list[str]:
    """An answer's changes to its ticket, in memory: its last message, and (an agent's) the
    first response, NEW becoming OPEN and the agent as assignee when it had none; returns the
    fields to save."""
    agent = message.author
    fields = ["last_message_at", "updated_at"]
    ticket.last_message_at = message.created_at
    if agent and not ticket.first_response_at:
        ticket.first_response_at = message.created_at
        fields.append("first_response_at")
    if agent and ticket.status == Status.NEW:
        ticket.status = Status.OPEN
        fields.append("status")
    if agent and ticket.assignee_id is None:
        ticket.assignee = agent
        fields.append("assignee")
    return fields


def _shown_when_stored(channel: str, ticket_number: int) -> bool:
    try:
        return get_connector(channel).shown_when_stored(ticket_number)
    except UnknownChannel:
        return False


def outbound_message_row(
    ticket: Ticket,
    *,
    by: Agent | Any,
    text: str,
    html: str = "",
    automatic: bool = False,
    cc: Sequence[str] = (),
    keep_cc: Sequence[str] | None = None,
    only_message: Message | None = None,
    at: Any = None,
    channel: str = "",
) -> Message:
    """An answer as `add_reply` stores it, not yet saved: recipients, thread headers and the
    ticket number in the subject, on `channel` (default: `reply_channel`). Raises ValueError
    when it cannot be sent."""
    if not text.strip():
        raise ValueError(_("Een antwoord mag niet leeg zijn."))
    agent, _label = actor_fields(by)
    channel = channel or reply_channel(ticket)
    if channel == Channel.EMAIL:
        to, cc_list = reply_recipients(ticket, only_message=only_message, automatic=automatic)
        if keep_cc is not None:
            kept = {c.strip().lower() for c in keep_cc}
            cc_list = [c for c in cc_list if c in kept]
        if not automatic:  # an automatic message goes to the requester alone
            cc_list = list(dict.fromkeys([*cc_list, *[c.strip().lower() for c in cc if c.strip()]]))
        if not to:
            raise ValueError(_("Deze klant heeft geen e-mailadres; antwoord via een ander kanaal."))
        in_reply_to, references = thread_headers(ticket, only_message=only_message)
    else:
        addressing = channel_addressing(ticket, channel)
        to, cc_list = [p.value for p in addressing.to], [p.value for p in addressing.cc]
        in_reply_to, references = addressing.in_reply_to, list(addressing.references)
    return Message(
        ticket=ticket,
        direction=Direction.OUTBOUND,
        channel=channel,
        subject=outbound_subject(ticket),
        body_text=text,
        body_html=html,
        full_text=text,
        author=agent,
        sender_name=agent.display_name if agent else settings.BALIE_COMPANY_NAME,
        message_id=new_message_id(ticket) if channel == Channel.EMAIL else "",
        in_reply_to=in_reply_to,
        references=" ".join(references),
        recipients={"to": to, "cc": cc_list},
        delivery_status=DeliveryStatus.QUEUED,
        is_automatic=automatic,
        created_at=at or timezone.now(),
    )


def outbound_subject(ticket: Ticket) -> str:
    """The subject of our mail on a ticket, with its number. "Re:" only when the customer
    wrote by e-mail: a web form, portal or logged contact has no mail of theirs to answer."""
    base = re.sub(r"\s*\[#\d+\]\s*", " ", ticket.subject).strip()
    prefix = "Re: " if ticket.channel == Channel.EMAIL else ""
    return f"{prefix}{base} [#{ticket.pk}]"[:255]


def add_note(
    ticket: Ticket, *, by: Agent, text: str, attachments: Sequence[UploadedFile] = ()
) -> Message:
    if not text.strip():
        raise ValueError(_("Een notitie mag niet leeg zijn."))
    with transaction.atomic():
        message = Message.objects.create(
            ticket=ticket,
            direction=Direction.NOTE,
            channel=ticket.channel,
            body_text=text,
            full_text=text,
            author=by,
            sender_name=by.display_name,
            created_at=timezone.now(),
        )
        store_uploads(message, attachments)
        emit(ticket, events.NOTE_ADDED, by=by, data={"message": message.pk}, message=message)
    return message


# --- an answer its channel shows the moment it is stored (a live chat's) ---------------------
# One INSERT, the rest of `add_reply` filed behind. `store_shown_reply` writes the answer as an
# `UnfiledAnswer`, the durable record of the answer and of what is still owed, with the id its
# message will have taken from the messages' sequence in that same INSERT. The caller shows it
# at once and wakes the ingest worker, which files it with `file_shown_replies`, in the order
# of the ticket's messages (together with the visitor's messages stored meanwhile,
# `intake.chat_order`): the message row with that id, the ticket's times, status and assignee
# as `add_reply` sets them, the SLA clocks the answer meets at the moment it was shown, its
# audit entry (`message.sent`) with the event stream's consumers (the rules), and the
# `UnfiledAnswer` deleted, in one transaction. A crash between storing and filing loses
# nothing and files nothing twice: the row is still there, and the worker (or the periodic
# look for stored work never done, `intake.tasks.process_pending_envelopes`) files it once.
# Storing takes no lock on the ticket (no INSERT into its messages, whose row lock the worker
# holds while it files). An answer with attachments, and one on a chat that is no longer live
# (it goes by e-mail through the outbox), is `add_reply` in full.


def store_shown_reply(ticket: Ticket, *, by: Agent, text: str, to: Sequence[str]) -> Message:
    """Store an agent's answer that its channel shows as it is stored: one INSERT (outside a
    caller's transaction, no BEGIN or COMMIT either). Returns the message as it will be filed
    (its id, its moment; not saved yet), for the caller to show; `to`: whom it is for (the
    customer's identity on the channel, as `channel_addressing` finds it)."""
    if not text.strip():
        raise ValueError(_("Een antwoord mag niet leeg zijn."))
    row = UnfiledAnswer(
        ticket=ticket, author=by, text=text, recipients={"to": list(to), "cc": []},
        created_at=timezone.now(),
    )  # fmt: skip
    if connection.vendor == "postgresql":
        table, messages = UnfiledAnswer._meta.db_table, Message._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{table}" (id, ticket_id, author_id, text, recipients, created_at) '  # noqa: S608 (table names from the models)
                "VALUES (nextval(pg_get_serial_sequence(%s, 'id')), %s, %s, %s, %s, %s) "
                "RETURNING id",
                [messages, ticket.pk, by.pk, text, json.dumps(row.recipients), row.created_at],
            )
            row.pk = int(cursor.fetchone()[0])
    else:
        row.pk = reserve_message_id()
        row.save(force_insert=True)
    return shown_message(row)


def shown_message(row: UnfiledAnswer) -> Message:
    """The message an unfiled answer is shown as, and is filed as (not saved)."""
    ticket, agent = row.ticket, row.author
    message = Message(
        pk=row.pk,
        ticket=ticket,
        direction=Direction.OUTBOUND,
        channel=ticket.channel,
        subject=outbound_subject(ticket),
        body_text=row.text,
        full_text=row.text,
        author=agent,
        sender_name=agent.display_name,
        recipients=row.recipients,
        delivery_status=DeliveryStatus.SENT,
        created_at=row.created_at,
    )
    # Known to have no attachments: whoever shows it (`chat.live`) need not read them.
    message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}  # type: ignore[attr-defined]
    # Shown as it was stored: `chat.live` does not show it again as it is filed.
    message.shown_when_stored = True  # type: ignore[attr-defined]
    return message


def file_shown_replies(rows: Sequence[UnfiledAnswer], *, tickets: dict[int, Ticket]) -> None:
    """What `add_reply` does, for answers stored by `store_shown_reply`, in id order, within
    the caller's transaction: `tickets` are their tickets, locked and read by the caller (it
    files the ticket's other messages in the same order). Deletes the rows."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda r: r.pk)
    for row in ordered:
        row.ticket = tickets[row.ticket_id]
    messages = [shown_message(row) for row in ordered]
    changed: dict[int, set[str]] = {}
    trail = []
    with transaction.atomic(savepoint=False):
        Message.objects.bulk_create(messages)
        for message in messages:
            ticket = message.ticket
            agent = message.author
            changed.setdefault(ticket.pk, set()).update(answered(ticket, message))
            if agent:
                sla_actions.record_agent_response(ticket, by=agent, at=message.created_at)
            trail.append(sent_entry(message, by=agent or SYSTEM))
        for pk, fields in changed.items():
            tickets[pk].save(update_fields=sorted(fields))
        UnfiledAnswer.objects.filter(pk__in=[r.pk for r in ordered]).delete()
        emit_all(trail)
