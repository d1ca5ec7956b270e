"""Every write on tickets and messages done on someone's behalf."""

from __future__ import annotations

import mimetypes
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from balie.accounts.models import Agent, Team
from balie.automation import actions as automation_actions
from balie.core.events import SYSTEM, activity_row, actor_fields, keep, record
from balie.customers.models import Customer, Identity, IdentityKind
from balie.messaging.accounts import own_email_addresses
from balie.messaging.connectors.base import InboundAttachment, InboundMessage, Party
from balie.sla import actions as sla_actions

from . import events
from .models import (
    LOGGED_CHANNELS,
    Activity,
    Attachment,
    Channel,
    DeliveryStatus,
    Direction,
    Message,
    Participant,
    ParticipantRole,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketType,
)


@dataclass(frozen=True)
class UploadedFile:
    """A file an agent or customer uploads (form, API), before the size and type check."""

    filename: str
    content_type: str
    content: bytes


def check_attachment(filename: str, content_type: str, size: int) -> str:
    """The reason a file is refused, or "" when it is accepted."""
    if size > settings.BALIE_ATTACHMENT_MAX_BYTES:
        limit = settings.BALIE_ATTACHMENT_MAX_BYTES // (1024 * 1024)
        return _("te groot (%(size)s bytes, maximaal %(limit)s MB)") % {
            "size": size,
            "limit": limit,
        }
    lowered = filename.lower()
    if content_type.lower() in settings.BALIE_ATTACHMENT_BLOCKED_TYPES or lowered.endswith(
        (".exe", ".bat", ".cmd", ".com", ".scr", ".js", ".vbs", ".msi", ".hta", ".lnk", ".ps1")
    ):
        return _("bestandstype niet toegestaan (%(type)s)") % {"type": content_type or lowered}
    return ""


def safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ()]+", "_", name, flags=re.UNICODE).strip(" .") or "bijlage"
    return name[:200]


def store_attachments(
    message: Message, files: Iterable[InboundAttachment | UploadedFile]
) -> tuple[list[Attachment], list[dict[str, Any]]]:
    stored: list[Attachment] = []
    refused: list[dict[str, Any]] = []
    for item in files:
        filename = safe_filename(item.filename)
        content_type = (
            item.content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        reason = check_attachment(filename, content_type, len(item.content))
        if reason:
            refused.append(
                {
                    "filename": filename,
                    "content_type": content_type,
                    "size": len(item.content),
                    "reason": reason,
                }
            )
            continue
        attachment = Attachment(
            message=message,
            filename=filename,
            content_type=content_type,
            size=len(item.content),
            content_id=getattr(item, "content_id", ""),
            inline=getattr(item, "inline", False),
        )
        attachment.file.save(filename, ContentFile(item.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored, refused


def store_uploads(message: Message, files: Iterable[UploadedFile]) -> list[Attachment]:
    """Files an agent or customer uploads with a message: all stored, or none — a refused file
    raises ValueError with the reasons (the caller's transaction then writes nothing)."""
    stored, refused = store_attachments(message, files)
    if refused:
        raise ValueError(
            _("Bijlage geweigerd: %(list)s")
            % {"list": ", ".join(f"{r['filename']} ({r['reason']})" for r in refused)}
        )
    return stored


def create_ticket(*, by: Any, run_automation: bool = True, **fields: Any) -> Ticket:
    """A new ticket from the fields `new_ticket_row` takes (customer, subject, channel, team,
    …). With `run_automation` the ticket.created rules run at once; a caller that files the
    first message afterwards passes False and runs them itself (see ingest)."""
    ticket = new_ticket_row(**fields)
    ticket.save(force_insert=True)
    # A brand-new ticket has no participants yet: no need to look for this one first.
    Participant.objects.create(
        ticket=ticket,
        kind="customer",
        value=str(ticket.customer_id),
        role=ParticipantRole.CUSTOMER,
    )
    data: dict[str, Any] = {"channel": ticket.channel, "subject": ticket.subject}
    if ticket.linked_to_id:
        data["linked_to"] = ticket.linked_to_id
    record(ticket, events.TICKET_CREATED, by=by, data=data)
    sla_actions.start_clocks(ticket, by=by)
    if run_automation:
        automation_actions.run_triggers(ticket, "ticket.created", by=by)
    return ticket


def new_ticket_row(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    team: Team | None = None,
    assignee: Agent | None = None,
    priority: str = Priority.NORMAL,
    type: str = TicketType.QUESTION,
    language: str = "",
    claims: dict[str, str] | None = None,
    linked_to: Ticket | None = None,
    account: Any = None,
    at: Any = None,
) -> Ticket:
    """A new ticket, not yet saved (`create_ticket` saves it; the ingest worker inserts a
    burst of them at once)."""
    return Ticket(
        subject=(subject.strip() or _("(geen onderwerp)"))[:255],
        channel=channel,
        customer=customer,
        team=team,
        assignee=assignee,
        priority=priority,
        type=type,
        language=language or customer.language or "nl",
        claims=claims or {},
        linked_to=linked_to,
        account=account,
        status=Status.OPEN if assignee else Status.NEW,
        last_message_at=at or timezone.now(),
    )


def add_participants(ticket: Ticket, parties: Iterable[Party]) -> None:
    for party in parties:
        if not party.value:
            continue
        Participant.objects.get_or_create(
            ticket=ticket,
            kind=party.kind,
            value=party.value.lower(),
            defaults={"name": party.name[:200]},
        )


def is_participant(ticket: Ticket, party: Party, customer: Customer | None) -> bool:
    """May this sender add to the ticket? The ticket's customer (any of their identities),
    a CC of the conversation, or an agent."""
    if customer is not None and customer.pk == ticket.customer_id:
        return True
    if Participant.objects.filter(
        ticket=ticket, kind=party.kind, value=party.value.lower()
    ).exists():
        return True
    return (
        party.kind == IdentityKind.EMAIL
        and Agent.objects.filter(user__email__iexact=party.value, user__is_active=True).exists()
    )


def add_inbound_message(
    ticket: Ticket,
    inbound: InboundMessage,
    *,
    by: Any,
    identity: Identity | None = None,
    thread_reason: str = "",
    envelope: Any = None,
    run_automation: bool = True,
    first: bool = False,
) -> Message:
    """File a customer's message in a ticket; a reply reopens a solved or pending ticket.
    `first`: the message that opens a ticket just made by `create_ticket`."""
    now = timezone.now()
    message = inbound_message_row(
        ticket,
        inbound,
        identity=identity,
        thread_reason=thread_reason,
        envelope=envelope,
        at=now,
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
    add_participants(ticket, inbound.cc)
    if inbound.sender.kind == IdentityKind.EMAIL and identity is None:
        add_participants(ticket, [inbound.sender])

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
    keep(received_entry(message, by=by, refused=len(refused)))
    if reopened_from:
        record(
            ticket,
            events.TICKET_REOPENED,
            by=by,
            data={"from": reopened_from, "message": message.pk},
        )
        sla_actions.follow_status_change(ticket, old=reopened_from, new=Status.OPEN, by=by)
    if not inbound.automatic:
        sla_actions.record_customer_message(ticket, by=by, first=first)
    if run_automation and not inbound.automatic:
        automation_actions.run_triggers(
            ticket, "message.received", by=by, context={"message": message}
        )
    return message


def inbound_message_row(
    ticket: Ticket,
    inbound: InboundMessage,
    *,
    identity: Identity | None,
    thread_reason: str,
    envelope: Any,
    at: Any,
) -> Message:
    """A customer's message as it is filed, not yet saved."""
    return Message(
        ticket=ticket,
        direction=Direction.INBOUND,
        channel=inbound.channel,
        subject=inbound.subject[:255],
        body_text=inbound.text,
        body_html=inbound.html,
        full_text=inbound.full_text or inbound.text,
        full_html=inbound.full_html,
        sender_identity=identity,
        sender_name=inbound.sender.name[:200],
        sender_address=inbound.sender.value[:254],
        external_id=inbound.external_id[:255],
        message_id=inbound.message_id[:255],
        in_reply_to=inbound.in_reply_to[:255],
        references=" ".join(inbound.references),
        recipients={
            "to": [p.value for p in inbound.to],
            "cc": [p.value for p in inbound.cc],
            # Where the sender asked answers to go (Reply-To), and the date they wrote it;
            # messages are ordered by arrival, since a sender's clock may be wrong.
            "reply_to": inbound.claims.get("reply_to", ""),
            "sent_at": inbound.sent_at.isoformat() if inbound.sent_at else "",
        },
        delivery_status=DeliveryStatus.RECEIVED,
        is_automatic=bool(inbound.automatic),
        thread_reason=thread_reason[:300],
        envelope=envelope,
        created_at=at,
    )


def add_system_message(
    ticket: Ticket,
    *,
    text: str,
    inbound: InboundMessage | None = None,
    reason: str = "",
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
        message_id=(inbound.message_id if inbound else "")[:255],
        is_automatic=True,
        thread_reason=reason[:300],
        envelope=envelope,
        created_at=timezone.now(),
    )
    return message


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


def reply_recipients(
    ticket: Ticket, *, only_message: Message | None = None
) -> tuple[list[str], list[str]]:
    """To: the Reply-To or address the customer last wrote from (else their first e-mail);
    Cc: the CCs. `only_message`: the ticket's one and only message, just filed by the
    pipeline (nothing else touched the ticket), so that nothing need be read back."""
    if only_message is None:
        last = (
            ticket.messages.filter(direction=Direction.INBOUND, channel__in=REPLY_SOURCES)
            .exclude(sender_address="")
            .order_by("-created_at", "-id")
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
    only_message: Message | None = None,
) -> Message:
    """An answer to the customer on the ticket's channel: stored and put in the outbox in one
    transaction; sent (and retried) by the outbox task. `only_message`: see
    `reply_recipients` (the acknowledgement of a new ticket)."""
    from balie.messaging.outbox import enqueue_outbound

    message = outbound_message_row(
        ticket, by=by, text=text, html=html, automatic=automatic, cc=cc, only_message=only_message
    )
    agent = message.author
    cc_list = message.recipients["cc"]
    with transaction.atomic():
        message.save(force_insert=True)
        add_participants(ticket, [Party("email", c) for c in cc_list])
        store_uploads(message, attachments)
        enqueue_outbound(message, account=ticket.account)
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
        ticket.save(update_fields=fields)
        if agent:
            sla_actions.record_agent_response(ticket, by=by, at=message.created_at)
        keep(sent_entry(message, by=by))
        if status and status != ticket.status:
            update_ticket(ticket, by=by, status=status)
    return message


def outbound_message_row(
    ticket: Ticket,
    *,
    by: Agent | Any,
    text: str,
    html: str = "",
    automatic: bool = False,
    cc: Sequence[str] = (),
    only_message: Message | None = None,
    at: Any = None,
) -> Message:
    """An answer as `add_reply` stores it, not yet saved: recipients, thread headers and the
    ticket number in the subject. Raises ValueError when it cannot be sent."""
    if not text.strip():
        raise ValueError(_("Een antwoord mag niet leeg zijn."))
    agent, _label = actor_fields(by)
    channel = reply_channel(ticket)
    to, cc_list = reply_recipients(ticket, only_message=only_message)
    cc_list = list(dict.fromkeys([*cc_list, *[c.strip().lower() for c in cc if c.strip()]]))
    if channel == Channel.EMAIL and not to:
        raise ValueError(_("Deze klant heeft geen e-mailadres; antwoord via een ander kanaal."))
    in_reply_to, references = thread_headers(ticket, only_message=only_message)
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
    base = re.sub(r"\s*\[#\d+\]\s*", " ", ticket.subject).strip()
    return f"Re: {base} [#{ticket.pk}]"[:255]


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
        record(ticket, events.NOTE_ADDED, by=by, data={"message": message.pk})
    return message


_UNSET: Any = object()


def update_ticket(
    ticket: Ticket,
    *,
    by: Any,
    status: str = _UNSET,
    priority: str = _UNSET,
    type: str = _UNSET,
    team: Team | None = _UNSET,
    assignee: Agent | None = _UNSET,
    tags: Iterable[str] = _UNSET,
    subject: str = _UNSET,
) -> dict[str, tuple[Any, Any]]:
    """Change fields of a ticket; returns {field: (old, new)} of what changed, each in the
    audit trail."""
    changes: dict[str, tuple[Any, Any]] = {}
    fields: list[str] = []
    now = timezone.now()
    for name, value in (
        ("status", status),
        ("priority", priority),
        ("type", type),
        ("subject", subject),
    ):
        if value is _UNSET or value == getattr(ticket, name):
            continue
        field = Ticket._meta.get_field(name)
        if getattr(field, "choices", None) and value not in dict(field.choices):
            raise ValueError(
                _("Ongeldige waarde voor %(field)s: %(value)s") % {"field": name, "value": value}
            )
        changes[name] = (getattr(ticket, name), value)
        setattr(ticket, name, value)
        fields.append(name)
    if "status" in changes:
        new = changes["status"][1]
        if new == Status.SOLVED:
            ticket.solved_at = now
            fields.append("solved_at")
        elif new == Status.CLOSED:
            ticket.closed_at = now
            fields.append("closed_at")
            if not ticket.solved_at:
                ticket.solved_at = now
                fields.append("solved_at")
        else:
            ticket.solved_at = None
            ticket.closed_at = None
            fields += ["solved_at", "closed_at"]
    if team is not _UNSET and (team.pk if team else None) != ticket.team_id:
        changes["team"] = (ticket.team.name if ticket.team else None, team.name if team else None)
        ticket.team = team
        fields.append("team")
    if assignee is not _UNSET and (assignee.pk if assignee else None) != ticket.assignee_id:
        changes["assignee"] = (
            ticket.assignee.display_name if ticket.assignee else None,
            assignee.display_name if assignee else None,
        )
        ticket.assignee = assignee
        fields.append("assignee")
        if assignee and ticket.status == Status.NEW and "status" not in changes:
            changes["status"] = (ticket.status, Status.OPEN)
            ticket.status = Status.OPEN
            fields.append("status")
    with transaction.atomic():
        if tags is not _UNSET:
            wanted = sorted({t.strip().lower()[:50] for t in tags if t.strip()})
            current = sorted(ticket.tags.values_list("name", flat=True))
            if wanted != current:
                tag_objs = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
                ticket.tags.set(tag_objs)
                changes["tags"] = (current, wanted)
        if fields:
            ticket.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
        if changes:
            data = {name: {"from": old, "to": new} for name, (old, new) in changes.items()}
            updated = record(ticket, events.TICKET_UPDATED, by=by, data=data)
            if "assignee" in changes:
                record(ticket, events.TICKET_ASSIGNED, by=by, data={"to": changes["assignee"][1]})
        if "status" in changes:
            old_status, new_status = changes["status"]
            sla_actions.follow_status_change(ticket, old=old_status, new=new_status, by=by)
        if changes:
            automation_actions.run_triggers(
                ticket, "ticket.updated", by=by, context={"key": f"activity:{updated.pk}"}
            )
    return changes


def log_contact(
    customer: Customer,
    *,
    by: Agent,
    channel: str,
    subject: str,
    text: str,
    team: Team | None = None,
    type: str = TicketType.QUESTION,
    priority: str = Priority.NORMAL,
    attachments: Sequence[UploadedFile] = (),
) -> Ticket:
    """An agent opens a ticket for a phone call, a visit at the office or a letter."""
    if channel not in LOGGED_CHANNELS:
        raise ValueError(_("Alleen telefoon, balie of brief kan handmatig worden vastgelegd."))
    if not text.strip():
        raise ValueError(_("Beschrijf het contact."))
    with transaction.atomic():
        ticket = create_ticket(
            customer=customer,
            subject=subject,
            channel=channel,
            by=by,
            team=team or _first_team(by),
            assignee=by,
            type=type,
            priority=priority,
            run_automation=False,
        )
        message = Message.objects.create(
            ticket=ticket,
            direction=Direction.INBOUND,
            channel=channel,
            subject=ticket.subject,
            body_text=text,
            full_text=text,
            author=by,
            sender_name=customer.name,
            thread_reason=_("vastgelegd door %(agent)s") % {"agent": by.display_name},
            created_at=timezone.now(),
        )
        store_uploads(message, attachments)
        ticket.last_message_at = ticket.last_inbound_at = message.created_at
        ticket.save(update_fields=["last_message_at", "last_inbound_at"])
        record(
            ticket,
            events.MESSAGE_RECEIVED,
            by=by,
            data={"message": message.pk, "channel": channel, "logged": True},
        )
        automation_actions.run_triggers(
            ticket, "ticket.created", by=by, context={"message": message}
        )
    return ticket


def _first_team(agent: Agent) -> Team | None:
    return agent.teams.order_by("name").first()


def record_customer_merge(*, target: Customer, source: Customer, by: Any) -> int:
    """Move the tickets of a merged customer and note it in each ticket's audit trail."""
    moved = 0
    for ticket in Ticket.objects.filter(customer=source):
        ticket.customer = target
        ticket.save(update_fields=["customer", "updated_at"])
        record(
            ticket, events.CUSTOMER_LINKED, by=by, data={"from": source.number, "to": target.number}
        )
        moved += 1
    return moved


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


def acknowledgement_text(
    ticket: Ticket, *, to_message: Message, untouched: bool = False
) -> str | None:
    """The text of `send_acknowledgement`, in the customer's language; None when no
    acknowledgement is due."""
    if to_message.is_automatic or reply_channel(ticket) != Channel.EMAIL:
        return None
    language = ticket.customer.language if ticket.customer.language in ("nl", "en") else "nl"
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
                "portal_url": settings.BASE_URL + "/portaal/",
                "due_at": due_at,
                "closed_reason": closed_reason,
            },
        ).strip()


def mark_delivery(message: Message, *, status: str, error: str = "", by: Any = SYSTEM) -> None:
    Message.objects.filter(pk=message.pk).update(
        delivery_status=status, delivery_error=error[:2000]
    )
    keep(delivery_entry(message, status=status, error=error, by=by))


# --- the audit entries of a message (one form, whether one message is filed or a burst) ---


def received_entry(message: Message, *, by: Any, refused: int = 0) -> Activity:
    return activity_row(
        message.ticket,
        events.MESSAGE_RECEIVED,
        by=by,
        data={
            "message": message.pk,
            "channel": message.channel,
            "thread_reason": message.thread_reason,
            "refused_attachments": refused,
        },
    )


def sent_entry(message: Message, *, by: Any) -> Activity:
    return activity_row(
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
    )


def delivery_entry(message: Message, *, status: str, error: str = "", by: Any = SYSTEM) -> Activity:
    kind = (
        events.MESSAGE_BOUNCED
        if status == DeliveryStatus.BOUNCED
        else events.MESSAGE_DELIVERY_UPDATED
    )
    return activity_row(
        message.ticket,
        kind,
        by=by,
        data={"message": message.pk, "status": status, "error": error[:500]},
    )
