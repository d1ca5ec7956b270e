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
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase

from balie.core import realtime


class OneThreadASGIHandler(ASGIHandler):
    """Django's ASGI handler with a synchronous middleware chain, run in one thread hop."""

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
