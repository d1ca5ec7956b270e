"""Requests that arrive together are handled together: group commit for a view.

Under ASGI every request runs its view in a thread of its own. A view hands its job to a
`GroupCommit` and waits. The first job finds nobody handling and is handled at once, a batch of
one, in its own request's thread; the jobs that arrive meanwhile wait, and when that batch is
done the first of them handles all of them as the next batch, in one call of `handle` (one
transaction, the statements of the batch shared). Each view gets its own result, or its own
exception, once `handle` returns: with `handle` committing before it returns, nothing is
answered before it is durable. A single request (a test client, a quiet hour) is a batch of
one and waits for nothing.

Left alone, four clients fall into batches of one and three by turns: the lone job of one is
being handled when the three answered before it come back. So the job about to handle a
batch first waits until as many jobs wait as there were in the system when the last batch
was done (its own and those that arrived meanwhile: the clients that keep this process
busy), for at most as long as the last batch took and never more than `linger` seconds. One
client alone never waits; a client that went away costs one batch that wait once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")


class _Entry:
    __slots__ = ("done", "job", "lead", "result")

    def __init__(self, job: Any) -> None:
        self.job = job
        self.done = threading.Event()
        self.lead = False  # woken to handle the next batch, not with its result
        self.result: Any = None


class GroupCommit(Generic[J, R]):
    """`submit(job)` returns what `handle` gave for that job: `handle(jobs)` returns one
    result per job, in order, an exception instance for a job that failed on its own (it is
    raised in that job's view). An exception out of `handle` itself fails the whole batch."""

    def __init__(
        self,
        handle: Callable[[list[J]], Sequence[R | BaseException]],
        *,
        max_batch: int = 64,
        linger: float = 0.02,
    ) -> None:
        self.handle = handle
        self.max_batch = max_batch
        self.linger = linger
        self._lock = threading.Condition()
        self._waiting: list[_Entry] = []
        self._handling = False
        self._busy = 1  # jobs in the system when the last batch was done
        self._took = 0.0  # seconds the last batch took

    def submit(self, job: J) -> R:
        entry = _Entry(job)
        with self._lock:
            self._waiting.append(entry)
            lead = not self._handling
            self._handling = True
            self._lock.notify_all()
        if not lead:
            entry.done.wait()
            if not entry.lead:
                return self._answer(entry)
        self._handle_next()
        return self._answer(entry)

    def _handle_next(self) -> None:
        """Handle the waiting jobs (this thread's own among them, the first), then wake the
        first job that arrived meanwhile to handle the next batch."""
        with self._lock:
            expected = min(self._busy, self.max_batch)
            deadline = time.monotonic() + min(self.linger, self._took)
            while len(self._waiting) < expected:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
        started = time.monotonic()
        try:
            results: Sequence[Any] = self.handle([entry.job for entry in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} results for {len(batch)} jobs")
        except BaseException as exc:
            results = [exc] * len(batch)
        finally:
            with self._lock:
                self._took = time.monotonic() - started
                self._busy = len(batch) + len(self._waiting)
                following = self._waiting[0] if self._waiting else None
                self._handling = following is not None
            if following is not None:
                following.lead = True
                following.done.set()
        for entry, result in zip(batch, results, strict=True):
            entry.result = result
            entry.lead = False
            entry.done.set()

    @staticmethod
    def _answer(entry: _Entry) -> Any:
        if isinstance(entry.result, BaseException):
            raise entry.result
        return entry.result
