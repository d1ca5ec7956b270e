"""What an agent files for a customer goes through the same pipeline as what customers send:
a call, visit or letter they log (the log-contact page, `POST /api/v1/tickets` with channel
telefoon, balie or brief), and a customer's message that reached them another way (`POST
/api/v1/tickets` with channel e-mail or web form, `POST /api/v1/tickets/<n>/messages`).

The agent knows who the customer is and where the message belongs, so the pipeline is given
the customer, the ticket (or the new ticket's fields) and the reason: identifying and
threading keep what was given. Every step is recorded on the message as for any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from balie.accounts.models import Agent, Team
from balie.customers.models import Customer, Identity, IdentityKind
from balie.messaging.connectors.base import InboundAttachment, InboundMessage, Party
from balie.tickets.actions import UploadedFile, check_uploads
from balie.tickets.models import LOGGED_CHANNELS, Message, Priority, Ticket, TicketType

from .pipeline import Run, run_batch


def first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:80]


def _first_team(agent: Agent) -> Team | None:
    return agent.teams.order_by("name").first()


def _inbound(
    *,
    channel: str,
    sender: Party,
    subject: str,
    text: str,
    attachments: Sequence[UploadedFile] = (),
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        external_id="",
        sender=sender,
        subject=subject,
        text=text,
        full_text=text,
        attachments=tuple(
            InboundAttachment(filename=f.filename, content_type=f.content_type, content=f.content)
            for f in attachments
        ),
    )


def _filed(run: Run) -> Run:
    if run.stopped or run.message is None:
        raise ValueError(run.stopped or _("Het bericht is niet vastgelegd."))
    return run


def _sender(customer: Customer, identity: Identity | None) -> Party:
    """Who the message is from: the identity given, else the customer's first e-mail address."""
    if identity is None:
        identity = customer.identities.filter(kind=IdentityKind.EMAIL).order_by("id").first()
    return Party(
        kind=identity.kind if identity else IdentityKind.EMAIL,
        value=identity.value if identity else "",
        name=customer.name,
    )


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
    """An agent logs a phone call, a visit at the office or a letter: a new ticket assigned to
    them. Refused files refuse the whole contact."""
    run = _file_one(
        contact_run(
            customer,
            by=by,
            channel=channel,
            subject=subject,
            text=text,
            team=team,
            type=type,
            priority=priority,
            attachments=attachments,
        )  # fmt: skip
    )
    assert run.ticket is not None
    return run.ticket


def contact_run(
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
) -> Run:
    """The pipeline's run for `log_contact` (not filed yet)."""
    return logged_run(
        customer,
        by=by,
        channel=channel,
        subject=subject,
        text=text,
        attachments=attachments,
        ticket_fields={
            "team": team or _first_team(by),
            "assignee": by,
            "type": type,
            "priority": priority,
            "language": customer.language or "nl",
        },
    )


def _file_one(run: Run) -> Run:
    """File one run made here, alone, in a transaction of its own."""
    with transaction.atomic():
        file_runs([run])
        return _filed(run)


def logged_run(
    customer: Customer,
    *,
    by: Agent,
    channel: str,
    subject: str,
    text: str,
    attachments: Sequence[UploadedFile] = (),
    ticket: Ticket | None = None,
    ticket_fields: dict[str, Any] | None = None,
) -> Run:
    """The pipeline's run for a call, visit or letter an agent logs (not filed yet)."""
    if channel not in LOGGED_CHANNELS:
        raise ValueError(_("Alleen telefoon, balie of brief kan handmatig worden vastgelegd."))
    if not text.strip():
        raise ValueError(_("Beschrijf het contact."))
    check_uploads(attachments)
    return Run(
        inbound=_inbound(
            channel=channel,
            sender=Party(kind="", value="", name=customer.name),
            subject=subject,
            text=text,
            attachments=attachments,
        ),
        customer=customer,
        ticket=ticket,
        by=by,
        logged=True,
        acknowledge=False,
        ticket_fields=dict(ticket_fields or {}),
        thread_reason=_("vastgelegd door %(agent)s") % {"agent": by.display_name},
        threading={"how": "logged", "agent": by.display_name},
    )


def file_runs(runs: list[Run]) -> None:
    """File runs made here through PIPELINE as one batch, inside the caller's transaction:
    what an earlier run of the batch must be filed for first (the same customer) goes in the
    next round. A run that stops says why in `stopped`."""
    while runs:
        left = run_batch(runs)
        if len(left) >= len(runs):
            raise RuntimeError("the pipeline deferred every run of the batch")
        runs = left


def customer_run(
    customer: Customer,
    *,
    by: Agent,
    channel: str,
    text: str,
    subject: str = "",
    identity: Identity | None = None,
    ticket: Ticket | None = None,
    ticket_fields: dict[str, Any] | None = None,
) -> Run:
    """The pipeline's run for a customer's e-mail or web-form message that reached the agent
    another way (not filed yet): a new ticket, acknowledged like any other, or, with
    `ticket`, a message in that one."""
    if not text.strip():
        raise ValueError(_("Beschrijf het contact."))
    return Run(
        inbound=_inbound(
            channel=channel,
            sender=_sender(customer, identity),
            subject=subject.strip() or (ticket.subject if ticket else first_line(text)),
            text=text,
        ),
        customer=customer,
        identity=identity,
        ticket=ticket,
        by=by,
        ticket_fields=dict(ticket_fields or {}),
        thread_reason=_("vastgelegd via de API door %(agent)s") % {"agent": by.display_name},
        threading={"how": "api", "agent": by.display_name},
    )


def add_customer_message(
    ticket: Ticket,
    *,
    by: Agent,
    text: str,
    channel: str = "",
    subject: str = "",
    identity: Identity | None = None,
) -> Message:
    """A message of the ticket's customer that the agent files in it (`POST
    /api/v1/tickets/<n>/messages`): a call, visit or letter on those channels, else a message
    on the ticket's own channel (or the one given)."""
    channel = channel or ticket.channel
    if channel in LOGGED_CHANNELS:
        run = logged_run(
            ticket.customer, by=by, channel=channel, subject=subject or ticket.subject,
            text=text, ticket=ticket,
        )  # fmt: skip
    else:
        run = customer_run(
            ticket.customer, by=by, channel=channel, text=text, subject=subject,
            identity=identity, ticket=ticket,
        )  # fmt: skip
    _file_one(run)
    assert run.message is not None
    return run.message
