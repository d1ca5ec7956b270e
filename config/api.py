"""The REST API under /api/v1/, with its OpenAPI schema at /api/v1/docs."""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from balie.core.database_busy import DatabaseBusy, busy_response, is_locked
from balie.customers.api import router as customers_router
from balie.intake import api as intake_api  # noqa: F401  (adds the filing endpoints to tickets)
from balie.intake.mail_server import router as mail_server_router
from balie.sla.api import router as sla_router
from balie.tickets.api import router as tickets_router

api = NinjaAPI(
    title="Balie API",
    version="1",
    description="Tickets, berichten en klanten van Balie. Authenticatie: `Authorization: Bearer <token>`.",
    docs_url="/docs",
    urls_namespace="api",
)
api.add_router("/tickets", tickets_router, tags=["tickets"])
api.add_router("/customers", customers_router, tags=["customers"])
api.add_router("/", mail_server_router, tags=["inbound"])
api.add_router("/", sla_router, tags=["sla"])


# --- errors: always JSON {"detail": "<Dutch reason>"} with the right 4xx ---------------------

_FRAMEWORK_MESSAGES = {
    "Cannot parse request body": _("De inhoud van het verzoek is geen geldige JSON."),
    "CSRF check Failed": _(
        "CSRF-controle mislukt; stuur het CSRF-token mee of gebruik een API-token."
    ),
}


def _choices(ctx: dict[str, Any]) -> str:
    """The allowed values as pydantic lists them ("'a', 'b' or 'c'"), without its English
    "or": the codes one after another, in any language."""
    return str(ctx.get("expected", "")).replace("' or '", "', '")


def _dutch_error(error: dict[str, Any]) -> str:
    """A pydantic error in Dutch; the field path without the parameter's internal name."""
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    messages = {
        "missing": _("verplicht veld"),
        "string_too_long": _("te lang (maximaal %(n)s tekens)") % {"n": ctx.get("max_length")},
        "string_too_short": _("te kort (minimaal %(n)s tekens)") % {"n": ctx.get("min_length")},
        "too_long": _("te veel waarden (maximaal %(n)s)") % {"n": ctx.get("max_length")},
        "enum": _("onbekende waarde; toegestaan: %(v)s") % {"v": _choices(ctx)},
        "literal_error": _("onbekende waarde; toegestaan: %(v)s") % {"v": _choices(ctx)},
        "int_parsing": _("moet een geheel getal zijn"),
        "int_type": _("moet een geheel getal zijn"),
        "int_from_float": _("moet een geheel getal zijn"),
        "greater_than_equal": _("moet minstens %(n)s zijn") % {"n": ctx.get("ge")},
        "less_than_equal": _("mag hoogstens %(n)s zijn") % {"n": ctx.get("le")},
        "string_type": _("moet tekst zijn"),
        "string_pattern_mismatch": _("heeft niet de juiste vorm"),
        "bool_parsing": _("moet true of false zijn"),
        "bool_type": _("moet true of false zijn"),
        "list_type": _("moet een lijst zijn"),
        "dict_type": _("moet een object zijn"),
        "model_attributes_type": _("moet een object zijn"),
        "model_type": _("moet een object zijn"),
        "json_invalid": _("geen geldige JSON"),
        "value_error": str(ctx.get("error", "")),
    }
    message = messages.get(kind) or _("ongeldige waarde")
    where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("payload",))
    return f"{where}: {message}" if where else message


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    reasons = [_dutch_error(error) for error in exc.errors]
    return api.create_response(
        request,
        {
            "detail": _("Ongeldige invoer: %(reasons)s") % {"reasons": "; ".join(reasons)},
            "errors": [
                {"loc": [str(p) for p in e.get("loc", ())], "type": e.get("type", ""), "msg": r}
                for e, r in zip(exc.errors, reasons, strict=True)
            ],
        },
        status=422,
    )


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": "; ".join(exc.messages)}, status=422)


@api.exception_handler(ValueError)
def on_value_error(request: HttpRequest, exc: ValueError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"detail": _("Het verzoek is te groot.")}, status=413)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Niet gevonden.")}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("Niet aangemeld: gebruik een geldig API-token (Authorization: Bearer …).")},
        status=401,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = _FRAMEWORK_MESSAGES.get(str(exc).split(" (")[0], str(exc))
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(DatabaseBusy)
def on_database_busy(request: HttpRequest, exc: DatabaseBusy) -> HttpResponse:
    return busy_response(request)


@api.exception_handler(OperationalError)
def on_database_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A locked SQLite database is 503 with Retry-After; any other database error stays what
    it is (a server error, logged)."""
    if is_locked(exc):
        return busy_response(request)
    raise exc
