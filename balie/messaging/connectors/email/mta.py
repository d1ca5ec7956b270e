"""What a mail server (MTA) delivers: raw e-mail to `POST /api/v1/inbound/email`.

The endpoint takes the raw RFC 822 message as the request body. The request's
headers are judged first (`admit`: declared length, bearer token of an `ApiToken` with the ingest
scope), then the body is read (all of it with a good token, at most 16 KB without), then
`file_delivery` looks at the mail's headers only (is there a From?), stores the envelope durably
and answers 202; parsing and filing happen in the worker. Anything refused is answered with a
4xx and its reason, and a bounded copy is kept in quarantine; a database that stays locked
(SQLite, while a large mail is filed) is answered 503 with Retry-After.

The servers that take the request (Django's view in `balie.intake.mail_server`, the ASGI route
in `.asgi`) give the storing steps of the layer above as an `Intake`, so that the e-mail
package imports no intake.
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
from django.utils.translation import gettext as _

from balie.accounts.api_auth import ingest_token
from balie.accounts.models import ApiToken
from balie.core.database_busy import retry_while_locked
from balie.messaging.models import ChannelAccount

from .addresses import active_email_account, email_accounts
from .parsing import repair_headers

QUARANTINE_MAX_BYTES = 256 * 1024  # what is kept of refused input
# Of a request without a valid token less is kept: anyone can send those, and the quarantine
# must not become free storage. Enough to see what was sent, and by whom.
UNAUTHENTICATED_KEEP_BYTES = 16 * 1024
HEADER_MAX_BYTES = 256 * 1024
HEADER_END = re.compile(rb"\r?\n\r?\n")
MAIL_CONTENT_TYPES = ("message/rfc822", "application/octet-stream", "text/plain", "")


@dataclass(frozen=True)
class Intake:
    """The steps of the intake layer the endpoint stores with, given by whoever serves it:
    `receive` (intake.pipeline.receive: store the envelope, queue its processing) and
    `quarantine` (intake.pipeline.quarantine: keep refused input with its reason)."""

    receive: Callable[..., tuple[Any, bool]]
    quarantine: Callable[..., Any]
    # intake.pipeline.receive_many: store deliveries that arrived together in one INSERT.
    receive_many: Callable[[list[dict[str, Any]]], list[tuple[Any, bool]]] | None = None


@dataclass(frozen=True)
class MtaDelivery:
    """What the endpoint looks at besides the body, from whichever server took the request
    (Django's, or the ASGI route of `.asgi`)."""

    authorization: str
    content_type: str  # without parameters, lower case
    declared_size: int  # Content-Length, 0 when absent
    mailbox: str
    remote_addr: str


@dataclass(frozen=True)
class Admission:
    """What the headers alone decide about a delivery, before any of its body is read: the
    token, how many bytes of the body to read, and the refusal (status, reason) if any."""

    token: ApiToken | None
    read: int
    refusal: tuple[int, str] | None = None


def admit(delivery: MtaDelivery, *, tokens: dict[str, ApiToken] | None = None) -> Admission:
    """Judge a delivery by its headers. A declared length over the limit is refused at once,
    without waiting for any of the body (quarantine records who sent what size); without a
    valid token at most UNAUTHENTICATED_KEEP_BYTES of the body are read (what is kept in
    quarantine), whatever the declared length; with one, the whole body. `tokens`: the
    ingest tokens as `ingest_tokens.peek()` gave them (see `ingest_token`)."""
    limit = int(settings.BALIE_INBOUND_MAX_BYTES)
    if delivery.declared_size > limit:
        reason = _too_big(delivery.declared_size, limit)
        return Admission(token=None, read=0, refusal=(413, reason))
    token = ingest_token(delivery.authorization, tokens=tokens)
    if token is None:
        reason = (
            _("ontbrekend token: gebruik Authorization: Bearer <token>")
            if not delivery.authorization
            else _("ongeldig token, of token zonder recht om berichten aan te leveren")
        )
        return Admission(token=None, read=UNAUTHENTICATED_KEEP_BYTES, refusal=(401, reason))
    return Admission(token=token, read=limit + 1)


def _too_big(size: int, limit: int) -> str:
    return _("bericht te groot (%(size)s bytes, maximaal %(limit)s)") % {
        "size": size,
        "limit": limit,
    }


def file_delivery(
    delivery: MtaDelivery, admission: Admission, raw: bytes, *, intake: Intake
) -> tuple[int, dict[str, Any]]:
    """Store and acknowledge a delivery admitted by `admit`, with the body read as far as
    `admission.read`: (202, envelope and status) or (4xx, reason), the refused kept in
    quarantine. Raises DatabaseBusy when SQLite stays locked (answer 503)."""
    return file_deliveries([(delivery, admission, raw)], intake=intake)[0]


def file_deliveries(
    deliveries: list[tuple[MtaDelivery, Admission, bytes]], *, intake: Intake
) -> list[tuple[int, dict[str, Any]]]:
    """`file_delivery` for each of deliveries that arrived together: the refused are
    quarantined one by one, those to store go in together (`intake.receive_many`: one INSERT,
    one commit). Raises DatabaseBusy when SQLite stays locked (answer 503 to all)."""
    answers: list[tuple[int, dict[str, Any]] | None] = []
    storing: list[tuple[int, dict[str, Any]]] = []
    for delivery, admission, raw in deliveries:
        judged = _judge(delivery, admission, raw)
        if isinstance(judged, Refusal):
            answers.append(
                _refuse(
                    intake,
                    delivery,
                    raw,
                    status=judged.status,
                    reason=judged.reason,
                    size=judged.size,
                )
            )
            continue
        storing.append((len(answers), judged))
        answers.append(None)
    if storing:
        fields = [fields for _position, fields in storing]
        if intake.receive_many is not None and len(fields) > 1:
            receive_many = intake.receive_many
            stored = retry_while_locked(lambda: receive_many(fields))
        else:
            stored = [retry_while_locked(lambda f=f: intake.receive(**f)) for f in fields]  # type: ignore[misc]
        for (position, _fields), (envelope, created) in zip(storing, stored, strict=True):
            answers[position] = (
                202,
                {"envelope": envelope.pk, "status": "received" if created else "duplicate"},
            )
    return [answer for answer in answers if answer is not None]


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    size: int | None = None


def _judge(delivery: MtaDelivery, admission: Admission, raw: bytes) -> Refusal | dict[str, Any]:
    """What to do with a delivery admitted by `admit`: the refusal, or the fields of
    `intake.receive` to store it with."""
    if admission.refusal is not None:
        status, reason = admission.refusal
        return Refusal(status, reason, delivery.declared_size)
    assert admission.token is not None
    limit = admission.read - 1
    if len(raw) > limit:
        return Refusal(413, _too_big(len(raw), limit))
    if not raw.strip():
        return Refusal(400, _("leeg bericht"))
    if delivery.content_type not in MAIL_CONTENT_TYPES:
        return Refusal(
            400,
            _("verwacht Content-Type message/rfc822, niet %(type)s")
            % {"type": delivery.content_type},
        )
    sender, recipients = _headers_only(raw)
    if not sender:
        return Refusal(400, _("geen e-mail: geen geldig From-adres"))
    mailbox = delivery.mailbox
    account = _account(mailbox, recipients)
    if mailbox and account is None:
        return Refusal(400, _("onbekende mailbox: %(m)s") % {"m": mailbox[:254]})
    meta = {"source": "mta", "token": admission.token.prefix, "mailbox": mailbox[:254]}
    return {"channel": "email", "account": account, "raw": raw, "meta": meta}


def deliver_mail(
    delivery: MtaDelivery,
    *,
    read_prefix: Callable[[int], bytes],
    read_all: Callable[[int], bytes],
    intake: Intake,
) -> tuple[int, dict[str, Any]]:
    """`admit` and `file_delivery` in one, for a server that reads the body itself:
    `read_prefix(n)` gives at most the first n bytes of the body, `read_all(limit)` the whole
    body, or its first limit + 1 bytes when it is longer."""
    admission = admit(delivery)
    if admission.refusal is not None:
        raw = read_prefix(admission.read)
    else:
        raw = read_all(admission.read - 1)
    return file_delivery(delivery, admission, raw, intake=intake)


def _refuse(
    intake: Intake,
    delivery: MtaDelivery,
    raw: bytes,
    *,
    status: int,
    reason: str,
    size: int | None = None,
) -> tuple[int, dict[str, Any]]:
    size = len(raw) if size is None else size
    meta = {
        "remote_addr": delivery.remote_addr,
        "content_type": delivery.content_type,
        "size": size,
        "truncated": size > min(len(raw), QUARANTINE_MAX_BYTES),
    }
    retry_while_locked(
        lambda: intake.quarantine(
            channel="email",
            source="api:inbound/email",
            reason=f"{status}: {reason}",
            raw=raw[:QUARANTINE_MAX_BYTES],
            meta=meta,
        )
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
