"""Admin pages for trigger rules, macros, webhook subscriptions and lifecycle settings
(`/beheer/…`, admins only), and
the two things an agent does from the ticket page: apply a macro, snooze the ticket."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from balie.accounts.models import Agent
from balie.accounts.views import agent_required
from balie.tickets.access import get_ticket_for
from balie.tickets.models import Tag

from . import actions, rule_preview, rule_transfer
from .forms import (
    LifecycleSettingsForm,
    MacroForm,
    RuleImportForm,
    SnoozeForm,
    WebhookSubscriptionForm,
)
from .models import Event, LifecycleSettings, Macro, Rule, WebhookSubscription
from .placeholders import ALIASES
from .rule_builder import RuleBuilder
from .rule_rows import describe


def admin_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @agent_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.agent.is_admin:  # type: ignore[attr-defined]
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- rules ----------------------------------------------------------------------------------


@admin_required
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(Rule.objects.order_by("position", "id"))
    for rule in rules:
        rule.condition_words = [describe(c, action=False) for c in rule.conditions]  # type: ignore[attr-defined]
        rule.action_words = [describe(a, action=True) for a in rule.actions]  # type: ignore[attr-defined]
    return render(request, "automation/rule_list.html", {"rules": rules, "events": Event})


@admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The rule form (see `rule_builder`): rows added and removed by submit buttons, a preview
    of the recent tickets the conditions match, and save."""
    agent = request.agent  # type: ignore[attr-defined]
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    found_preview = None
    status = 200
    pressed = ""
    if request.method == "POST":
        builder = RuleBuilder(request.POST)
        pressed = builder.command(request.POST)
        if pressed == "save":
            if builder.is_valid():
                try:
                    saved = _save_rule(rule, builder.cleaned(), by=agent)
                except actions.InvalidRule as error:
                    builder.errors += error.errors
                else:
                    notice = (
                        _("Regel «%(name)s» opgeslagen.")
                        if rule
                        else _("Regel «%(name)s» aangemaakt.")
                    )
                    messages.success(request, notice % {"name": saved.name})
                    return redirect("automation:rules")
            status = 400
        elif pressed == "preview":
            if builder.conditions_valid():
                found_preview = rule_preview.preview(builder.condition_items(), builder.event())
            else:
                status = 400
    else:
        builder = RuleBuilder(rule=rule)
    context = {
        "builder": builder,
        "rule": rule,
        "preview": found_preview,
        "show_errors": pressed in ("save", "preview"),
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:500]),
        "placeholders": ALIASES,
        "rule_json": json.dumps(rule_transfer.rule_data(rule), ensure_ascii=False, indent=2)
        if rule
        else "",
    }
    return render(request, "automation/rule_form.html", context, status=status)


def _save_rule(rule: Rule | None, fields: dict[str, Any], *, by: Agent) -> Rule:
    if rule is None:
        return actions.create_rule(by=by, **fields)
    return actions.update_rule(rule, by=by, **fields)


@admin_required
def rule_export(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """All rules (or one) as a JSON file to download."""
    if pk is None:
        rules = list(Rule.objects.order_by("position", "id"))
        filename = f"balie-regels-{timezone.localdate():%Y%m%d}.json"
    else:
        rules = [get_object_or_404(Rule, pk=pk)]
        filename = f"balie-regel-{pk}.json"
    response = HttpResponse(
        rule_transfer.export_rules(rules), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def rule_import(request: HttpRequest) -> HttpResponse:
    """Upload a JSON file of rules: all are created (after the existing ones) or none."""
    form = RuleImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read(rule_transfer.MAX_BYTES + 1)
        try:
            created = rule_transfer.import_rules(
                raw,
                by=request.agent,  # type: ignore[attr-defined]
                keep_active=form.cleaned_data["keep_active"],
            )
        except rule_transfer.ImportRefused as refused:
            errors = refused.errors
        else:
            notice = ngettext(
                "%(n)s regel geïmporteerd.", "%(n)s regels geïmporteerd.", len(created)
            ) % {"n": len(created)}
            if not form.cleaned_data["keep_active"]:
                notice += " " + _("Ze staan uit; zet ze aan in de lijst als ze kloppen.")
            messages.success(request, notice)
            return redirect("automation:rules")
    status = 400 if errors or form.errors else 200
    return render(
        request, "automation/rule_import.html", {"form": form, "errors": errors}, status=status
    )


@admin_required
@require_POST
def rule_move(request: HttpRequest, pk: int, direction: str) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    actions.move_rule(rule, by=request.agent, direction=-1 if direction == "omhoog" else 1)  # type: ignore[attr-defined]
    return redirect("automation:rules")


@admin_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    actions.set_rule_active(rule, by=request.agent, active=not rule.is_active)  # type: ignore[attr-defined]
    notice = (
        _("Regel «%(name)s» staat aan.") if rule.is_active else _("Regel «%(name)s» staat uit.")
    )
    messages.success(request, notice % {"name": rule.name})
    return redirect("automation:rules")


@admin_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    actions.delete_rule(rule, by=request.agent)  # type: ignore[attr-defined]
    messages.success(request, _("Regel «%(name)s» verwijderd.") % {"name": rule.name})
    return redirect("automation:rules")


# --- macros ---------------------------------------------------------------------------------


@admin_required
def macro_list(request: HttpRequest) -> HttpResponse:
    macros = list(Macro.objects.select_related("team"))
    return render(request, "automation/macro_list.html", {"macros": macros})


@admin_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    macro = get_object_or_404(Macro, pk=pk) if pk else None
    if request.method == "POST":
        form = MacroForm(request.POST)
        if form.is_valid():
            macro = actions.save_macro(macro, by=agent, **form.cleaned_data)
            messages.success(request, _("Macro «%(name)s» opgeslagen.") % {"name": macro.name})
            return redirect("automation:macros")
    else:
        initial = None
        if macro:
            initial = {
                "name": macro.name,
                "language": macro.language,
                "body": macro.body,
                "status": macro.status,
                "priority": macro.priority,
                "team": macro.team_id,
                "add_tags": ", ".join(macro.add_tags),
                "is_active": macro.is_active,
            }
        form = MacroForm(initial=initial)
    return render(
        request,
        "automation/macro_form.html",
        {"form": form, "macro": macro},
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    macro = get_object_or_404(Macro, pk=pk)
    actions.delete_macro(macro, by=request.agent)  # type: ignore[attr-defined]
    messages.success(request, _("Macro «%(name)s» verwijderd.") % {"name": macro.name})
    return redirect("automation:macros")


# --- webhook subscriptions -----------------------------------------------------------------


@admin_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    subscriptions = list(WebhookSubscription.objects.all())
    return render(request, "automation/webhook_list.html", {"subscriptions": subscriptions})


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    subscription = get_object_or_404(WebhookSubscription, pk=pk) if pk else None
    if request.method == "POST":
        form = WebhookSubscriptionForm(request.POST)
        if form.is_valid():
            subscription = actions.save_subscription(subscription, by=agent, **form.cleaned_data)
            messages.success(
                request, _("Webhook «%(name)s» opgeslagen.") % {"name": subscription.name}
            )
            return redirect("automation:webhook_log", subscription.pk)
    else:
        initial = None
        if subscription:
            initial = {
                "name": subscription.name,
                "url": subscription.url,
                "secret": subscription.secret,
                "events": subscription.events,
                "is_active": subscription.is_active,
            }
        form = WebhookSubscriptionForm(initial=initial)
    return render(
        request,
        "automation/webhook_form.html",
        {"form": form, "subscription": subscription},
        status=400 if form.errors else 200,
    )


@admin_required
def webhook_log(request: HttpRequest, pk: int) -> HttpResponse:
    """A subscription and its last deliveries: state, attempts, status code, error."""
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    deliveries = list(subscription.deliveries.order_by("-created_at", "-id")[:100])
    return render(
        request,
        "automation/webhook_log.html",
        {"subscription": subscription, "deliveries": deliveries},
    )


@admin_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    actions.send_test_webhook(subscription, by=request.agent)  # type: ignore[attr-defined]
    messages.success(request, _("Testbericht verstuurd; het resultaat staat hieronder."))
    return redirect("automation:webhook_log", subscription.pk)


@admin_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    actions.delete_subscription(subscription, by=request.agent)  # type: ignore[attr-defined]
    messages.success(request, _("Webhook «%(name)s» verwijderd.") % {"name": subscription.name})
    return redirect("automation:webhooks")


@admin_required
@require_http_methods(["GET", "POST"])
def lifecycle_settings(request: HttpRequest) -> HttpResponse:
    current = LifecycleSettings.current()
    form = LifecycleSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        actions.save_lifecycle_settings(by=request.agent, **form.cleaned_data)  # type: ignore[attr-defined]
        messages.success(request, _("Instellingen opgeslagen."))
        return redirect("automation:lifecycle")
    return render(
        request,
        "automation/lifecycle_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- on the ticket page ---------------------------------------------------------------------


@agent_required
@require_POST
def macro_apply(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    """One click: the macro's field changes happen at once; its filled text goes into the reply
    box (htmx: an event the picker's script handles; without JavaScript: a page with the reply
    form filled in). With `send=1` the text is sent to the customer at once."""
    agent = request.agent  # type: ignore[attr-defined]
    ticket = get_ticket_for(agent, number)
    macro = get_object_or_404(Macro, pk=pk, is_active=True)
    send = request.POST.get("send") == "1"
    try:
        applied = actions.apply_macro(ticket, macro, by=agent, send=send)
    except ValueError as error:
        if is_htmx(request):
            return render(
                request,
                "automation/partials/macro_result.html",
                {"error": str(error), "macro": macro},
                status=400,
            )
        messages.error(request, str(error))
        return redirect("tickets:detail", number=ticket.pk)
    if send:
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        messages.success(request, _("Macro «%(name)s» verzonden.") % {"name": macro.name})
        return redirect("tickets:detail", number=ticket.pk)
    if is_htmx(request):
        response = render(
            request,
            "automation/partials/macro_result.html",
            {"macro": macro, "applied": applied},
        )
        response["HX-Trigger"] = json.dumps({"balie:macro": {"text": applied.text}})
        return response
    from balie.tickets.forms import ReplyForm

    reply_form = ReplyForm(initial={"text": applied.text})
    return render(
        request,
        "automation/macro_applied.html",
        {"ticket": ticket, "macro": macro, "applied": applied, "reply_form": reply_form},
    )


@agent_required
@require_POST
def ticket_snooze(request: HttpRequest, number: int) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    ticket = get_ticket_for(agent, number)
    form = SnoozeForm(request.POST)
    if form.is_valid():
        try:
            actions.snooze_ticket(ticket, by=agent, until=form.cleaned_data["until"])
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Het ticket staat in de wacht."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("until", [])))
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("tickets:detail", number=ticket.pk)
