"""Log-in links for the customer portal.

A link carries the customer id and the e-mail address it was sent to, signed with a
TimestampSigner, so it is valid for BALIE_MAGIC_LINK_MAX_AGE seconds and cannot be forged. It is
single-use: a hash of a used token is kept in the cache (Redis in production) for as long as
the token could still be valid. The link still only works while that address belongs to the
customer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from balie.customers.actions import find_customer
from balie.customers.models import Customer

SALT = "balie.portal.magic-link"


class InvalidLink(Exception):
    """The reason a link cannot be used, in words for the customer."""


@dataclass(frozen=True)
class LinkHolder:
    customer: Customer
    email: str


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(customer: Customer, email: str) -> str:
    return _signer().sign_object({"c": customer.pk, "v": email})


def link_for(customer: Customer, email: str) -> str:
    return settings.BASE_URL + reverse("portal:magic_login", args=[make_token(customer, email)])


def _used_key(token: str) -> str:
    return "balie:portal:magic-used:" + hashlib.sha256(token.encode()).hexdigest()


def check_token(token: str) -> LinkHolder:
    """Who the link is for, without using it up. Raises InvalidLink."""
    try:
        data = _signer().unsign_object(token, max_age=settings.BALIE_MAGIC_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidLink(_("Deze inloglink is verlopen. Vraag een nieuwe aan.")) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidLink(_("Deze inloglink is ongeldig. Vraag een nieuwe aan.")) from None
    if not isinstance(data, dict) or not data.get("v") or not data.get("c"):
        raise InvalidLink(_("Deze inloglink is ongeldig. Vraag een nieuwe aan."))
    if cache.get(_used_key(token)):
        raise InvalidLink(_("Deze inloglink is al gebruikt. Vraag een nieuwe aan."))
    found = find_customer("email", str(data["v"]))
    if found is None or _current(data["c"]) != found[0].pk:
        raise InvalidLink(_("Deze inloglink is ongeldig. Vraag een nieuwe aan."))
    return LinkHolder(customer=found[0], email=found[1].value)


def _current(customer_id: object) -> int | None:
    """The id a customer lives on under after merges (a link sent before a merge still works)."""
    seen: set[int] = set()
    current = Customer.objects.filter(pk=customer_id).values_list("pk", "merged_into").first()
    while current and current[1] and current[0] not in seen:
        seen.add(current[0])
        current = Customer.objects.filter(pk=current[1]).values_list("pk", "merged_into").first()
    return current[0] if current else None


def use_token(token: str) -> LinkHolder:
    """Check the link and mark it used; a second use (even at the same moment) fails."""
    holder = check_token(token)
    if not cache.add(_used_key(token), 1, timeout=settings.BALIE_MAGIC_LINK_MAX_AGE + 60):
        raise InvalidLink(_("Deze inloglink is al gebruikt. Vraag een nieuwe aan."))
    return holder


def send_magic_link(email: str) -> bool:
    """Mail a log-in link when the address belongs to a customer; True when one was sent.
    Nothing is said to the requester either way."""
    found = find_customer("email", email)
    if found is None:
        return False
    customer, identity = found
    language = customer.language if customer.language in ("nl", "en") else "nl"
    minutes = settings.BALIE_MAGIC_LINK_MAX_AGE // 60
    with translation.override(language):
        context = {
            "customer": customer,
            "company": settings.BALIE_COMPANY_NAME,
            "link": link_for(customer, identity.value),
            "days": minutes // (24 * 60) if minutes % (24 * 60) == 0 else 0,
            "hours": minutes // 60 if minutes % 60 == 0 else 0,
            "minutes": minutes,
        }
        subject = _("Uw inloglink voor %(company)s") % {"company": settings.BALIE_COMPANY_NAME}
        body = render_to_string("portal/email/magic_link.txt", context).strip()
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [identity.value])
    return True
