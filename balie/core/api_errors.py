"""Answers under /api/ are JSON, also where no API view ran: an unknown path is a JSON 404 and
a known path with another method a JSON 405 (with Allow), in the API's own error shape
{"detail": "<reason>"}. The agent UI keeps its HTML pages for every other path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _is_json(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith("application/json")


class ApiJsonErrorsMiddleware:
    """Put outside CommonMiddleware, so that its redirect to the path with a slash stays."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        if (
            response.status_code not in (404, 405)
            or not request.path_info.startswith(API_PREFIX)
            or _is_json(response)
        ):
            return response
        if response.status_code == 404:
            return JsonResponse({"detail": _("Niet gevonden.")}, status=404)
        allowed = str(response.get("Allow", ""))
        answer = JsonResponse(
            {
                "detail": _("Methode %(method)s is hier niet toegestaan; wel: %(allowed)s.")
                % {"method": request.method, "allowed": allowed or "-"}
            },
            status=405,
        )
        if allowed:
            answer["Allow"] = allowed
        return answer
