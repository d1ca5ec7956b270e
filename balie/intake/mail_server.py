"""The mail servers' endpoint, `POST /api/v1/inbound/email`, as Django serves it (the ASGI
application answers the same path itself, `connectors.email.asgi`): the e-mail package judges
and stores the delivery (`connectors.email.mta`) with the intake steps given here."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from balie.core.client_address import client_ip
from balie.messaging.connectors.email.mta import Intake, MtaDelivery, deliver_mail

from . import pipeline as ingest

# How the e-mail package stores a delivery and keeps refused input: also given to the ASGI
# route by config/asgi.py.
INTAKE = Intake(
    receive=ingest.receive, quarantine=ingest.quarantine, receive_many=ingest.receive_many
)

router = Router()


class InboundOut(Schema):
    envelope: int
    status: str


class InboundError(Schema):
    detail: str


class InboundQuery(Schema):
    mailbox: str = ""


@router.post(
    "/inbound/email",
    auth=None,
    response={
        202: InboundOut,
        400: InboundError,
        401: InboundError,
        408: InboundError,
        413: InboundError,
        503: InboundError,
    },
    summary="Ruwe e-mail afleveren (voor mailservers)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("message/rfc822", "application/octet-stream")
            },
        }
    },
    description=(
        "De body is het volledige bericht (RFC 822), Content-Type `message/rfc822` of "
        "`application/octet-stream`. Authenticatie: `Authorization: Bearer <token>` van een "
        "API-token met 'mag berichten aanleveren'. `?mailbox=<adres>` kiest de mailbox; "
        "zonder wordt die gezocht in Delivered-To/To/Cc. Antwoord 202 zodra het bericht "
        "duurzaam is opgeslagen; een herhaalde aflevering geeft status `duplicate`. Een "
        "opgegeven Content-Length boven de limiet krijgt meteen 413; een body die niet binnen "
        "de leestijd aankomt 408; een database die even bezet is 503 met Retry-After."
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
        delivery, read_prefix=request.read, read_all=lambda _limit: request.body, intake=INTAKE
    )
    if status != 202:
        raise HttpError(status, payload["detail"])
    return 202, InboundOut(**payload)
