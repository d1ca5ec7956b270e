"""Which team a new ticket goes to (`choose_team`, rules in code, read top to bottom).

The routing engine's actions are in `agents.py` (presence, offers, transfers) and
`queues.py` (queue position, admission); they are re-exported here."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from balie.accounts.models import Agent, Team
from balie.core.actors import Actor, actor_fields
from balie.core.process_cache import ProcessCache

from .engine import dispatch
from .models import LIVE_CHANNELS, AgentSkills, RoutingChange, TeamRouting

# Contact-form topics and the team (slug) that handles them.
TOPIC_TEAMS = {
    "billing": "facturen",
    "incident": "techniek",
    "meter_reading": "techniek",
}
DEFAULT_TEAM_SLUG = "klantenservice"


def choose_team(
    *, channel: str, account: Any = None, claims: Mapping[str, str] | None = None
) -> Team | None:
    """The team of the account the message came in on; else by the topic the customer chose;
    else the default team."""
    if account is not None and getattr(account, "team_id", None):
        return account.team
    topic = (claims or {}).get("topic", "")
    slug = TOPIC_TEAMS.get(topic, DEFAULT_TEAM_SLUG)
    known = teams.get()
    team = known.by_slug.get(slug) or known.first_public
    return copy.copy(team) if team else None


@dataclass(frozen=True)
class KnownTeams:
    by_slug: dict[str, Team]
    first_public: Team | None


def _load_teams() -> KnownTeams:
    rows = list(Team.objects.order_by("name", "id"))
    return KnownTeams(
        by_slug={t.slug: t for t in rows},
        first_public=next((t for t in rows if not t.is_private), None),
    )


# Read for every new ticket, changed rarely: kept per process (see ProcessCache).
teams: ProcessCache[KnownTeams] = ProcessCache("routing-teams", _load_teams)
post_save.connect(teams.forget, sender=Team, dispatch_uid="routing-teams")
post_delete.connect(teams.forget, sender=Team, dispatch_uid="routing-teams")


def change_team_routing(
    team: Team, *, values: Mapping[str, Any], by: Actor
) -> RoutingChange | None:
    """Save a team's routing settings (checked by `TeamRouting.clean`) and write what changed to
    the audit trail. Takes effect at once: the live queues are handed out again after commit."""
    with transaction.atomic():
        routing = TeamRouting.objects.select_for_update().filter(team=team).first()
        routing = routing or TeamRouting(team=team)
        record = _change(routing, values, by=by, team=team, subject=team.name)
        for channel in LIVE_CHANNELS:
            transaction.on_commit(partial(dispatch, team.pk, channel))
    return record


def change_agent_skills(
    agent: Agent, *, values: Mapping[str, Any], by: Actor
) -> RoutingChange | None:
    """Save an agent's skills (checked by `AgentSkills.clean`), with the audit trail."""
    with transaction.atomic():
        skills = AgentSkills.objects.select_for_update().filter(agent=agent).first()
        skills = skills or AgentSkills(agent=agent)
        return _change(skills, values, by=by, agent=agent, subject=agent.display_name)


def _stored(row: Any, name: str) -> Any:
    value = getattr(row, name)
    if isinstance(value, Team):
        return value.name
    return list(value) if isinstance(value, list) else value


def _change(
    row: Any, values: Mapping[str, Any], *, by: Actor, subject: str, **about: Any
) -> RoutingChange | None:
    before = {name: _stored(row, name) for name in values}
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean()
    changes = {
        name: [before[name], _stored(row, name)]
        for name in values
        if before[name] != _stored(row, name)
    }
    if row.pk is not None and not changes:
        return None
    row.save()
    agent, name = actor_fields(by)
    return RoutingChange.objects.create(
        at=timezone.now(),
        by=agent,
        by_name=name,
        subject=subject,
        changes=changes,
        **about,
    )


from .agents import (  # noqa: E402,F401
    OfferGone,
    RoutingError,
    accept_offer,
    decline_offer,
    finish,
    force_assign,
    heartbeat,
    load_of,
    release,
    set_presence,
    transfer,
)
from .models import routing_for  # noqa: E402,F401
from .queues import (  # noqa: E402,F401
    Admission,
    QueuePosition,
    admission,
    anyone_online,
    queue_position,
    tick,
)
