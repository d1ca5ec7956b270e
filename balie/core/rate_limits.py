"""Rate limits for the public pages (contact form, portal log-in, chat widget), in the cache.

The cache is Redis in production, so a limit holds across every web process; each limit is a
fixed window counter per scope and key ("count/seconds", e.g. "5/600"). Keys are hashed, so no
e-mail address or IP address is stored in the cache in the clear.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class RateLimit:
    count: int
    seconds: int

    @classmethod
    def parse(cls, spec: str) -> RateLimit:
        """'5/600' -> at most 5 per 600 seconds."""
        count, _sep, seconds = spec.partition("/")
        try:
            limit = cls(int(count), int(seconds or 60))
        except ValueError:
            raise ValueError(f"rate limit must look like 'count/seconds', not {spec!r}") from None
        if limit.count < 1 or limit.seconds < 1:
            raise ValueError(f"rate limit must be positive: {spec!r}")
        return limit


def _cache_key(scope: str, key: str, limit: RateLimit) -> str:
    window = int(time.time() // limit.seconds)
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:32]
    return f"balie:ratelimit:{scope}:{digest}:{window}"


def hit(scope: str, key: str, limit: RateLimit) -> bool:
    """Count one attempt; True when it is still within the limit."""
    cache_key = _cache_key(scope, key, limit)
    cache.add(cache_key, 0, timeout=limit.seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=limit.seconds + 1)
        count = 1
    return count <= limit.count


def hit_all(scope: str, keys: dict[str, str], limit: RateLimit) -> bool:
    """Count one attempt under each key (ip, email, …); True when every one is within the
    limit. Every key is counted, so a blocked address cannot be reset from another IP."""
    results = [hit(f"{scope}:{name}", value, limit) for name, value in keys.items() if value]
    return all(results)
