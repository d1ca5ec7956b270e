from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import (
    Agent,
    ApiToken,
    SecurityEvent,
    SecurityEventKind,
    TokenScope,
    hash_token,
)


def create_api_token(
    agent: Agent, *, name: str, scope: str = TokenScope.READ_WRITE, by: Any, raw: str = ""
) -> tuple[ApiToken, str]:
    """Create a token; returns it with its raw value, which is shown once and never stored."""
    raw = raw or ApiToken.generate()
    token = ApiToken.objects.create(
        agent=agent, name=name, prefix=raw[:10], key_hash=hash_token(raw), scope=scope
    )
    return token, raw


def revoke_api_token(token: ApiToken, *, by: Any) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    return token


def record_lockout(*, username: str, address: str, detail: str, by: Any) -> SecurityEvent:
    """Write a login lockout to the security log the admins read."""
    return SecurityEvent.objects.create(
        kind=SecurityEventKind.LOGIN_LOCKED,
        username=username.strip()[:150],
        address=address[:64],
        detail=detail[:300],
    )
