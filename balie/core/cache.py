"""Django's Redis cache with one connection pool per process.

Django makes a cache object per request context (thread or async task), and each of them
opened its own connection pool: under ASGI every request paid a new Redis connection (TCP
connect and handshake) on its first cache call, a fifth of the time of a mail server's delivery.
Here every cache object of a process shares the pool of its server URL; redis-py's pools are
thread-safe and start afresh in a forked worker.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

_pools: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


class SharedPoolClient(RedisCacheClient):
    def _get_connection_pool(self, write: bool) -> Any:
        url = self._servers[self._get_connection_pool_index(write)]
        key = (url, repr(sorted(self._pool_options.items(), key=lambda kv: kv[0])))
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(url, **self._pool_options)
        return pool


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedPoolClient
