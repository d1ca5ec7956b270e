"""Beheer pages for the routing engine (admins only, as the other `/beheer/…` pages): each
team's routing settings and each agent's skills. The forms run the models' own checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from balie.accounts.models import Agent, Team
from balie.accounts.views import agent_required

from . import engine
from .forms import AgentSkillsForm, TeamRoutingForm
from .models import LIVE_CHANNELS, AgentSkills, TeamRouting, routing_for


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
    return render(request, "routing/beheer_overview.html", {"teams": teams, "agents": agents})


@admin_required
@require_http_methods(["GET", "POST"])
def team_routing(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    form = TeamRoutingForm(request.POST or None, instance=routing_for(team))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            # A higher cap or another mode may let waiting chats through at once.
            for channel in LIVE_CHANNELS:
                transaction.on_commit(lambda c=channel: engine.dispatch(team.pk, c))
        messages.success(
            request, _("Routering van %(team)s opgeslagen.") % {"team": saved.team.name}
        )
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
        form.save()
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
