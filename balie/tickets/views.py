"""Agent pages for tickets: the inbox and the ticket page with its htmx partials (logging a
phone call, visit or letter is `balie.intake.views`). Views parse input, call one action,
render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from balie.accounts.actions import remember_inbox_sort, set_inbox_density
from balie.accounts.models import Density
from balie.accounts.views import agent_required
from balie.routing import presence
from balie.tickets.attachment_files import attachment_response

from . import actions
from .access import get_ticket_for, tickets_for
from .forms import (
    InboxFilterForm,
    ReplyForm,
    ReplyMode,
    TicketFieldsForm,
    uploaded_files,
)
from .inbox import (
    VIEWS,
    BadCursor,
    chosen_sort,
    filtered_tickets,
    one_team,
    page,
    shown_statuses,
)
from .models import Attachment, Ticket
from .threading_words import thread_reasons

LIST_TARGET = "ticket-list"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- inbox ---------------------------------------------------------------------------------


INBOX_COLUMNS = (
    "id",
    "subject",
    "channel",
    "status",
    "priority",
    "sla_next_due_at",
    "last_message_at",
    "customer__id",
    "customer__name",
    "customer__number",
    "team__id",
    "team__name",
    "assignee__id",
    "assignee__display_name",
)


@agent_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    form = InboxFilterForm(request.GET or None, agent=agent)
    filters = form.filters()
    sort, new_choice = chosen_sort(agent, filters.view, form.requested_sort())
    if new_choice:
        remember_inbox_sort(agent, view=filters.view, sort=sort, by=agent)
    # The menu shows the sort applied, so that changing a filter keeps it.
    data = request.GET.copy()
    data["sort"] = sort
    form = InboxFilterForm(data, agent=agent, like=form)
    # Only the columns a row shows (and the sort keys of the cursor), as plain values: a
    # model instance for each ticket, customer, team and agent of 50 rows cost more than
    # the query (docs/performance.md).
    tickets = filtered_tickets(agent, filters).values(*INBOX_COLUMNS)
    cursor = request.GET.get("cursor", "")
    single_team, statuses = one_team(agent, filters), shown_statuses(filters)
    try:
        rows, next_cursor = page(
            tickets, sort=sort, cursor=cursor, single_team=single_team, statuses=statuses
        )
    except BadCursor:
        cursor = ""
        rows, next_cursor = page(tickets, sort=sort, single_team=single_team, statuses=statuses)
    context = {
        "form": form,
        "tickets": rows,
        "next_cursor": next_cursor,
        "cursor": cursor,
        "filters": filters,
        "views": VIEWS,
        "teams": form.teams,
        "view_label": VIEWS.get(filters.view, ""),
        "sort": sort,
        "density": agent.inbox_density,
        "densities": Density.choices,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == LIST_TARGET:
        return render(request, "tickets/partials/ticket_list.html", context)
    return render(request, "tickets/inbox.html", context)


@agent_required
@require_POST
def inbox_density(request: HttpRequest) -> HttpResponse:
    """The agent's choice of compact or comfortable rows; back to the inbox they came from."""
    agent = request.agent  # type: ignore[attr-defined]
    density = request.POST.get("density", "")
    if density in Density.values:
        set_inbox_density(agent, density=density, by=agent)
    else:
        messages.error(request, _("Onbekende regelhoogte; er is niets gewijzigd."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith(reverse("tickets:inbox")):
        target = reverse("tickets:inbox")
    return redirect(target)


# --- ticket page ---------------------------------------------------------------------------


def conversation_context(ticket: Ticket) -> dict[str, Any]:
    conversation = list(ticket.messages.select_related("author").prefetch_related("attachments"))
    reasons = thread_reasons(conversation)
    for message in conversation:
        message.why_here = reasons.get(message.pk)  # type: ignore[attr-defined]
    return {
        "ticket": ticket,
        "conversation": conversation,
        "activities": list(ticket.activities.select_related("actor_agent")),
        "cc_limit": settings.BALIE_MAX_CC_PARTICIPANTS,
    }


def header_context(agent: Any, ticket: Ticket) -> dict[str, Any]:
    visible = tickets_for(agent)
    return {
        "ticket": ticket,
        "tags": [t.name for t in ticket.tags.all()],
        "linked_to": visible.filter(pk=ticket.linked_to_id).first()
        if ticket.linked_to_id
        else None,
        "follow_ups": list(visible.filter(linked_to=ticket).only("id", "subject", "status")),
    }


def fields_form(agent: Any, ticket: Ticket, data: Any = None) -> TicketFieldsForm:
    initial = {
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "team": str(ticket.team_id or ""),
        "assignee": str(ticket.assignee_id or ""),
        "tags": ", ".join(t.name for t in ticket.tags.all()),
    }
    return TicketFieldsForm(data, agent=agent, ticket=ticket, initial=initial)


def reply_box_context(ticket: Ticket, data: Any = None) -> dict[str, Any]:
    """What the reply box shows besides the form: why it cannot send (if so), where an answer
    goes (the customer's Reply-To when they gave one, said so), and the Cc'd participants, each
    a choice that is on unless the agent unticked it (`data`: the posted form)."""
    to, cc = actions.reply_recipients(ticket)
    requester, _none = actions.reply_recipients(ticket, automatic=True)
    unticked: set[str] = set()
    if data is not None and data.get("cc_shown"):
        unticked = set(cc) - set(data.getlist("keep_cc"))
    return {
        "reply_refusal": actions.reply_refusal(ticket),
        "reply_to": to[0] if to else "",
        "reply_to_differs": bool(to and requester and to != requester),
        "reply_from": requester[0] if requester else "",
        "reply_cc": [(address, address not in unticked) for address in cc],
    }


def ticket_page_context(request: HttpRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    agent = request.agent  # type: ignore[attr-defined]
    customer = ticket.customer
    return {
        **conversation_context(ticket),
        **header_context(agent, ticket),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        **reply_box_context(ticket, forms.get("posted")),
        "fields_form": forms.get("fields_form") or fields_form(agent, ticket),
        "customer": customer,
        "identities": list(customer.identities.all()),
        "other_tickets": list(
            tickets_for(agent)
            .filter(customer=customer)
            .exclude(pk=ticket.pk)
            .only("id", "subject", "status")
            .order_by("-id")[:5]
        ),
        "presence": presence.ticket_presence(ticket, excluding=agent),
    }


@agent_required
@require_GET
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    ticket = get_ticket_for(agent, number)
    presence.mark_viewing(ticket, by=agent)
    return render(request, "tickets/ticket.html", ticket_page_context(request, ticket))


@agent_required
@require_GET
def ticket_conversation(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request.agent, number)  # type: ignore[attr-defined]
    return render(request, "tickets/partials/conversation.html", conversation_context(ticket))


def _after_change(request: HttpRequest, ticket: Ticket, **extra: Any) -> HttpResponse:
    """The htmx answer to a successful post: fresh conversation, header and fields form."""
    agent = request.agent  # type: ignore[attr-defined]
    ticket = get_ticket_for(agent, ticket.pk)
    context = {
        **conversation_context(ticket),
        **header_context(agent, ticket),
        "reply_form": ReplyForm(),
        **reply_box_context(ticket),
        "fields_form": fields_form(agent, ticket),
        "oob": True,
        **extra,
    }
    return render(request, "tickets/partials/after_change.html", context)


@agent_required
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    ticket = get_ticket_for(agent, number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        files = uploaded_files(data["attachments"])
        try:
            if data["mode"] == ReplyMode.NOTE:
                actions.add_note(ticket, by=agent, text=data["text"], attachments=files)
            else:
                actions.add_reply(
                    ticket,
                    by=agent,
                    text=data["text"],
                    attachments=files,
                    status=data["status_after"] or None,
                    via=data["via"],
                    keep_cc=(
                        request.POST.getlist("keep_cc") if request.POST.get("cc_shown") else None
                    ),
                )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            presence.clear_typing(ticket, by=agent)
            if is_htmx(request):
                return _after_change(request, ticket)
            if data["mode"] == ReplyMode.NOTE:
                messages.success(request, _("Notitie toegevoegd."))
            else:
                messages.success(request, _("Antwoord in de wachtrij gezet voor verzending."))
            return redirect("tickets:detail", number=ticket.pk)
    if is_htmx(request):
        response = render(
            request,
            "tickets/partials/reply_form.html",
            {"ticket": ticket, "reply_form": form, **reply_box_context(ticket, request.POST)},
        )
        response["HX-Retarget"] = "#reply-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    context = ticket_page_context(request, ticket, reply_form=form, posted=request.POST)
    return render(request, "tickets/ticket.html", context, status=400)


@agent_required
@require_POST
def ticket_update(request: HttpRequest, number: int) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    ticket = get_ticket_for(agent, number)
    form = fields_form(agent, ticket, request.POST)
    if form.is_valid():
        try:
            changes = actions.update_ticket(ticket, by=agent, **form.changes())
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            notice = _("Wijzigingen opgeslagen.") if changes else _("Er was niets gewijzigd.")
            if is_htmx(request):
                return _after_change(request, ticket, saved=notice, primary="fields")
            messages.success(request, notice)
            return redirect("tickets:detail", number=ticket.pk)
    if is_htmx(request):
        response = render(
            request, "tickets/partials/fields_form.html", {"ticket": ticket, "fields_form": form}
        )
        response["HX-Retarget"] = "#ticket-fields"
        response["HX-Reswap"] = "outerHTML"
        return response
    context = ticket_page_context(request, ticket, fields_form=form)
    return render(request, "tickets/ticket.html", context, status=400)


@agent_required
@require_POST
def ticket_typing(request: HttpRequest, number: int) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    ticket = get_ticket_for(agent, number)
    presence.mark_typing(ticket, by=agent)
    return HttpResponse(status=204)


@agent_required
@require_http_methods(["GET", "POST"])
def ticket_presence(request: HttpRequest, number: int) -> HttpResponse:
    """Who else is on the ticket; a POST is the open page's heartbeat (this agent views it)."""
    agent = request.agent  # type: ignore[attr-defined]
    ticket = get_ticket_for(agent, number)
    if request.method == "POST":
        presence.mark_viewing(ticket, by=agent)
    context = {"ticket": ticket, "presence": presence.ticket_presence(ticket, excluding=agent)}
    return render(request, "tickets/partials/presence.html", context)


@agent_required
@require_POST
def ticket_leave(request: HttpRequest, number: int) -> HttpResponse:
    """The agent left the ticket page (sent by the page as it unloads)."""
    agent = request.agent  # type: ignore[attr-defined]
    presence.clear_viewing(get_ticket_for(agent, number), by=agent)
    return HttpResponse(status=204)


@agent_required
@require_GET
def attachment_download(request: HttpRequest, number: int, attachment_id: int) -> FileResponse:
    ticket = get_ticket_for(request.agent, number)  # type: ignore[attr-defined]
    attachment = Attachment.objects.filter(pk=attachment_id, message__ticket=ticket).first()
    if attachment is None:
        raise Http404(_("Bijlage bestaat niet"))
    try:
        return attachment_response(attachment)
    except OSError:
        raise Http404(_("Het bestand van deze bijlage ontbreekt")) from None
