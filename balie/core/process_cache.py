"""Values read on every inbound message but changed rarely by an admin (automation rules, own
mailbox addresses, the default team), kept per process.

Each `ProcessCache` loads its value on first use and keeps it until its version in the shared
cache (Redis in production) changes; a process checks that version at most every
`check_every` seconds, so a change made in another process shows within a second. A change in
this process (`forget()`, called from the model's save and delete) shows at once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

_all: list[ProcessCache[object]] = []


class ProcessCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, check_every: float = 1.0) -> None:
        self.key = f"process-cache:{name}:version"
        self.load = load
        self.check_every = check_every
        self._value: T | None = None
        self._loaded = False
        self._version: str | None = None
        self._checked = 0.0
        _all.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        now = time.monotonic()
        if not self._loaded or now - self._checked >= self.check_every:
            version = cache.get(self.key)
            if version is None:
                cache.add(self.key, uuid.uuid4().hex, timeout=None)
                version = cache.get(self.key)
            if not self._loaded or version != self._version:
                self._value = self.load()
                self._loaded = True
                self._version = version
            self._checked = now
        return self._value  # type: ignore[return-value]

    def peek(self) -> T | None:
        """The value when `get` would return it without asking the shared cache or loading
        it (loaded, and its version checked within `check_every`), else None: for code that
        must not wait on I/O, such as an event loop, which then calls `get` in a thread."""
        if self._loaded and time.monotonic() - self._checked < self.check_every:
            return self._value
        return None

    def drop(self) -> None:
        """Forget the value in this process only."""
        self._loaded = False
        self._value = None

    def forget(self, *_args: object, **_kwargs: object) -> None:
        """The value changed: reload it here at once and in every other process soon.
        (Takes any arguments, so that it can receive model signals.)"""
        cache.set(self.key, uuid.uuid4().hex, timeout=None)
        self.drop()

    def changed(self, *_args: object, **_kwargs: object) -> None:
        """`forget`, for values that decide who may see or do what: this process reloads at
        once (it sees its own uncommitted change), the others once the change is committed,
        so that none of them reloads the old value under the new version and keeps it."""
        self.drop()
        transaction.on_commit(self.forget)


def drop_process_caches() -> None:
    """Forget every process cache in this process (tests: each starts from its database)."""
    for item in _all:
        item.drop()
