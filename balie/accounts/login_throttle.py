"""Failed logins are counted per account and per client address in the cache (Redis in
production, so the count holds across every web process). Past BALIE_LOGIN_FAILURE_LIMIT
("10/900": 10 failures in 15 minutes) logins are refused, with the right password too, until
the window ends; the lockout is written to the security log. Keys are hashed: no user name or
address is kept in the cache in the clear."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

from balie.core.actors import SYSTEM

from .actions import record_lockout

logger = logging.getLogger(__name__)


def _limit() -> tuple[int, int]:
    count, _sep, seconds = str(settings.BALIE_LOGIN_FAILURE_LIMIT).partition("/")
    return max(1, int(count)), max(1, int(seconds or 900))


def window_seconds() -> int:
    return _limit()[1]


def _key(scope: str, value: str) -> str:
    digest = hashlib.sha256(f"{scope}\0{value}".encode()).hexdigest()[:32]
    return f"balie:login-failures:{scope}:{digest}"


def _keys(username: str, address: str) -> dict[str, str]:
    keys = {}
    if username.strip():
        keys["account"] = _key("account", username.strip().lower())
    if address:
        keys["address"] = _key("address", address)
    return keys


def is_locked(username: str, address: str) -> bool:
    count, _seconds = _limit()
    counts = cache.get_many(list(_keys(username, address).values()))
    return any(int(value) >= count for value in counts.values())


def record_failure(username: str, address: str) -> None:
    """Count a failed login; the failure that reaches the limit locks out and is logged."""
    count, seconds = _limit()
    reached = []
    for scope, key in _keys(username, address).items():
        cache.add(key, 0, timeout=seconds)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds)
            failures = 1
        if failures == count:
            reached.append(scope)
    if reached:
        detail = f"{count} mislukte inlogpogingen in {seconds // 60} minuten per " + " en ".join(
            {"account": "account", "address": "adres"}[scope] for scope in reached
        )
        record_lockout(username=username, address=address, detail=detail, by=SYSTEM)
        logger.warning("login locked out (%s) from %s", ", ".join(reached), address)


def record_success(username: str) -> None:
    """A correct login ends the account's count (the address's stays)."""
    keys = _keys(username, "")
    if keys:
        cache.delete(keys["account"])
