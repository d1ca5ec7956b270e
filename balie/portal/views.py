"""The public pages: the contact form and the customer portal.

Customers never see the agent UI; the portal has its own session key (`portal_customer_id`),
separate from agent log-in. Every ticket read goes through `get_ticket_for_customer`, so another
customer's ticket number is a 404, exactly like a number that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from balie.core import rate_limits
from balie.core.client_address import client_ip
from balie.customers.models import Customer
from balie.intake import submissions
from balie.tickets.access import get_ticket_for_customer
from balie.tickets.actions import outbound_subject
from balie.tickets.attachment_files import attachment_response
from balie.tickets.models import Attachment, Direction, Status

from . import channel_info, magic_links, tasks
from .forms import TOPICS, ContactForm, PortalLoginForm, ReplyForm, sign_started, use_started
from .spam import keep_as_spam

SESSION_CUSTOMER = "portal_customer_id"
SESSION_EMAIL = "portal_email"
THANKS_SALT = "balie.portal.contact-thanks"
THANKS_MAX_AGE = 30 * 24 * 3600
TICKETS_PER_PAGE = 25

# The ticket status in words for the customer (agents' statuses say more than a customer needs).
CUSTOMER_STATUS = {
    Status.NEW: gettext_lazy("Ontvangen"),
    Status.OPEN: gettext_lazy("In behandeling"),
    Status.PENDING: gettext_lazy("Wacht op uw reactie"),
    Status.ON_HOLD: gettext_lazy("In behandeling"),
    Status.SOLVED: gettext_lazy("Opgelost"),
    Status.CLOSED: gettext_lazy("Gesloten"),
}


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "company": settings.BALIE_COMPANY_NAME,
            "portal_customer": portal_customer(request),
            **(context or {}),
        },
        status=status,
    )


def _limit(spec_setting: str) -> rate_limits.RateLimit:
    return rate_limits.RateLimit.parse(
        str(getattr(settings, spec_setting, None) or settings.BALIE_CONTACT_RATE_LIMIT)
    )


# --- contact form ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _contact_page(request, {"form": ContactForm()})
    form = ContactForm(request.POST, request.FILES)
    ip = client_ip(request)
    spam = form.spam_reason()
    if not spam and not form.is_valid():
        return _contact_page(request, {"form": form}, status=400)
    email = form.cleaned_data["email"] if not spam else request.POST.get("email", "").lower()
    if not rate_limits.hit_all(
        "contact", {"ip": ip, "email": email.strip()}, _limit("BALIE_CONTACT_RATE_LIMIT")
    ):
        return _contact_page(request, {"form": form, "rate_limited": True}, status=429)
    if not spam and not use_started(request.POST.get("started", "")):
        # Expired or sent before (a replay): nothing is filed, and the person who wrote it
        # gets their text back in a fresh form to send again.
        fresh = request.POST.copy()
        fresh["started"] = sign_started()
        return _contact_page(
            request, {"form": ContactForm(fresh), "form_expired": True}, status=400
        )
    if spam:
        data = (
            _envelope_from_form(form)
            if form.is_valid()
            else {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        )
        keep_as_spam(data=data, reason=spam, ip=ip, honeypot=request.POST.get("website", ""))
        envelope_id = 0
    else:
        envelope_id = submissions.submit(_envelope_from_form(form)).pk
    token = signing.dumps({"e": envelope_id}, salt=THANKS_SALT)
    return redirect("portal:contact_thanks", token=token)


def _contact_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """The contact page; its aside tells per channel when we are open and by when we answer
    (computed only when the page is rendered: the template calls it)."""
    return page(
        request,
        "portal/contact.html",
        {"contact_channels": channel_info.contact_channels, **context},
        status=status,
    )


def _envelope_from_form(form: ContactForm) -> dict[str, Any]:
    data = form.cleaned_data
    subject = data["subject"].strip() or str(dict(TOPICS).get(data["topic"], ""))
    return submissions.build_envelope(
        name=data["name"].strip(),
        email=data["email"],
        phone=data["phone"],
        customer_number=data["customer_number"].strip(),
        order_number=data["order_number"].strip(),
        topic=data["topic"],
        subject=subject,
        message=data["message"],
        attachments=data["attachments"],
    )


@never_cache
def contact_thanks(request: HttpRequest, token: str) -> HttpResponse:
    """Only the number and the subject: the token is signed, so numbers cannot be walked."""
    try:
        envelope_id = int(signing.loads(token, salt=THANKS_SALT, max_age=THANKS_MAX_AGE)["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Http404(_("Deze pagina bestaat niet (meer).")) from None
    ticket = submissions.ticket_of(envelope_id) if envelope_id else None
    return page(request, "portal/contact_thanks.html", {"ticket": ticket})


# --- portal: log-in by link -----------------------------------------------------------------


def portal_customer(request: HttpRequest) -> Customer | None:
    customer_id = request.session.get(SESSION_CUSTOMER) if hasattr(request, "session") else None
    if not customer_id:
        return None
    if getattr(request, "_portal_customer_id", None) == customer_id:
        return request._portal_customer  # type: ignore[attr-defined]
    customer = Customer.objects.filter(pk=customer_id).first()
    seen: set[int] = set()
    while customer is not None and customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into
    request._portal_customer_id = customer_id  # type: ignore[attr-defined]
    request._portal_customer = customer  # type: ignore[attr-defined]
    return customer


@never_cache
@require_http_methods(["GET", "POST"])
def portal_home(request: HttpRequest) -> HttpResponse:
    customer = portal_customer(request)
    if customer is not None and request.method == "GET":
        return _ticket_list(request, customer)
    if request.method != "POST":
        return page(request, "portal/login.html", {"form": PortalLoginForm()})
    form = PortalLoginForm(request.POST)
    if not form.is_valid():
        return page(request, "portal/login.html", {"form": form}, status=400)
    email = form.cleaned_data["email"].strip().lower()
    keys = {"ip": client_ip(request), "email": email}
    if not rate_limits.hit_all("portal-login", keys, _limit("BALIE_PORTAL_LOGIN_RATE_LIMIT")):
        return page(request, "portal/login.html", {"form": form, "rate_limited": True}, 429)
    # Looked up and mailed by a task: the answer is the same, and as fast, for any address.
    transaction.on_commit(lambda: tasks.send_magic_link.delay(email))
    return redirect("portal:login_sent")


@never_cache
def login_sent(request: HttpRequest) -> HttpResponse:
    return page(request, "portal/login_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def magic_login(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm, POST logs in. Mail scanners that open every link in a message do
    not use up the single-use link that way."""
    try:
        holder = (
            magic_links.use_token(token)
            if request.method == "POST"
            else magic_links.check_token(token)
        )
    except magic_links.InvalidLink as exc:
        return page(
            request,
            "portal/login.html",
            {"form": PortalLoginForm(), "link_error": str(exc)},
            status=400,
        )
    if request.method != "POST":
        return page(request, "portal/login_confirm.html", {"holder": holder})
    request.session.cycle_key()
    request.session[SESSION_CUSTOMER] = holder.customer.pk
    request.session[SESSION_EMAIL] = holder.email
    messages.success(request, _("U bent ingelogd."))
    return redirect("portal:home")


@never_cache
@require_http_methods(["GET", "POST"])
def portal_logout(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return page(request, "portal/logout.html")
    request.session.pop(SESSION_CUSTOMER, None)
    request.session.pop(SESSION_EMAIL, None)
    request.session.cycle_key()
    messages.success(request, _("U bent uitgelogd."))
    return redirect("portal:home")


# --- portal: tickets ------------------------------------------------------------------------


def _ticket_list(request: HttpRequest, customer: Customer) -> HttpResponse:
    tickets = customer.tickets.order_by("-id").only(
        "id", "subject", "status", "created_at", "updated_at", "last_message_at"
    )
    page_obj = Paginator(tickets, TICKETS_PER_PAGE).get_page(request.GET.get("pagina"))
    rows = [
        {
            "ticket": ticket,
            "status": CUSTOMER_STATUS.get(ticket.status, ticket.get_status_display()),
            "updated": ticket.last_message_at or ticket.updated_at,
        }
        for ticket in page_obj
    ]
    return page(request, "portal/ticket_list.html", {"rows": rows, "page_obj": page_obj})


def _require_customer(request: HttpRequest) -> Customer | HttpResponse:
    customer = portal_customer(request)
    if customer is None:
        messages.info(request, _("Log in om uw tickets te bekijken."))
        return redirect("portal:home")
    return customer


@never_cache
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    customer = _require_customer(request)
    if isinstance(customer, HttpResponse):
        return customer
    ticket = get_ticket_for_customer(customer, number)
    form = ReplyForm(request.POST or None, request.FILES or None)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and not rate_limits.hit_all(
        "portal-reply", {"customer": str(customer.pk)}, _limit("BALIE_PORTAL_REPLY_RATE_LIMIT")
    ):
        messages.error(
            request,
            _(
                "U heeft de afgelopen tijd al veel reacties gestuurd. Probeer het over enkele "
                "minuten opnieuw; uw tekst staat hieronder nog voor u klaar."
            ),
        )
        status = 429
    elif request.method == "POST" and form.is_valid():
        email = request.session.get(SESSION_EMAIL) or customer.primary_email
        envelope = submissions.submit(
            submissions.build_envelope(
                channel="portal",
                name=customer.name,
                email=email,
                subject=outbound_subject(ticket),
                message=form.cleaned_data["message"],
                attachments=form.cleaned_data["attachments"],
            )
        )
        filed_in = submissions.ticket_of(envelope.pk)
        if filed_in is None:
            messages.warning(
                request,
                _(
                    "We hebben uw reactie ontvangen, maar konden die nog niet verwerken. "
                    "Een medewerker kijkt ernaar."
                ),
            )
            return redirect("portal:ticket", number=ticket.pk)
        if filed_in.pk != ticket.pk:
            messages.success(
                request,
                _("Uw reactie is ontvangen als nieuw ticket #%(new)s, als vervolg op #%(old)s.")
                % {"new": filed_in.pk, "old": ticket.pk},
            )
        else:
            messages.success(request, _("Uw reactie is toegevoegd aan uw ticket."))
        shown = filed_in if filed_in.customer_id == customer.pk else ticket
        return redirect("portal:ticket", number=shown.pk)
    conversation = (
        ticket.messages.public()
        .prefetch_related("attachments")
        .only(
            "id",
            "ticket_id",
            "direction",
            "channel",
            "body_text",
            "sender_name",
            "created_at",
            "refused_attachments",
            "is_automatic",
        )
        .order_by("created_at", "id")
    )
    return page(
        request,
        "portal/ticket_detail.html",
        {
            "ticket": ticket,
            "status": CUSTOMER_STATUS.get(ticket.status, ticket.get_status_display()),
            "conversation": conversation,
            "form": form,
            "Direction": Direction,
        },
        status=status,
    )


@never_cache
def attachment_download(request: HttpRequest, number: int, pk: int) -> HttpResponseBase:
    customer = _require_customer(request)
    if isinstance(customer, HttpResponse):
        return customer
    ticket = get_ticket_for_customer(customer, number)
    attachment = (
        Attachment.objects.filter(pk=pk, message__ticket=ticket)
        .exclude(message__direction=Direction.NOTE)
        .first()
    )
    if attachment is None:
        raise Http404(_("Bijlage bestaat niet"))
    try:
        return attachment_response(attachment)
    except OSError:
        raise Http404(_("Bijlage bestaat niet")) from None
