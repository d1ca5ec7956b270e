"""Which team a new ticket goes to. Rules in code, read top to bottom."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from balie.accounts.models import Team

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
    return (
        Team.objects.filter(slug=slug).first()
        or Team.objects.filter(is_private=False).order_by("name").first()
    )
