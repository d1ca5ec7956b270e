"""How an HTTP request runs under ASGI: the whole middleware chain and the view in one worker
thread.

Every view of Balie is synchronous. Django's own ASGI handler builds its middleware chain for
async and hands each synchronous step to a thread of its own: every `process_request`,
`process_view` and `process_response` of a `MiddlewareMixin`, and the view, each one trip from
the event loop to a worker thread and back (17 trips for an inbox page; a synchronous
middleware high up in the list adds a trip back to the loop as well). On two shared cores
every trip is a thread woken and scheduled, which an agent waits for (docs/performance.md,
"Inbox on a fresh database"). Here the chain is built for synchronous code, as under WSGI,
and runs in one trip: the same middleware, in the same order, with the same answers.

What a request publishes to the live sockets after its commit is handed to the server's event
loop (`realtime.handed_to`), which sends it while the request's thread goes on to answer: a
trip to the channel layer from the thread held the answer (and the connection) for a round
trip to Redis through the loop, about 4 ms of every `POST /api/v1/tickets` batch at load.

Each request still has a thread of its own for its synchronous steps (so that one request's
view waiting on a lock, as `POST /api/v1/tickets` waits for its batch, never holds up
another's), but the threads are kept for the next requests instead of one started and joined
per request, as Django's handler does: ~0.4 ms of CPU per request on this machine's cores
(docs/performance.md, "Tickets over the API: the whole machine per ticket").
"""

from __future__ import annotations

import asyncio
import inspect
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase

from balie.core import realtime

# Request threads kept between requests (more wait only while more requests run at once).
IDLE_THREADS = 32
# ThreadSensitiveContext takes an executor of the caller's since asgiref 3.10.
_OWN_EXECUTOR = "executor" in inspect.signature(ThreadSensitiveContext).parameters


class OneThreadASGIHandler(ASGIHandler):
    """Django's ASGI handler with a synchronous middleware chain, run in one thread hop, in
    a thread kept for the next requests."""

    def __init__(self) -> None:
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _OWN_EXECUTOR:
            await super().__call__(scope, receive, send)
            return
        # A thread of this request's own, one at a time as Django's handler gives it, but
        # taken from those that earlier requests left instead of a new one started.
        executor = self._idle.pop() if self._idle else ThreadPoolExecutor(max_workers=1)
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(self._idle) < IDLE_THREADS:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)

    def load_middleware(self, is_async: bool = False) -> None:
        # ASGIHandler asks for the async chain; every middleware here works synchronously.
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # thread_sensitive: the request's other synchronous steps (the request_started
        # signal, closing the response) run in the same thread of this request's context.
        loop = asyncio.get_running_loop()

        def respond(request: HttpRequest) -> HttpResponseBase:
            with realtime.handed_to(loop):
                return self.get_response(request)

        response: Any = await sync_to_async(respond, thread_sensitive=True)(request)
        return response


def asgi_application() -> OneThreadASGIHandler:
    """What `django.core.asgi.get_asgi_application` does, with the one-thread handler."""
    import django

    django.setup(set_prefix=False)
    return OneThreadASGIHandler()
