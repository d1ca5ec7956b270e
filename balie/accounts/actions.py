from __future__ import annotations

from django.utils import timezone

from balie.core.actors import Actor

from .models import (
    Agent,
    ApiToken,
    Density,
    SecurityEvent,
    SecurityEventKind,
    TokenScope,
    hash_token,
)


def create_api_token(
    agent: Agent, *, name: str, scope: str = TokenScope.READ_WRITE, by: Actor, raw: str = ""
) -> tuple[ApiToken, str]:
    """Create a token; returns it with its raw value, which is shown once and never stored."""
    raw = raw or ApiToken.generate()
    token = ApiToken.objects.create(
        agent=agent, name=name, prefix=raw[:10], key_hash=hash_token(raw), scope=scope
    )
    return token, raw


def revoke_api_token(token: ApiToken, *, by: Actor) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    return token


def record_lockout(*, username: str, address: str, detail: str, by: Actor) -> SecurityEvent:
    """Write a login lockout to the security log the admins read."""
    return SecurityEvent.objects.create(
        kind=SecurityEventKind.LOGIN_LOCKED,
        username=username.strip()[:150],
        address=address[:64],
        detail=detail[:300],
    )


def remember_inbox_sort(agent: Agent, *, view: str, sort: str, by: Actor) -> Agent:
    """The sort the agent chose for one inbox view, kept for their next visit (any session)."""
    sorts = dict(agent.inbox_sorts) if isinstance(agent.inbox_sorts, dict) else {}
    if sorts.get(view) == sort:
        return agent
    sorts[view] = sort
    agent.inbox_sorts = sorts
    agent.save(update_fields=["inbox_sorts", "updated_at"])
    return agent


def set_inbox_density(agent: Agent, *, density: str, by: Actor) -> Agent:
    """Compact (one line per ticket) or comfortable rows in the agent's inbox."""
    if density not in Density.values:
        raise ValueError(f"unknown density {density!r}")
    if agent.inbox_density != density:
        agent.inbox_density = density
        agent.save(update_fields=["inbox_density", "updated_at"])
    return agent
