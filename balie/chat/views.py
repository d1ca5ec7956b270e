"""The widget's script and the sample company page that embeds it."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

WIDGET = Path(__file__).parent / "static" / "chat" / "widget.js"


@cache
def _script() -> bytes:
    return WIDGET.read_bytes()


@cache
def _zipped(body: bytes) -> bytes:
    return gzip.compress(body, mtime=0)


def _asks_gzip(accept_encoding: str) -> bool:
    """Whether the client takes gzip (`Accept-Encoding: gzip`, not `gzip;q=0`)."""
    for part in accept_encoding.lower().split(","):
        name, _semicolon, params = part.partition(";")
        if name.strip() == "gzip":
            quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    """Loaded by `<script src=…/chat/widget.js data-account=…>` on any site: gzipped (a third
    of its size, as README says) for the browsers that ask for it."""
    body = WIDGET.read_bytes() if settings.DEBUG else _script()
    zipped = _asks_gzip(request.headers.get("Accept-Encoding", ""))
    response = HttpResponse(
        _zipped(body) if zipped else body, content_type="text/javascript; charset=utf-8"
    )
    if zipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"  # a public script, no credentials
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def demo_page(request: HttpRequest) -> HttpResponse:
    """A sample company page (no log-in) with the widget on it, as a customer's site has."""
    return render(
        request,
        "chat/demo.html",
        {"company": settings.BALIE_COMPANY_NAME, "lang": request.GET.get("lang", "nl")[:2]},
    )
