"""The Content-Security-Policy of every response.

Scripts, styles, fonts and images come from Balie itself only: no inline script, no inline
event handler, no eval (htmx runs with allowEval off), no framing by other sites. Images in
e-mail are not loaded from their senders' servers (a tracking pixel learns nothing) until an
agent asks for them on a ticket: the response that shows them sets
`request.allow_remote_images` and gets a policy that allows images over HTTPS and HTTP.

The API documentation (Swagger UI) runs from local static files too; its styles are set inline
by the UI itself, which its page alone allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import sync_and_async_middleware

HEADER = "Content-Security-Policy"

BASE = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
API_DOCS_PREFIX = "/api/v1/docs"


def policy(request: HttpRequest) -> str:
    directives = dict(BASE)
    if getattr(request, "allow_remote_images", False):
        directives["img-src"] = "'self' data: https: http:"
    if request.path.startswith(API_DOCS_PREFIX):
        directives["style-src"] = "'self' 'unsafe-inline'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _set_policy(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if HEADER not in response:
        response[HEADER] = policy(request)
    return response


@sync_and_async_middleware
def content_security_policy(get_response: Callable[..., Any]) -> Callable[..., Any]:
    """Sync and async alike, so that it adds no thread hop to an async view."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponse:
            return _set_policy(request, await get_response(request))

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponse:
        return _set_policy(request, get_response(request))

    return middleware
