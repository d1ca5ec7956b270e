"""Authentication for the REST API: a bearer token acts as its agent within its scope; a
logged-in agent's browser session works too (with CSRF for writes). Either way `request.agent`
is set and the agent's permissions apply exactly as in the UI.

A token's scope is checked here, for every endpoint that takes a token: reading (GET, HEAD,
OPTIONS) needs a read scope, anything else a write scope; an ingest-only token reads and
writes nothing but deliveries (`ingest_token`)."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth

from balie.core.process_cache import ProcessCache

from .models import Agent, ApiToken, TokenScope, hash_token

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Agent | None:
        api_token = live_token(token)
        if api_token is None or not api_token.agent.user.is_active:
            # A bearer token was given: the caller means token authentication, so an unknown,
            # revoked or deactivated token is refused as such (401), also for a write, where
            # falling through to the session would answer with a CSRF refusal instead.
            raise AuthenticationError()
        check_scope(api_token, reading=request.method in SAFE_METHODS)
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
            cached = api_tokens.get().get(api_token.key_hash)
            if cached is not None:
                cached.last_used_at = now
        request.agent = api_token.agent  # type: ignore[attr-defined]
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.agent


def live_token(raw: str) -> ApiToken | None:
    """The unrevoked token with this raw value, with its agent and user, as a copy of its own
    for the request (nothing a request sets on it stays for the next). The tokens are kept per
    process (`api_tokens`): read on every API request, changed rarely; a new token, a
    revocation, a changed agent or user shows at once in the process that made it and in the
    others within a second of the commit."""
    if not raw:
        return None
    cached = api_tokens.get().get(hash_token(raw))
    if cached is None:
        return None
    token = copy.copy(cached)
    agent = copy.copy(cached.agent)
    agent.__dict__.pop("_team_ids", None)
    agent.user = copy.copy(cached.agent.user)
    token.agent = agent
    return token


def _load_api_tokens() -> dict[str, ApiToken]:
    return {
        token.key_hash: token
        for token in ApiToken.objects.filter(revoked_at__isnull=True).select_related("agent__user")
    }


api_tokens: ProcessCache[dict[str, ApiToken]] = ProcessCache("api-tokens", _load_api_tokens)


def check_scope(api_token: ApiToken, *, reading: bool) -> None:
    """Raise 403 with the reason when the token's scope does not allow the request."""
    if reading and not api_token.can_read:
        raise HttpError(
            403,
            _(
                "Dit token mag alleen berichten aanleveren (bevoegdheid %(scope)s), "
                "geen gegevens lezen."
            )
            % {"scope": api_token.get_scope_display()},
        )
    if not reading and not api_token.can_write:
        raise HttpError(
            403,
            _("Dit token mag niets wijzigen (bevoegdheid %(scope)s).")
            % {"scope": api_token.get_scope_display()},
        )


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


def ingest_token(
    authorization: str, *, tokens: dict[str, ApiToken] | None = None
) -> ApiToken | None:
    """The token of a mail server or integration allowed to deliver raw messages, from the
    Authorization header. Read on every delivery: the few ingest tokens are kept per process
    (see `ProcessCache`); revoking a token, or deactivating its agent's user, shows in every
    process within a second. `tokens`: what `ingest_tokens.peek()` gave (an event loop that
    may not wait for Redis or the database)."""
    scheme, _sep, raw = authorization.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return (ingest_tokens.get() if tokens is None else tokens).get(hash_token(raw.strip()))


def _load_ingest_tokens() -> dict[str, ApiToken]:
    return {
        token.key_hash: token
        for token in ApiToken.objects.filter(
            scope__in=(TokenScope.INGEST, TokenScope.ADMIN),
            revoked_at__isnull=True,
            agent__user__is_active=True,
        ).only("id", "prefix", "key_hash", "scope", "agent_id")
    }


ingest_tokens: ProcessCache[dict[str, ApiToken]] = ProcessCache(
    "ingest-tokens", _load_ingest_tokens
)
for _model in (ApiToken, Agent, get_user_model()):
    post_save.connect(api_tokens.changed, sender=_model, dispatch_uid=f"api-tokens-{_model}")
    post_delete.connect(api_tokens.changed, sender=_model, dispatch_uid=f"api-tokens-{_model}")
    post_save.connect(ingest_tokens.forget, sender=_model, dispatch_uid=f"ingest-tokens-{_model}")
    post_delete.connect(ingest_tokens.forget, sender=_model, dispatch_uid=f"ingest-tokens-{_model}")
