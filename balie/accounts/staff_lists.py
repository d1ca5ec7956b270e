"""The teams, who is in which, and the active agents, as the inbox's filters list them: read on
every inbox page and changed rarely by an admin, so kept per process (`ProcessCache`). A change
shows at once in the process that made it and within a second of its commit in the others,
as for the private teams whose tickets an agent may not see (`tickets.models.private_teams`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save

from balie.core.process_cache import ProcessCache

from .models import Agent, Team


@dataclass(frozen=True)
class TeamEntry:
    """A team as a list shows it (the inbox's team filter and its sidebar)."""

    pk: int
    name: str
    is_private: bool


@dataclass(frozen=True)
class StaffLists:
    teams: tuple[TeamEntry, ...]  # by name
    members: dict[int, frozenset[int]]  # agent -> their teams
    agents: tuple[tuple[int, str], ...]  # active agents (number, name), by name


def _load() -> StaffLists:
    members: dict[int, set[int]] = defaultdict(set)
    for agent_id, team_id in Agent.teams.through.objects.values_list("agent_id", "team_id"):
        members[agent_id].add(team_id)
    return StaffLists(
        teams=tuple(
            TeamEntry(pk, name, private)
            for pk, name, private in Team.objects.order_by("name").values_list(
                "pk", "name", "is_private"
            )
        ),
        members={agent: frozenset(teams) for agent, teams in members.items()},
        agents=tuple(
            Agent.objects.active().order_by("display_name").values_list("pk", "display_name")
        ),
    )


staff_lists: ProcessCache[StaffLists] = ProcessCache("staff-lists", _load)
for _model in (Team, Agent, get_user_model()):
    post_save.connect(staff_lists.changed, sender=_model, dispatch_uid=f"staff-lists-{_model}")
    post_delete.connect(staff_lists.changed, sender=_model, dispatch_uid=f"staff-lists-{_model}")
m2m_changed.connect(staff_lists.changed, sender=Agent.teams.through, dispatch_uid="staff-lists")


def known_team_ids(agent: Agent) -> set[int]:
    """`agent.team_ids()` from the lists, remembered on the agent for the rest of the request."""
    found = set(staff_lists.get().members.get(agent.pk, ()))
    agent._team_ids = found
    return found


def teams_visible_to(agent: Agent) -> list[TeamEntry]:
    """Teams whose tickets the agent may see, by name: the public ones and their own (an
    admin: all). As `tickets.forms.visible_teams` reads them from the database."""
    teams = staff_lists.get().teams
    if agent.is_admin:
        return list(teams)
    own = known_team_ids(agent)
    return [team for team in teams if not team.is_private or team.pk in own]


def other_active_agents(agent: Agent) -> list[tuple[int, str]]:
    """Every active agent but `agent`, (number, name) by name."""
    return [(pk, name) for pk, name in staff_lists.get().agents if pk != agent.pk]
