"""Tickets in the REST API. Every endpoint needs an agent (bearer token or session); the
agent's permissions apply exactly as in the UI: a ticket the agent may not see answers 404,
the same as one that does not exist. Endpoints parse input, call one action, return a schema."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

import nh3
from django.db.models import Value
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.errors import HttpError
from ninja.renderers import JSONRenderer

from balie.accounts.api_auth import agent_auth
from balie.accounts.models import Agent, Team
from balie.customers.api_schemas import MAX_ID, ErrorOut
from balie.customers.models import Customer, Identity, IdentityKind
from balie.tickets.attachment_files import attachment_response

from .access import get_ticket_for
from .actions import (
    add_note,
    add_reply,
    update_ticket,
)
from .api_schemas import (
    MessageList,
    MessageOut,
    MessagePage,
    NoteIn,
    ReplyIn,
    TicketFilters,
    TicketList,
    TicketOut,
    TicketPatch,
)
from .inbox import (
    DEFAULT_SORT,
    BadCursor,
    Filters,
    filtered_tickets,
    one_team,
    page,
    shown_statuses,
)
from .models import Attachment, Message, Ticket, hidden_team_ids

router = Router(auth=agent_auth)

# Messages shown with a ticket; older ones through /messages.
DETAIL_MESSAGES = 100
ERRORS: dict[int | str, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _agent(request: HttpRequest) -> Agent:
    return request.agent  # type: ignore[attr-defined]


def _value(choice: Any) -> str:
    """The plain value of an enum member (or of a default that is already a plain string)."""
    return str(getattr(choice, "value", choice))


def _number() -> Any:
    return Path(..., ge=1, le=MAX_ID, description="Ticketnummer")


# --- output -------------------------------------------------------------------------------


SUMMARY_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "type",
    "channel",
    "created_at",
    "updated_at",
    "last_message_at",
    "sla_next_due_at",
    "team__id",
    "team__name",
    "assignee__id",
    "assignee__display_name",
    "customer__id",
    "customer__number",
    "customer__name",
    "customer__tier",
)


def ticket_summary(
    ticket: Ticket, *, tags: list[str] | None = None, email: str | None = None
) -> dict[str, Any]:
    """A ticket as lists show it. `tags` and `email` (the customer's first e-mail address)
    when the caller read them for many tickets at once (`ticket_summaries`)."""
    customer = ticket.customer
    return {
        "number": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "channel": ticket.channel,
        "team": {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team else None,
        "assignee": (
            {"id": ticket.assignee.pk, "name": ticket.assignee.display_name}
            if ticket.assignee
            else None
        ),
        "customer": {
            "id": customer.pk,
            "number": customer.number,
            "name": customer.name,
            "email": customer.primary_email if email is None else email,
            "tier": customer.tier,
        },
        "tags": sorted(tag.name for tag in ticket.tags.all()) if tags is None else sorted(tags),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "last_message_at": ticket.last_message_at,
    }


def ticket_summaries(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Summaries of a page of tickets read as `SUMMARY_COLUMNS` values, with their tags and
    customers' e-mail addresses in one plain query (Django's prefetch builds a related manager
    per ticket, and a model instance per ticket, team, agent and customer, which cost more
    than the rest of a list). The same dictionaries as `ticket_summary` makes of a ticket."""
    TAG, EMAIL = 0, 1
    tag_rows = Ticket.tags.through.objects.filter(
        ticket_id__in=[row["id"] for row in rows]
    ).values_list(Value(TAG), "ticket_id", "tag__name", Value(0))
    email_rows = Identity.objects.filter(
        customer_id__in={row["customer__id"] for row in rows}, kind=IdentityKind.EMAIL
    ).values_list(Value(EMAIL), "customer_id", "value", "id")
    tags: dict[int, list[str]] = defaultdict(list)
    addresses: list[tuple[int, int, str]] = []
    for kind, owner, text, order in tag_rows.union(email_rows, all=True):
        if kind == TAG:
            tags[owner].append(text)
        else:
            addresses.append((order, owner, text))
    emails: dict[int, str] = {}
    for _order, customer_id, value in sorted(addresses):  # a customer's first address
        emails.setdefault(customer_id, value)
    return [
        {
            "number": row["id"],
            "subject": row["subject"],
            "status": row["status"],
            "priority": row["priority"],
            "type": row["type"],
            "channel": row["channel"],
            "team": (
                {"id": row["team__id"], "name": row["team__name"]}
                if row["team__id"] is not None
                else None
            ),
            "assignee": (
                {"id": row["assignee__id"], "name": row["assignee__display_name"]}
                if row["assignee__id"] is not None
                else None
            ),
            "customer": {
                "id": row["customer__id"],
                "number": row["customer__number"],
                "name": row["customer__name"],
                "email": emails.get(row["customer__id"], ""),
                "tier": row["customer__tier"],
            },
            "tags": sorted(tags[row["id"]]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "last_message_at": row["last_message_at"],
        }
        for row in rows
    ]


def message_out(message: Message) -> dict[str, Any]:
    refused = message.refused_attachments if isinstance(message.refused_attachments, list) else []
    return {
        "id": message.pk,
        "direction": message.direction,
        "channel": message.channel,
        "created_at": message.created_at,
        "sender": {
            "name": message.sender_name,
            "address": message.sender_address,
            "agent": message.author_id,
            "identity": message.sender_identity_id,
        },
        "subject": message.subject,
        "body_text": message.body_text,
        "body_html": message.body_html,
        "delivery_status": message.delivery_status,
        "thread_reason": message.thread_reason,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "inline": a.inline,
                "url": reverse(
                    "api:ticket_attachment",
                    kwargs={"number": message.ticket_id, "attachment_id": a.pk},
                ),
            }
            for a in message.attachments.all()
        ],
        "refused_attachments": [
            {
                "filename": str(r.get("filename", "")),
                "content_type": str(r.get("content_type", "")),
                "size": int(r.get("size") or 0),
                "reason": str(r.get("reason", "")),
            }
            for r in refused
            if isinstance(r, dict)
        ],
    }


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    latest = list(
        ticket.messages.prefetch_related("attachments").order_by("-created_at", "-id")[
            : DETAIL_MESSAGES + 1
        ]
    )
    more = len(latest) > DETAIL_MESSAGES
    messages = reversed(latest[:DETAIL_MESSAGES])
    return {
        **ticket_summary(ticket),
        "language": ticket.language,
        "claims": ticket.claims if isinstance(ticket.claims, dict) else {},
        "linked_to": ticket.linked_to_id,
        "first_response_at": ticket.first_response_at,
        "solved_at": ticket.solved_at,
        "closed_at": ticket.closed_at,
        "messages": [message_out(m) for m in messages],
        "more_messages": more,
    }


DETAIL_COLUMNS = (
    *SUMMARY_COLUMNS,
    "language",
    "claims",
    "linked_to_id",
    "first_response_at",
    "solved_at",
    "closed_at",
)


def ticket_outs(
    numbers: list[int], *, filed: dict[int, tuple[Ticket, list[Message]]] | None = None
) -> dict[int, dict[str, Any]]:
    """`ticket_out` of many tickets just filed, as they are in the database now, in a few
    queries for all of them: the tickets, their messages with attachments, tags and the
    customers' addresses. `filed`: tickets this transaction has just made, with every message
    they hold (none with attachments) and nothing changed since, as written: those are not
    read back, only their tags and customers' addresses."""
    filed = filed or {}
    read = [number for number in numbers if number not in filed]
    rows = list(Ticket.objects.filter(pk__in=read).values(*DETAIL_COLUMNS)) if read else []
    messages: dict[int, list[Message]] = defaultdict(list)
    for message in (
        Message.objects.filter(ticket_id__in=read)
        .prefetch_related("attachments")
        .order_by("created_at", "id")
        if read
        else ()
    ):
        messages[message.ticket_id].append(message)
    for number, (ticket, written) in filed.items():
        rows.append(_detail_row(ticket))
        messages[number] = sorted(written, key=lambda m: (m.created_at, m.pk))
        for message in written:  # they have none: no query for them
            message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}  # type: ignore[attr-defined]
    outs = {}
    for row, summary in zip(rows, ticket_summaries(rows), strict=True):
        shown = messages[row["id"]][-DETAIL_MESSAGES:]
        outs[row["id"]] = {
            **summary,
            "language": row["language"],
            "claims": row["claims"] if isinstance(row["claims"], dict) else {},
            "linked_to": row["linked_to_id"],
            "first_response_at": row["first_response_at"],
            "solved_at": row["solved_at"],
            "closed_at": row["closed_at"],
            "messages": [message_out(m) for m in shown],
            "more_messages": len(messages[row["id"]]) > DETAIL_MESSAGES,
        }
    return outs


def _detail_row(ticket: Ticket) -> dict[str, Any]:
    """A ticket in memory as `DETAIL_COLUMNS` values, as `.values()` reads them."""
    row: dict[str, Any] = {}
    for column in DETAIL_COLUMNS:
        value: Any = ticket
        for part in column.split("__"):
            value = None if value is None else getattr(value, "pk" if part == "id" else part)
        row[column] = value
    return row


def _ticket(request: HttpRequest, number: int) -> Ticket:
    return get_ticket_for(_agent(request), number)


# --- lookups of ids given in a request ----------------------------------------------------


def _team(team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise HttpError(422, _("Team %(id)s bestaat niet.") % {"id": team_id})
    return team


def _assignee(agent_id: int) -> Agent:
    agent = Agent.objects.active().filter(pk=agent_id).first()
    if agent is None:
        raise HttpError(
            422, _("Medewerker %(id)s bestaat niet of is niet actief.") % {"id": agent_id}
        )
    return agent


def _customer(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise HttpError(422, _("Klant %(id)s bestaat niet.") % {"id": customer_id})
    seen: set[int] = set()
    while customer.merged_into_id and customer.pk not in seen:  # follow merges
        seen.add(customer.pk)
        customer = customer.merged_into
    return customer


# --- endpoints ----------------------------------------------------------------------------


@router.get("", response={200: TicketList, **ERRORS}, summary="Tickets (gefilterd, gepagineerd)")
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> HttpResponse:
    agent = _agent(request)
    chosen = Filters(
        view=_value(filters.view),
        status=[_value(s) for s in filters.status],
        team=filters.team,
        assignee=filters.assignee,
        channel=[_value(c) for c in filters.channel],
        priority=[_value(p) for p in filters.priority],
        type=[_value(t) for t in filters.type],
        tag=filters.tag,
        customer=filters.customer,
        q=filters.q,
    )
    # A search is read by `page` (newest first by default: every match, page by page).
    sort = (
        _value(filters.sort) if filters.sort else ("newest" if filters.q.strip() else DEFAULT_SORT)
    )
    # Only the columns a summary shows (and the sort keys of the cursor), as plain values:
    # building 51 rows with every column of four tables, then a model instance for each
    # ticket, team, agent and customer, was most of the time of a list (docs/performance.md).
    qs = filtered_tickets(agent, replace(chosen, q="")).values(*SUMMARY_COLUMNS)
    try:
        rows, next_cursor = page(
            qs,
            sort=sort,
            cursor=filters.cursor,
            limit=filters.limit,
            single_team=one_team(agent, chosen),
            statuses=shown_statuses(chosen),
            search=chosen.q,
            hidden_teams=hidden_team_ids(agent),
        )
    except (BadCursor, ValueError, OverflowError) as exc:
        raise HttpError(400, _("Ongeldige cursor: %(reason)s") % {"reason": exc}) from None
    # The summaries are the schema's shape already (a test checks them against it): answered
    # as django-ninja renders a validated TicketList, without validating 50 rows field by
    # field through its attribute getter (a quarter of a list's time).
    answer = {"items": ticket_summaries(rows), "next_cursor": next_cursor or None}
    renderer = JSONRenderer()
    return HttpResponse(
        renderer.render(request, answer, response_status=200),
        content_type=f"{renderer.media_type}; charset={renderer.charset}",
    )


@router.get("/{number}", response={200: TicketOut, **ERRORS}, summary="Eén ticket met berichten")
def get_ticket(request: HttpRequest, number: int = _number()) -> dict[str, Any]:
    return ticket_out(_ticket(request, number))


@router.patch("/{number}", response={200: TicketOut, **ERRORS}, summary="Ticket wijzigen")
def patch_ticket(
    request: HttpRequest, payload: TicketPatch, number: int = _number()
) -> dict[str, Any]:
    ticket = _ticket(request, number)
    given = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    changes: dict[str, Any] = {}
    for name in ("status", "priority", "type", "subject", "tags"):
        if name in given:
            changes[name] = given[name]
    if "team" in given:
        changes["team"] = _team(given["team"]) if given["team"] else None
    if "assignee" in given:
        changes["assignee"] = _assignee(given["assignee"]) if given["assignee"] else None
    try:
        update_ticket(ticket, by=_agent(request), **changes)
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    return ticket_out(ticket)


@router.get(
    "/{number}/messages", response={200: MessageList, **ERRORS}, summary="Berichten van een ticket"
)
def list_messages(
    request: HttpRequest, params: Query[MessagePage], number: int = _number()
) -> dict[str, Any]:
    ticket = _ticket(request, number)
    rows = list(
        ticket.messages.filter(pk__gt=params.after)
        .prefetch_related("attachments")
        .order_by("id")[: params.limit + 1]
    )
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = str(rows[-1].pk)
    return {"items": [message_out(m) for m in rows], "next_cursor": next_cursor}


@router.post(
    "/{number}/reply",
    response={201: MessageOut, **ERRORS},
    summary="Antwoord aan de klant",
    description="Het antwoord gaat in de uitgaande wachtrij (delivery_status `queued`).",
)
def post_reply(
    request: HttpRequest, payload: ReplyIn, number: int = _number()
) -> tuple[int, dict[str, Any]]:
    ticket = _ticket(request, number)
    try:
        message = add_reply(
            ticket,
            by=_agent(request),
            text=payload.text,
            html=nh3.clean(payload.html) if payload.html.strip() else "",
            status=_value(payload.status_after) if payload.status_after else None,
            keep_cc=payload.keep_cc,
        )
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    return 201, message_out(message)


@router.post(
    "/{number}/notes", response={201: MessageOut, **ERRORS}, summary="Interne notitie toevoegen"
)
def post_note(
    request: HttpRequest, payload: NoteIn, number: int = _number()
) -> tuple[int, dict[str, Any]]:
    ticket = _ticket(request, number)
    try:
        message = add_note(ticket, by=_agent(request), text=payload.text)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    return 201, message_out(message)


@router.get(
    "/{number}/attachments/{attachment_id}",
    response={401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="ticket_attachment",
    summary="Bijlage downloaden",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Het bestand",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def download_attachment(
    request: HttpRequest,
    number: int = _number(),
    attachment_id: int = Path(..., ge=1, le=MAX_ID),
) -> FileResponse:
    ticket = _ticket(request, number)
    attachment = Attachment.objects.filter(pk=attachment_id, message__ticket=ticket).first()
    if attachment is None:
        raise HttpError(404, _("Bijlage bestaat niet."))
    try:
        return attachment_response(attachment)
    except OSError:
        raise HttpError(404, _("Bijlage is niet meer beschikbaar.")) from None
