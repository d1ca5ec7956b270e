"""Agent pages for customers: list and search, the customer page, adding an identity and
merging a duplicate customer. Tickets shown are only those the agent may see."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from balie.accounts.views import agent_required
from balie.tickets.access import tickets_for

from . import actions
from .forms import IdentityForm, MergeForm
from .identities import normalise_phone
from .models import Customer


def search_customers(query: str, *, limit: int = 10) -> list[Customer]:
    """Customers whose name, customer number, e-mail, phone or handle contains the query."""
    query = query.strip()
    customers: QuerySet[Customer] = Customer.objects.active()
    if query:
        condition = (
            Q(name__icontains=query)
            | Q(number__icontains=query)
            | Q(identities__value__icontains=query)
        )
        if sum(ch.isdigit() for ch in query) >= 6:
            with suppress(ValidationError):
                condition |= Q(identities__value=normalise_phone(query))
        customers = customers.filter(condition)
    ids = list(customers.order_by("name", "id").values_list("id", flat=True).distinct()[:limit])
    found = Customer.objects.filter(pk__in=ids).prefetch_related("identities")
    return sorted(found, key=lambda c: (c.name.lower(), c.pk))


def chosen_customer(value: Any) -> Customer | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return Customer.objects.active().filter(pk=pk).prefetch_related("identities").first()


@agent_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    customers = search_customers(query, limit=50)
    return render(request, "customers/list.html", {"customers": customers, "q": query})


@agent_required
@require_GET
def customer_picker(request: HttpRequest) -> HttpResponse:
    """The htmx partial of the customer picker on "Contact vastleggen"."""
    query = request.GET.get("q", "").strip()
    results = search_customers(query) if query else []
    return render(
        request, "customers/partials/picker_results.html", {"results": results, "q": query}
    )


def detail_context(request: HttpRequest, customer: Customer, **forms: Any) -> dict[str, Any]:
    agent = request.agent  # type: ignore[attr-defined]
    return {
        "customer": customer,
        "identities": list(customer.identities.order_by("kind", "value")),
        "tickets": list(
            tickets_for(agent)
            .filter(customer=customer)
            .select_related("team", "assignee")
            .order_by("-id")[:100]
        ),
        "identity_form": forms.get("identity_form") or IdentityForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "merged_from": list(customer.merged_from.all()),
    }


def _customer(pk: int) -> Customer:
    customer = get_object_or_404(Customer, pk=pk)
    return customer


@agent_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(pk)
    if customer.merged_into_id:
        messages.info(
            request,
            _("Klant %(number)s is samengevoegd met deze klant.") % {"number": customer.number},
        )
        return redirect("customers:detail", pk=customer.merged_into_id)
    return render(request, "customers/detail.html", detail_context(request, customer))


@agent_required
@require_POST
def identity_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(pk)
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            actions.add_identity(
                customer,
                kind=form.cleaned_data["kind"],
                value=form.cleaned_data["value"],
                by=request.agent,  # type: ignore[attr-defined]
            )
        except ValidationError as exc:
            form.add_error("value", exc.messages[0])
        except ValueError as exc:
            form.add_error("value", str(exc))
        else:
            messages.success(request, _("Gegevens toegevoegd."))
            return redirect("customers:detail", pk=customer.pk)
    context = detail_context(request, customer, identity_form=form)
    return render(request, "customers/detail.html", context, status=400)


@agent_required
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another customer (by customer number) into this one, after a confirmation page."""
    target = _customer(pk)
    form = MergeForm(request.POST or request.GET or None)
    source = None
    if form.is_valid():
        number = form.cleaned_data["number"].strip()
        source = Customer.objects.filter(number__iexact=number).first()
        if source is None:
            form.add_error("number", _("Er is geen klant met klantnummer %(n)s.") % {"n": number})
        elif source.pk == target.pk:
            form.add_error("number", _("Dit is dezelfde klant."))
        elif source.merged_into_id:
            form.add_error("number", _("Deze klant is al samengevoegd met een andere klant."))
    if source is None or form.errors or not form.is_bound:
        context = detail_context(request, target, merge_form=form)
        return render(request, "customers/detail.html", context, status=400 if form.errors else 200)
    if request.method == "POST" and request.POST.get("confirm") == "ja":
        try:
            actions.merge_customers(target, source, by=request.agent)  # type: ignore[attr-defined]
        except ValueError as exc:
            form.add_error("number", str(exc))
            return render(
                request, "customers/detail.html", detail_context(request, target, merge_form=form)
            )
        messages.success(
            request,
            _("Klant %(source)s is samengevoegd met %(target)s.")
            % {"source": source.number, "target": target.number},
        )
        return redirect("customers:detail", pk=target.pk)
    agent = request.agent  # type: ignore[attr-defined]
    context = {
        "target": target,
        "source": source,
        "source_identities": list(source.identities.all()),
        "source_ticket_count": source.tickets.count(),
        "source_tickets": list(tickets_for(agent).filter(customer=source).order_by("-id")[:10]),
    }
    return render(request, "customers/merge_confirm.html", context)
