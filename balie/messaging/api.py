"""Inbound endpoints for machines: a mail server (MTA) delivers raw e-mail here.

`POST /api/v1/inbound/email` takes the raw RFC 822 message as the request body. It checks the
bearer token (an `ApiToken` with the ingest scope), looks at the headers only (is there a From?),
stores the envelope durably and answers 202; parsing and filing happen in the worker. Anything
refused is answered with a 4xx and its reason, and a bounded copy is kept in quarantine.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from balie.accounts.api_auth import ingest_token
from balie.core.client_address import client_ip
from balie.intake import pipeline as ingest

from .accounts import active_email_account, email_accounts
from .connectors.email.parsing import repair_headers
from .models import ChannelAccount

router = Router()

QUARANTINE_MAX_BYTES = 256 * 1024  # what is kept of refused input
# Of a request without a valid token less is kept: anyone can send those, and the quarantine
# must not become free storage. Enough to see what was sent, and by whom.
UNAUTHENTICATED_KEEP_BYTES = 16 * 1024
HEADER_MAX_BYTES = 256 * 1024
HEADER_END = re.compile(rb"\r?\n\r?\n")
MAIL_CONTENT_TYPES = ("message/rfc822", "application/octet-stream", "text/plain", "")


class InboundOut(Schema):
    envelope: int
    status: str


class InboundError(Schema):
    detail: str


class InboundQuery(Schema):
    mailbox: str = ""


@dataclass(frozen=True)
class MtaDelivery:
    """What the endpoint looks at besides the body, from whichever server took the request
    (Django's, or the ASGI route of `balie.messaging.asgi`)."""

    authorization: str
    content_type: str  # without parameters, lower case
    declared_size: int  # Content-Length, 0 when absent
    mailbox: str
    remote_addr: str


def deliver_mail(
    delivery: MtaDelivery,
    *,
    read_prefix: Callable[[int], bytes],
    read_all: Callable[[int], bytes],
) -> tuple[int, dict[str, Any]]:
    """Check, store and acknowledge one delivery: (202, envelope and status) or (4xx, reason).
    `read_prefix(n)` gives at most the first n bytes of the body (what is kept of a refused
    one); `read_all(limit)` the whole body, or its first limit + 1 bytes when it is longer.
    The body is read only once the token is known to be good."""
    limit = int(settings.BALIE_INBOUND_MAX_BYTES)
    too_big = _("bericht te groot (%(size)s bytes, maximaal %(limit)s)")
    if delivery.declared_size > limit:
        return _refuse(
            delivery,
            read_prefix(QUARANTINE_MAX_BYTES),
            status=413,
            reason=too_big % {"size": delivery.declared_size, "limit": limit},
            size=delivery.declared_size,
        )
    token = ingest_token(delivery.authorization)
    if token is None:
        reason = (
            _("ontbrekend token: gebruik Authorization: Bearer <token>")
            if not delivery.authorization
            else _("ongeldig token, of token zonder recht om berichten aan te leveren")
        )
        return _refuse(
            delivery,
            read_prefix(UNAUTHENTICATED_KEEP_BYTES),
            status=401,
            reason=reason,
            size=delivery.declared_size,
        )
    raw = read_all(limit)
    if len(raw) > limit:
        return _refuse(
            delivery, raw, status=413, reason=too_big % {"size": len(raw), "limit": limit}
        )
    if not raw.strip():
        return _refuse(delivery, raw, status=400, reason=_("leeg bericht"))
    if delivery.content_type not in MAIL_CONTENT_TYPES:
        return _refuse(
            delivery,
            raw,
            status=400,
            reason=_("verwacht Content-Type message/rfc822, niet %(type)s")
            % {"type": delivery.content_type},
        )
    sender, recipients = _headers_only(raw)
    if not sender:
        return _refuse(delivery, raw, status=400, reason=_("geen e-mail: geen geldig From-adres"))
    mailbox = delivery.mailbox
    account = _account(mailbox, recipients)
    if mailbox and account is None:
        return _refuse(
            delivery, raw, status=400, reason=_("onbekende mailbox: %(m)s") % {"m": mailbox[:254]}
        )
    envelope, created = ingest.receive(
        channel="email",
        account=account,
        raw=raw,
        meta={"source": "mta", "token": token.prefix, "mailbox": mailbox[:254]},
    )
    return 202, {"envelope": envelope.pk, "status": "received" if created else "duplicate"}


def _refuse(
    delivery: MtaDelivery, raw: bytes, *, status: int, reason: str, size: int | None = None
) -> tuple[int, dict[str, Any]]:
    size = len(raw) if size is None else size
    ingest.quarantine(
        channel="email",
        source="api:inbound/email",
        reason=f"{status}: {reason}",
        raw=raw[:QUARANTINE_MAX_BYTES],
        meta={
            "remote_addr": delivery.remote_addr,
            "content_type": delivery.content_type,
            "size": size,
            "truncated": size > min(len(raw), QUARANTINE_MAX_BYTES),
        },
    )
    return status, {"detail": reason}


def _headers_only(raw: bytes) -> tuple[str, list[str]]:
    """The sender and the recipient addresses, from the header section alone (fast)."""
    head = raw[:HEADER_MAX_BYTES]
    end = HEADER_END.search(head)
    head = repair_headers(head[: end.end()] if end else head)
    headers = BytesHeaderParser(policy=compat32).parsebytes(head)
    senders = [a for _n, a in getaddresses([str(v) for v in headers.get_all("From", [])])]
    recipients = [
        a.lower()
        for _n, a in getaddresses(
            [
                str(v)
                for name in ("Delivered-To", "X-Original-To", "To", "Cc")
                for v in headers.get_all(name, [])
            ]
        )
        if "@" in a
    ]
    return next((s for s in senders if "@" in s), ""), recipients


def _account(mailbox: str, recipients: list[str]) -> ChannelAccount | None:
    """The mailbox named, else the first recipient that is one of our active mailboxes (from
    the per-process cache of accounts: no query per delivery)."""
    if mailbox:
        return active_email_account(mailbox)
    if not recipients:
        return None
    wanted = set(recipients[:50])
    by_address = {
        a.address.lower(): a for a in email_accounts.get() if a.is_active and a.address in wanted
    }
    found = next((by_address[r] for r in recipients if r in by_address), None)
    return copy.copy(found) if found else None


@router.post(
    "/inbound/email",
    auth=None,
    response={202: InboundOut, 400: InboundError, 401: InboundError, 413: InboundError},
    summary="Ruwe e-mail afleveren (voor mailservers)",
    description=(
        "De body is het volledige bericht (RFC 822), Content-Type `message/rfc822` of "
        "`application/octet-stream`. Authenticatie: `Authorization: Bearer <token>` van een "
        "API-token met 'mag berichten aanleveren'. `?mailbox=<adres>` kiest de mailbox; "
        "zonder wordt die gezocht in Delivered-To/To/Cc. Antwoord 202 zodra het bericht "
        "duurzaam is opgeslagen; een herhaalde aflevering geeft status `duplicate`."
    ),
)
def inbound_email(request: HttpRequest, filters: Query[InboundQuery]) -> tuple[int, Any]:
    delivery = MtaDelivery(
        authorization=request.headers.get("Authorization", ""),
        content_type=(request.content_type or "").lower(),
        declared_size=int(request.META.get("CONTENT_LENGTH") or 0),
        mailbox=filters.mailbox,
        remote_addr=client_ip(request),
    )
    status, payload = deliver_mail(
        delivery, read_prefix=request.read, read_all=lambda _limit: request.body
    )
    if status != 202:
        raise HttpError(status, payload["detail"])
    return 202, InboundOut(**payload)
