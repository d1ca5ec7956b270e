"""Authentication for the REST API: a bearer token acts as its agent; a logged-in agent's
browser session works too (with CSRF for writes). Either way `request.agent` is set and the
agent's permissions apply exactly as in the UI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import Agent, ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Agent | None:
        api_token = ApiToken.objects.find(token)
        if api_token is None or not api_token.agent.user.is_active:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.agent = api_token.agent  # type: ignore[attr-defined]
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.agent


class AgentSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: Any) -> Agent | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        agent = Agent.objects.filter(user=user).first()
        if agent is None:
            return None
        request.agent = agent  # type: ignore[attr-defined]
        return agent


agent_auth = [TokenAuth(), AgentSessionAuth()]


def ingest_token(request: HttpRequest) -> ApiToken | None:
    """The token of a mail server or integration allowed to deliver raw messages."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    api_token = ApiToken.objects.find(raw.strip())
    if api_token is None or not api_token.can_ingest or not api_token.agent.user.is_active:
        return None
    return api_token
