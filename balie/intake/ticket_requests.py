"""`POST /api/v1/tickets`, a batch of requests at a time.

Requests that arrive while a batch is being filed wait for it and then go together
(`balie.core.group_commit`): their customers are found or made at once, their runs go through
the intake pipeline as one batch (the same steps, acknowledgements, SLA clocks, rules and audit
entries as one request alone) in one transaction, and each request is answered once that has
been committed, with its ticket as the database holds it then. A request that is wrong on its
own (an unknown team or customer, a contact without text, a message the pipeline stops) gets
its own 4xx and files nothing; the others of its batch are filed. Should the batch fail as a
whole, each request is filed again alone, so one request's fault answers only that request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from balie.accounts.models import Agent, Team
from balie.core import realtime
from balie.core.group_commit import GroupCommit
from balie.customers.actions import Sender, find_or_create_customers
from balie.customers.models import Customer, Identity
from balie.tickets.api import _customer, _team, _value, ticket_outs
from balie.tickets.api_schemas import TicketIn
from balie.tickets.models import LOGGED_CHANNELS, Message, Ticket

from . import agent_filing
from .pipeline import Run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketRequest:
    """One request: who asks, what they sent (validated by its schema), the identity's value
    normalised (`normalised`, when the request names one), and the request's language."""

    agent: Agent
    payload: TicketIn
    normalised: str = ""
    language: str = ""


def file_requests(requests: list[TicketRequest]) -> list[dict[str, Any] | BaseException]:
    """File the requests as one batch; per request its ticket (as `ticket_out`) or the error
    to answer it with."""
    try:
        with realtime.coalesced():
            with transaction.atomic():
                results, filed = _file(requests)
            answered = [r for r in results if isinstance(r, int)]
            outs = ticket_outs(answered, filed=filed) if answered else {}
        return [outs[r] if isinstance(r, int) else r for r in results]
    except Exception:
        if len(requests) == 1:
            raise
        logger.exception("filing %s ticket requests together failed: one by one", len(requests))
        answers: list[dict[str, Any] | BaseException] = []
        for request in requests:
            try:
                answers += file_requests([request])
            except Exception as exc:
                answers.append(exc)
        return answers


def _file(
    requests: list[TicketRequest],
) -> tuple[list[int | BaseException], dict[int, tuple[Ticket, list[Message]]]]:
    """Inside the batch's transaction: per request the new ticket's number, or its error; and
    the new tickets no rule changed, with the messages they hold (for `ticket_outs`)."""
    results: list[int | BaseException | None] = [None] * len(requests)
    teams: dict[int, Team | None] = {}
    customers: dict[int, Customer] = {}
    for i, request in enumerate(requests):
        payload = request.payload
        with translation.override(request.language or settings.LANGUAGE_CODE):
            try:
                if not payload.text.strip():
                    raise HttpError(400, _("Beschrijf het contact."))
                teams[i] = _team(payload.team) if payload.team else None
                if payload.customer is not None:
                    customers[i] = _customer(payload.customer)
            except HttpError as exc:
                results[i] = exc
    identities = _identities(requests, [i for i, r in enumerate(results) if r is None])
    runs: dict[int, Run] = {}
    for i, request in enumerate(requests):
        if results[i] is not None:
            continue
        customer, identity = (customers[i], None) if i in customers else identities[i]
        with translation.override(request.language or settings.LANGUAGE_CODE):
            try:
                runs[i] = _run(request, customer=customer, identity=identity, team=teams[i])
            except ValueError as exc:
                results[i] = HttpError(400, str(exc))
    agent_filing.file_runs(list(runs.values()))
    filed: dict[int, tuple[Ticket, list[Message]]] = {}
    for i, run in runs.items():
        if run.stopped or run.ticket is None:
            results[i] = HttpError(400, run.stopped or _("Het bericht is niet vastgelegd."))
            continue
        results[i] = run.ticket.pk
        if run.untouched and run.message is not None and not run.inbound.attachments:
            written = [run.message, *([run.acknowledgement] if run.acknowledgement else [])]
            filed[run.ticket.pk] = (run.ticket, written)
    return results, filed  # type: ignore[return-value]


def _identities(
    requests: list[TicketRequest], wanted: list[int]
) -> dict[int, tuple[Customer, Identity]]:
    """The customers of the requests that name an identity, found or made in one go (the
    same identity twice in a batch is one customer)."""
    senders: dict[tuple[str, str], Sender] = {}
    for i in wanted:
        payload = requests[i].payload
        if payload.customer is None and payload.identity is not None:
            key = (payload.identity.kind, requests[i].normalised)
            senders.setdefault(
                key,
                Sender(
                    kind=key[0],
                    value=key[1],
                    name=payload.name.strip() or payload.identity.display_name.strip(),
                ),
            )
    found = dict(zip(senders, find_or_create_customers(list(senders.values())), strict=True))
    identities = {}
    for i in wanted:
        payload = requests[i].payload
        if payload.customer is None and payload.identity is not None:
            pair = found[(payload.identity.kind, requests[i].normalised)]
            assert pair is not None
            identities[i] = pair
    return identities


def _run(
    request: TicketRequest, *, customer: Customer, identity: Identity | None, team: Team | None
) -> Run:
    payload = request.payload
    channel = _value(payload.channel)
    subject = payload.subject.strip() or agent_filing.first_line(payload.text)
    if channel in LOGGED_CHANNELS:
        return agent_filing.contact_run(
            customer,
            by=request.agent,
            channel=channel,
            subject=subject,
            text=payload.text,
            team=team,
            type=_value(payload.type),
            priority=_value(payload.priority),
        )
    # An e-mail or web-form contact that reached the agent another way: filed and
    # acknowledged like any other.
    return agent_filing.customer_run(
        customer,
        by=request.agent,
        channel=channel,
        subject=subject,
        text=payload.text,
        identity=identity,
        ticket_fields={
            "team": team,
            "priority": _value(payload.priority),
            "type": _value(payload.type),
        },
    )


ticket_requests: GroupCommit[TicketRequest, dict[str, Any]] = GroupCommit(file_requests)
