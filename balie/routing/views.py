"""The agent's presence and offers (top bar, heartbeats) and the supervisor page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from balie.accounts.models import Agent, Team
from balie.accounts.views import agent_required
from balie.tickets.access import tickets_for
from balie.tickets.models import Channel

from . import actions, engine
from .models import (
    LIVE_CHANNELS,
    AwayReason,
    EntryState,
    Offer,
    OfferState,
    Presence,
    PresenceState,
    QueueEntry,
)
from .queues import queue_figures


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def selector_context(agent: Agent) -> dict[str, Any]:
    """What the top bar's presence selector shows: the agent's state, and the offers waiting
    for them."""
    presence = Presence.objects.filter(agent=agent).first() or Presence(agent=agent)
    offers: list[Offer] = []
    load = 0
    if presence.state != PresenceState.OFFLINE:  # offline: no offers, chats handed back
        offers = list(
            Offer.objects.filter(
                agent=agent, state=OfferState.OFFERED, expires_at__gt=timezone.now()
            )
            .select_related("ticket")
            .order_by("created_at")
        )
        load = QueueEntry.objects.filter(
            agent=agent,
            state__in=[EntryState.OFFERED, EntryState.ASSIGNED],
            channel__in=LIVE_CHANNELS,
        ).count()
    return {
        "presence": presence,
        "states": PresenceState.choices,
        "reasons": [(v, label) for v, label in AwayReason.choices if v != AwayReason.INACTIVE],
        "offers": offers,
        "load": load,
    }


def _selector(request: HttpRequest, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "routing/partials/presence_state.html",
        selector_context(request.agent),  # type: ignore[attr-defined]
        status=status,
    )


@agent_required
@require_GET
def presence_selector(request: HttpRequest) -> HttpResponse:
    return _selector(request)


@agent_required
@require_POST
def set_presence(request: HttpRequest) -> HttpResponse:
    state = request.POST.get("state", "")
    reason = request.POST.get("reason", "")
    if state.startswith("away:"):  # one menu: "away:break", "away:meeting"
        state, reason = PresenceState.AWAY, state.split(":", 1)[1]
    try:
        presence = actions.set_presence(request.agent, state, reason=reason)  # type: ignore[attr-defined]
    except actions.RoutingError as exc:
        if _is_htmx(request):
            return _selector(request, status=400)
        return JsonResponse({"error": str(exc)}, status=400)
    if _is_htmx(request):
        return _selector(request)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"state": presence.state, "reason": presence.reason})
    return redirect(_safe_next(request))


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("tickets:inbox")


@agent_required
@require_POST
def heartbeat(request: HttpRequest) -> HttpResponse:
    active = request.POST.get("active", "1") not in ("0", "false", "")
    presence = actions.heartbeat(request.agent, active=active)  # type: ignore[attr-defined]
    return JsonResponse({"state": presence.state, "reason": presence.reason})


def _offer_id(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@agent_required
@require_POST
def accept_offer(request: HttpRequest, pk: int) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    try:
        ticket = actions.accept_offer(pk, agent=agent)
    except actions.RoutingError as exc:
        if _is_htmx(request):
            response = _selector(request, status=409)
            response["HX-Retarget"] = "#presence-selector"
            return response
        return JsonResponse({"error": str(exc)}, status=409)
    url = reverse("tickets:detail", args=[ticket.pk])
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return JsonResponse({"ticket": ticket.pk, "url": url})


@agent_required
@require_POST
def decline_offer(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.decline_offer(pk, agent=request.agent)  # type: ignore[attr-defined]
    except actions.RoutingError as exc:
        if _is_htmx(request):
            return _selector(request, status=409)
        return JsonResponse({"error": str(exc)}, status=409)
    if _is_htmx(request):
        return _selector(request)
    return JsonResponse({"ok": True})


# --- the supervisor page --------------------------------------------------------------------


def _supervised_teams(agent: Agent) -> list[Team]:
    if agent.is_admin:
        return list(Team.objects.order_by("name"))
    return list(agent.teams.order_by("name"))


def supervisor_context(agent: Agent) -> dict[str, Any]:
    teams = _supervised_teams(agent)
    now = timezone.now()
    figures = queue_figures(teams, now=now)
    channel_names = dict(Channel.choices)
    members: dict[int, list[dict[str, Any]]] = {}
    agents = list(
        Agent.objects.active()
        .filter(teams__in=teams)
        .distinct()
        .select_related("presence")
        .prefetch_related("teams")
        .order_by("display_name")
    )
    chat_load = engine.loads([a.pk for a in agents], LIVE_CHANNELS[0])
    ticket_load = engine.loads([a.pk for a in agents], "email")
    for member in agents:
        presence = getattr(member, "presence", None) or Presence(agent=member)
        row = {
            "agent": member,
            "presence": presence,
            "chats": chat_load[member.pk],
            "tickets": ticket_load[member.pk],
        }
        for team in member.teams.all():
            members.setdefault(team.pk, []).append(row)
    sections = []
    for team in teams:
        settings = engine.settings_of(team.pk)
        sections.append(
            {
                "team": team,
                "settings": settings,
                "queues": [
                    {**vars(f), "channel_name": channel_names.get(f.channel, f.channel)}
                    for f in figures
                    if f.team.pk == team.pk
                ],
                "members": members.get(team.pk, []),
            }
        )
    return {"sections": sections, "now": now}


def _lead_only(request: HttpRequest) -> HttpResponse | None:
    if not request.agent.is_team_lead:  # type: ignore[attr-defined]
        return render(request, "403.html", status=403)
    return None


@agent_required
@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    if (refused := _lead_only(request)) is not None:
        return refused
    context = supervisor_context(request.agent)  # type: ignore[attr-defined]
    template = (
        "routing/partials/supervisor_body.html" if _is_htmx(request) else "routing/supervisor.html"
    )
    return render(request, template, context)


@agent_required
@require_POST
def force_assign(request: HttpRequest) -> HttpResponse:
    if (refused := _lead_only(request)) is not None:
        return refused
    lead = request.agent  # type: ignore[attr-defined]
    number, agent_id = _offer_id(request.POST.get("ticket")), _offer_id(request.POST.get("agent"))
    ticket = tickets_for(lead).filter(pk=number).first() if number else None
    teams = {t.pk for t in _supervised_teams(lead)}
    agent = (
        Agent.objects.active().filter(pk=agent_id, teams__in=teams).distinct().first()
        if agent_id
        else None
    )
    if ticket is None or agent is None:
        messages.error(request, _("Kies een ticket uit de wachtrij en een medewerker."))
    elif ticket.team_id not in teams:
        messages.error(request, _("Dit ticket hoort niet bij uw teams."))
    else:
        try:
            actions.force_assign(ticket, agent, by=lead)
        except actions.RoutingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Ticket #%(number)s is toegewezen aan %(name)s.")
                % {"number": ticket.pk, "name": agent.display_name},
            )
    return redirect("routing:supervisor")
