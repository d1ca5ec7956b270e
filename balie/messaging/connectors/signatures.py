"""Checks that webhook connectors share: an HMAC signature over the raw body, and the GET
handshake with which Meta (WhatsApp, Messenger, Instagram) and others confirm a webhook URL."""

from __future__ import annotations

import hashlib
import hmac

from django.utils.translation import gettext as _

from .base import RejectedInput, WebhookRequest


def check_hmac(body: bytes, *, secret: str, given: str, prefix: str = "sha256=") -> None:
    """Raise RejectedInput unless `given` (a header's value, such as "sha256=<hex>") is the
    HMAC-SHA256 of the body with the secret: 401 when it is missing, 403 when it is wrong or
    the account has no secret (it would accept anything)."""
    if not given:
        raise RejectedInput(_("handtekening ontbreekt"), status=401)
    if not secret:
        raise RejectedInput(
            _("dit account heeft geen geheim om handtekeningen te controleren"), status=403
        )
    expected = prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
        raise RejectedInput(_("ongeldige handtekening"), status=403)


def hub_challenge(call: WebhookRequest, *, verify_token: str) -> str:
    """Meta's subscription handshake: `hub.mode=subscribe`, `hub.verify_token` as configured,
    answered with `hub.challenge`. RejectedInput (403) otherwise."""
    mode = call.query.get("hub.mode", "")
    token = call.query.get("hub.verify_token", "")
    challenge = call.query.get("hub.challenge", "")
    if mode != "subscribe" or not challenge:
        raise RejectedInput(_("geen geldige handshake"), status=400)
    if not verify_token or not hmac.compare_digest(token.encode(), verify_token.encode()):
        raise RejectedInput(_("ongeldig verificatietoken"), status=403)
    return challenge
