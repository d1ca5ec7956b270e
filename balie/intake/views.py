"""Agent pages that file a customer's contact through the intake pipeline: logging a phone
call, a visit at the office or a letter as a new ticket. Views parse input, call one action,
render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from balie.accounts.views import agent_required
from balie.customers.actions import create_customer
from balie.customers.views import chosen_customer, search_customers
from balie.tickets.forms import LogContactForm, uploaded_files

from . import agent_filing


@agent_required
def log_contact(request: HttpRequest) -> HttpResponse:
    """A phone call, a visit at the office or a letter, logged by the agent as a new ticket."""
    agent = request.agent  # type: ignore[attr-defined]
    query = request.GET.get("q", "").strip()
    if request.method == "POST":
        form = LogContactForm(request.POST, request.FILES, agent=agent)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    customer = form.customer or create_customer(
                        name=data["new_name"], identities=form.new_identities(), by=agent
                    )
                    ticket = agent_filing.log_contact(
                        customer,
                        by=agent,
                        channel=data["channel"],
                        subject=data["subject"],
                        text=data["text"],
                        team=form.teams.get(data["team"]),
                        type=data["type"],
                        priority=data["priority"],
                        attachments=uploaded_files(data["attachments"]),
                    )
            except (ValueError, ValidationError) as exc:
                message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                form.add_error(None, message)
            else:
                messages.success(
                    request, _("Ticket #%(number)s is aangemaakt.") % {"number": ticket.pk}
                )
                return redirect("tickets:detail", number=ticket.pk)
        status = 400
    else:
        # The no-JS customer search reloads this page by GET with what was typed so far.
        initial = {**request.GET.dict(), "customer": request.GET.get("klant") or None}
        form = LogContactForm(initial=initial, agent=agent)
        status = 200
    chosen_id = form.data.get("customer") if form.is_bound else request.GET.get("klant")
    context = {
        "form": form,
        "q": query,
        "results": search_customers(query) if query else [],
        "chosen": chosen_customer(chosen_id),
        "picker_url": reverse("customers:picker"),
    }
    return render(request, "tickets/log_contact.html", context, status=status)
