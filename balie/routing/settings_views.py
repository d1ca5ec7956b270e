"""Beheer pages for the routing engine (admins only, as the other `/beheer/…` pages): each
team's routing settings and each agent's skills. The forms run the models' own checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from balie.accounts.models import Agent, Team
from balie.accounts.views import agent_required

from . import actions
from .forms import AgentSkillsForm, TeamRoutingForm
from .models import AgentSkills, RoutingChange, TeamRouting, routing_for

CHANGES_SHOWN = 30


def admin_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @agent_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.agent.is_admin:  # type: ignore[attr-defined]
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


@admin_required
@require_GET
def routing_overview(request: HttpRequest) -> HttpResponse:
    rows = {row.team_id: row for row in TeamRouting.objects.all()}
    teams = [(team, rows.get(team.pk) or TeamRouting(team=team)) for team in Team.objects.all()]
    skills = {row.agent_id: row for row in AgentSkills.objects.all()}
    agents = [
        (agent, skills.get(agent.pk) or AgentSkills(agent=agent))
        for agent in Agent.objects.active().order_by("display_name")
    ]
    changes = RoutingChange.objects.select_related("team", "agent")[:CHANGES_SHOWN]
    return render(
        request,
        "routing/beheer_overview.html",
        {"teams": teams, "agents": agents, "changes": changes},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def team_routing(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    form = TeamRoutingForm(request.POST or None, instance=routing_for(team))
    if request.method == "POST" and form.is_valid():
        # A higher cap or another mode lets waiting chats through at once.
        actions.change_team_routing(team, values=form.cleaned_data, by=request.agent)  # type: ignore[attr-defined]
        messages.success(request, _("Routering van %(team)s opgeslagen.") % {"team": team.name})
        return redirect("routing:beheer")
    return render(
        request,
        "routing/beheer_form.html",
        {"form": form, "title": _("Routering van %(team)s") % {"team": team.name}},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def agent_skills(request: HttpRequest, pk: int) -> HttpResponse:
    agent = get_object_or_404(Agent.objects.active(), pk=pk)
    current = AgentSkills.objects.filter(agent=agent).first() or AgentSkills(agent=agent)
    form = AgentSkillsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        actions.change_agent_skills(agent, values=form.cleaned_data, by=request.agent)  # type: ignore[attr-defined]
        messages.success(
            request, _("Vaardigheden van %(agent)s opgeslagen.") % {"agent": agent.display_name}
        )
        return redirect("routing:beheer")
    return render(
        request,
        "routing/beheer_form.html",
        {"form": form, "title": _("Vaardigheden van %(agent)s") % {"agent": agent.display_name}},
        status=400 if form.errors else 200,
    )
