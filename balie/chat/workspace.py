"""The agents' chat workspace page: incoming chats live, several side by side up to the cap;
the page script speaks `/ws/werkplek/` (balie/chat/workspace_socket.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from balie.accounts.models import Agent, Team
from balie.accounts.views import agent_required
from balie.automation.models import Macro

from . import desk


@agent_required
def page(request: HttpRequest) -> HttpResponse:
    agent = request.agent  # type: ignore[attr-defined]
    macros = [
        {"name": m.name, "body": m.body, "language": m.language}
        for m in Macro.objects.filter(is_active=True).order_by("position", "name")
    ]
    colleagues = [
        {"id": a.pk, "name": a.display_name}
        for a in Agent.objects.filter(user__is_active=True).exclude(pk=agent.pk)
    ]
    teams = [{"id": t.pk, "name": t.name} for t in Team.objects.order_by("name")]
    return render(
        request,
        "chat/workspace.html",
        {
            "cap": desk.cap_of(agent),
            "setup": {
                "macros": macros,
                "agents": colleagues,
                "teams": teams,
                "cap": desk.cap_of(agent),
            },
        },
    )
