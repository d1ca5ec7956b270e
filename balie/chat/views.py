"""The widget's script and the sample company page that embeds it."""

from __future__ import annotations

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


@require_GET
def widget_script(request: HttpRequest) -> HttpResponse:
    """Loaded by `<script src=…/chat/widget.js data-account=…>` on any site."""
    body = WIDGET.read_bytes() if settings.DEBUG else _script()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
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
