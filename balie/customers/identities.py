"""Normalising identity values, so that one address or number always finds one customer."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import IdentityKind


def normalise_email(value: str) -> str:
    value = value.strip().strip("<>").strip()
    validate_email(value)
    local, _sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}".lower()


def normalise_phone(value: str, region: str = "NL") -> str:
    raw = value.strip()
    if raw.startswith("whatsapp:"):
        raw = raw.removeprefix("whatsapp:")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Ongeldig telefoonnummer: %(value)s") % {"value": value}) from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("Ongeldig telefoonnummer: %(value)s") % {"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise(kind: str, value: str) -> str:
    if kind == IdentityKind.EMAIL:
        return normalise_email(value)
    if kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        return normalise_phone(value)
    value = value.strip()
    if not value:
        raise ValidationError(_("Lege waarde"))
    if kind == IdentityKind.X:
        return value.lstrip("@").lower()
    return value
