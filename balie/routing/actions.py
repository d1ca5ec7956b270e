"""Which team a new ticket goes to (`choose_team`, rules in code, read top to bottom).

The routing engine's actions are in `agents.py` (presence, offers, transfers) and
`queues.py` (queue position, admission); they are re-exported here."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import post_delete, post_save

from balie.accounts.models import Team
from balie.core.process_cache import ProcessCache

# Contact-form topics and the team (slug) that handles them.
TOPIC_TEAMS = {
    "factuur": "facturen",
    "betaling": "facturen",
    "storing": "techniek",
    "meterstand": "techniek",
    "aansluiting": "techniek",
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
