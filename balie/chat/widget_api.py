"""The widget's HTTP endpoints, `/chat/api/<account>/…`: called from the companies' own sites.

Each answers with CORS headers for the origins on the chat account's list (and refuses any
other origin with 403); they are not CSRF-protected by cookie, because no cookie is used: the
chat is reached by its visitor token (header `X-Chat-Token`) only. Answers are JSON in the
page's language (`lang`), Dutch unless English is asked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from balie.core import rate_limits
from balie.core.client_address import client_ip
from balie.intake.topics import topic_code
from balie.messaging.models import ChannelAccount
from balie.tickets.actions import check_attachment
from balie.tickets.attachment_files import attachment_response
from balie.tickets.models import Attachment

from . import actions, ending, history, offline
from .models import ChatSession, ChatState

ALLOW_HEADERS = "Content-Type, X-Chat-Token"
START_LIMIT = "10/600"


def _language(request: HttpRequest) -> str:
    lang = (request.GET.get("lang") or request.headers.get("X-Chat-Lang") or "nl").lower()
    return "en" if lang.startswith("en") else "nl"


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


def error(message: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def widget_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Account by slug, origin on its list (a POST must say its origin), CORS, language."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, account: str, **kwargs: Any) -> HttpResponse:
        origin = request.headers.get("Origin", "")
        chat_account = actions.chat_account(account)
        with translation.override(_language(request)):
            if chat_account is None:
                return _cors(error(_("Onbekend chataccount."), 404), "")
            allowed = actions.origin_allowed(chat_account, origin, request.get_host())
            if (origin or request.method != "GET") and not allowed:
                return _cors(error(_("Deze website mag deze chat niet gebruiken."), 403), "")
            if request.method == "OPTIONS":
                return _cors(HttpResponse(status=204), origin)
            response = view(request, chat_account, **kwargs)
            response["Content-Language"] = translation.get_language()
            return _cors(response, origin if allowed else "")

    return wrapper


def _body(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}
    return dict(request.POST.items())


def _session(request: HttpRequest, account: ChannelAccount) -> ChatSession | None:
    return actions.session_for(account, request.headers.get("X-Chat-Token", ""))


def _topics() -> list[list[str]]:
    from balie.intake.topics import TOPICS

    return [[value, str(label)] for value, label in TOPICS]


@widget_endpoint
def status(request: HttpRequest, account: ChannelAccount) -> HttpResponse:
    """Whether a chat can start now (else the leave-a-message form), and the topics."""
    if request.method != "GET":
        return error(_("Alleen GET."), 405)
    state = offline.chat_open()
    return JsonResponse(
        {
            "open": state.open,
            "reason": state.reason,
            "promise": state.promise,
            "topics": _topics(),
            "max_bytes": settings.BALIE_ATTACHMENT_MAX_BYTES,
        }
    )


def _visitor_fields(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The pre-chat form's fields, checked: (fields, errors per field)."""
    fields = {
        "name": str(data.get("name") or "").strip()[:200],
        "email": str(data.get("email") or "").strip().lower()[:254],
        "customer_number": str(data.get("customer_number") or "").strip()[:30],
        "topic": topic_code(str(data.get("topic") or "question"))[:30],
        "text": str(data.get("text") or "").strip(),
    }
    errors: dict[str, str] = {}
    if not fields["name"]:
        errors["name"] = _("Vul uw naam in.")
    try:
        validate_email(fields["email"])
    except ValidationError:
        errors["email"] = _("Vul een geldig e-mailadres in.")
    if fields["topic"] not in {value for value, _label in _topics()}:
        errors["topic"] = _("Kies een onderwerp.")
    if not fields["text"]:
        errors["text"] = _("Schrijf uw bericht.")
    elif len(fields["text"]) > actions.MAX_TEXT:
        errors["text"] = _("Een bericht mag hoogstens %(n)s tekens lang zijn.") % {
            "n": actions.MAX_TEXT
        }
    return fields, errors


def _limited(request: HttpRequest, scope: str, email: str) -> bool:
    limit = rate_limits.RateLimit.parse(
        str(getattr(settings, "BALIE_CHAT_RATE_LIMIT", START_LIMIT))
    )
    return not rate_limits.hit_all(scope, {"ip": client_ip(request), "email": email}, limit)


@widget_endpoint
def start(request: HttpRequest, account: ChannelAccount) -> HttpResponse:
    """The pre-chat form and first message: a new chat, or why not (closed: the widget shows
    the leave-a-message form)."""
    if request.method != "POST":
        return error(_("Alleen POST."), 405)
    data = _body(request)
    fields, errors = _visitor_fields(data)
    if errors:
        return error(_("Controleer de gemarkeerde velden."), 400, fields=errors)
    if _limited(request, "chat-start", fields["email"]):
        return error(_("Te veel gesprekken gestart; probeer het over een paar minuten."), 429)
    admission = offline.admit(fields["topic"])
    if not admission.open:
        return error(admission.reason, 409, offline=True, promise=admission.promise)
    try:
        started = actions.start_chat(
            account,
            name=fields["name"],
            email=fields["email"],
            text=fields["text"],
            client_id=str(data.get("cid") or ""),
            customer_number=fields["customer_number"],
            topic=fields["topic"],
            language=translation.get_language() or "nl",
            page_url=str(data.get("page") or "")[:1000],
            page_title=str(data.get("title") or ""),
            team=admission.team,
        )
    except actions.ChatError as exc:
        return error(str(exc))
    return JsonResponse(
        {"token": started.token, "chat": started.session.public_id, "id": started.message.pk},
        status=201,
    )


@widget_endpoint
def leave_message(request: HttpRequest, account: ChannelAccount) -> HttpResponse:
    """The leave-a-message form: filed as the contact form files; answers with the ticket
    number and the promised answer time."""
    if request.method != "POST":
        return error(_("Alleen POST."), 405)
    fields, errors = _visitor_fields(_body(request))
    if errors:
        return error(_("Controleer de gemarkeerde velden."), 400, fields=errors)
    if _limited(request, "chat-message", fields["email"]):
        return error(_("Te veel berichten verstuurd; probeer het over een paar minuten."), 429)
    ticket, promise = offline.file_message(**fields)
    return JsonResponse({"ticket": ticket.pk if ticket else None, "promise": promise}, status=201)


@widget_endpoint
def upload(request: HttpRequest, account: ChannelAccount) -> HttpResponse:
    """A file in the chat (multipart: `file`, `cid`, optional `text`), checked as e-mail
    attachments are."""
    if request.method != "POST":
        return error(_("Alleen POST."), 405)
    session = _session(request, account)
    if session is None:
        return error(_("Dit gesprek bestaat niet (meer)."), 401)
    upload_file = request.FILES.get("file")
    if upload_file is None:
        return error(_("Kies een bestand."))
    name = upload_file.name or "bijlage"
    content_type = upload_file.content_type or "application/octet-stream"
    reason = check_attachment(name, content_type, upload_file.size or 0)
    if reason:
        return error(_("%(name)s is niet verstuurd: %(reason)s") % {"name": name, "reason": reason})
    if actions.over_limit(session, str(request.POST.get("cid") or ""), uploads=True):
        return error(_("Te veel bestanden verstuurd; probeer het over een minuut opnieuw."), 429)
    try:
        message, _new = actions.visitor_message(
            session,
            client_id=str(request.POST.get("cid") or ""),
            text=str(request.POST.get("text") or ""),
            attachments=((name, content_type, upload_file.read()),),
        )
    except actions.ChatError as exc:
        return error(str(exc))
    return JsonResponse({"id": message.pk}, status=201)


@widget_endpoint
def transcript(request: HttpRequest, account: ChannelAccount) -> HttpResponse:
    if request.method != "POST":
        return error(_("Alleen POST."), 405)
    session = _session(request, account)
    if session is None:
        return error(_("Dit gesprek bestaat niet (meer)."), 401)
    # The address was typed, not verified: a few transcripts per chat and per address.
    limit = rate_limits.RateLimit.parse(str(settings.BALIE_CHAT_TRANSCRIPT_RATE_LIMIT))
    if not rate_limits.hit_all(
        "chat-transcript", {"chat": session.public_id, "email": session.email}, limit
    ):
        return error(_("Het gesprek is al een paar keer gemaild; probeer het later opnieuw."), 429)
    try:
        ending.send_transcript(session)
    except actions.ChatError as exc:
        return error(str(exc))
    return JsonResponse({"sent_to": session.email})


@widget_endpoint
def rating(request: HttpRequest, account: ChannelAccount) -> HttpResponse:
    if request.method != "POST":
        return error(_("Alleen POST."), 405)
    session = _session(request, account)
    if session is None:
        return error(_("Dit gesprek bestaat niet (meer)."), 401)
    data = _body(request)
    try:
        score = int(data.get("rating") or 0)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        return error(_("Kies een cijfer van 1 tot en met 5."), fields={"rating": "1-5"})
    comment = str(data.get("comment") or "").strip()[:2000]
    ending.store_rating(session, score, comment)
    return JsonResponse({"rating": score})


@widget_endpoint
def end(request: HttpRequest, account: ChannelAccount) -> HttpResponse:
    if request.method != "POST":
        return error(_("Alleen POST."), 405)
    session = _session(request, account)
    if session is None:
        return error(_("Dit gesprek bestaat niet (meer)."), 401)
    actions.end_chat(session, reason="visitor")
    return JsonResponse({"state": ChatState.ENDED})


def attachment(request: HttpRequest, token: str) -> FileResponse:
    """A file of the chat, by a signed link the socket gave (for a week)."""
    try:
        data = signing.loads(
            token, salt=history.ATTACHMENT_SALT, max_age=history.ATTACHMENT_MAX_AGE
        )
        found = Attachment.objects.select_related("message").get(
            pk=int(data["a"]), message__ticket__chat__public_id=str(data["c"])
        )
        return attachment_response(found)
    except (
        signing.BadSignature,
        KeyError,
        TypeError,
        ValueError,
        Attachment.DoesNotExist,
        OSError,
    ):
        raise Http404(_("Dit bestand bestaat niet (meer).")) from None
