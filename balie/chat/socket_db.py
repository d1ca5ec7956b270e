"""Database work of the chat sockets, off the event loop.

Each call runs in a thread of the loop's pool, not in the one thread all synchronous code of
the process shares, so that one chat's pipeline run does not hold up every other socket. A
pooled thread keeps no database connection between calls: the connection goes back to the
process's pool when the call ends, so many sockets and many threads never hold more
connections than they use at that moment (a kept one per thread emptied the pool). What the
call publishes after commit is handed to the socket's loop (`realtime.handed_to`): the thread
does not wait for the channel layer.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from balie.core import realtime

_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    """The sockets' own threads, as many as the process may hold database connections
    (`BALIE_CHAT_SOCKET_THREADS`): the loop's default pool (six threads on two cores) kept an
    agent's answers waiting for a thread while the database had connections to spare."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(
            max_workers=settings.BALIE_CHAT_SOCKET_THREADS, thread_name_prefix="chat-socket"
        )
    return _executor


def database_sync_to_async(func: Callable[..., Any]) -> Callable[..., Any]:
    def call(loop: asyncio.AbstractEventLoop, *args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            with realtime.handed_to(loop):
                return func(*args, **kwargs)
        finally:
            connections.close_all()

    @functools.wraps(func)
    async def run(*args: Any, **kwargs: Any) -> Any:
        in_thread = sync_to_async(call, thread_sensitive=False, executor=executor())
        return await in_thread(asyncio.get_running_loop(), *args, **kwargs)

    return run
