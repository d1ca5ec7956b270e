"""The one webhook route of every channel: `/webhooks/<channel>/<account>/`.

A provider calls it with GET for a handshake (Meta's hub.challenge) and with POST for a
delivery. The route finds the channel's connector and the active account, bounds the body,
and lets the connector verify the call (signature, token) before anything is stored. Then the
connector unpacks the call into deliveries, each stored as an envelope under the account and
the provider's id (a provider's retry files nothing twice), and processing is queued. Parsing
into messages and delivery receipts happens in the worker (`pipeline.process_envelope`).

Answers: 200 with what was stored; 401/403 for a missing or wrong signature (nothing is kept:
anyone can send those); 404 for an unknown channel, a channel without webhooks, or an account
that does not exist, is of another channel or is switched off; 405 for another method, or a
GET to a channel without a handshake; 413 for a body over `BALIE_WEBHOOK_MAX_BYTES`; 400 for a
verified body the connector cannot read (kept in quarantine with the reason).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from balie.messaging.connectors import UnknownChannel, get_connector
from balie.messaging.connectors.base import Connector, RejectedInput, WebhookRequest
from balie.messaging.models import ChannelAccount

from . import pipeline as ingest

logger = logging.getLogger(__name__)

QUARANTINE_MAX_BYTES = 256 * 1024


def _error(status: int, detail: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _find(channel: str, account: str) -> tuple[Connector, ChannelAccount] | None:
    try:
        connector = get_connector(channel)
    except UnknownChannel:
        return None
    if not connector.receives_webhooks or not account.isdigit():
        return None
    found = ChannelAccount.objects.filter(pk=int(account), kind=channel, is_active=True).first()
    return (connector, found) if found else None


@csrf_exempt
def webhook(request: HttpRequest, channel: str, account: str) -> HttpResponse:
    found = _find(channel, account)
    if found is None:
        return _error(404, _("Onbekend kanaal of account, of een account dat uit staat."))
    connector, channel_account = found
    if request.method not in ("GET", "POST"):
        return _error(405, _("Alleen GET en POST."), Allow="GET, POST")
    limit = int(settings.BALIE_WEBHOOK_MAX_BYTES)
    try:
        declared = max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return _error(400, _("Ongeldige Content-Length."))
    too_big = _("Te groot: %(size)s bytes, maximaal %(limit)s.")
    if declared > limit:
        return _error(413, too_big % {"size": declared, "limit": limit})
    body = request.read(limit + 1) if request.method == "POST" else b""
    if len(body) > limit:
        return _error(413, too_big % {"size": len(body), "limit": limit})
    call = WebhookRequest(
        method=request.method,
        headers={name.lower(): value for name, value in request.headers.items()},
        query={key: request.GET.get(key, "") for key in request.GET},
        body=body,
        content_type=(request.content_type or "").lower(),
    )
    try:
        answer = connector.verify(call, channel_account)
    except RejectedInput as exc:
        return _error(exc.status, exc.reason)  # nothing stored: anyone can send these
    if request.method == "GET":
        if answer is None:
            return _error(405, _("Dit kanaal kent geen handshake."), Allow="POST")
        return HttpResponse(answer, content_type="text/plain; charset=utf-8")
    return _store(connector, channel_account, call)


def _store(connector: Connector, account: ChannelAccount, call: WebhookRequest) -> HttpResponse:
    source = f"webhook {connector.kind}/{account.pk}"
    try:
        deliveries = connector.unpack(call, account)
    except RejectedInput as exc:
        _keep(connector, account, call, source=source, reason=f"{exc.status}: {exc.reason}")
        return _error(exc.status, exc.reason)
    except Exception as exc:  # a connector's bug: keep the call, the provider will retry
        logger.exception("unpacking a %s webhook failed", connector.kind)
        _keep(connector, account, call, source=source, reason=f"{type(exc).__name__}: {exc}")
        return _error(500, _("De aanlevering kon niet worden gelezen; ze is bewaard."))
    received = duplicates = 0
    with transaction.atomic():
        for delivery in deliveries:
            provider_id = delivery.external_id or connector.envelope_id(delivery.raw, delivery.meta)
            _envelope, created = ingest.receive(
                channel=connector.kind,
                account=account,
                raw=delivery.raw,
                meta={**delivery.meta, "source": source, "provider_id": provider_id},
                # Unique per account: the same id on two accounts is two deliveries.
                external_id=f"{account.pk}:{provider_id}",
            )
            received += created
            duplicates += not created
    return JsonResponse({"received": received, "duplicates": duplicates})


def _keep(
    connector: Connector, account: ChannelAccount, call: WebhookRequest, *, source: str, reason: str
) -> None:
    ingest.quarantine(
        channel=connector.kind,
        source=source,
        reason=reason,
        raw=call.body[:QUARANTINE_MAX_BYTES],
        meta={
            "account": account.pk,
            "content_type": call.content_type,
            "size": len(call.body),
            "truncated": len(call.body) > QUARANTINE_MAX_BYTES,
        },
    )
