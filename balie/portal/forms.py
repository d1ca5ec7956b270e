"""Forms of the public pages: the contact form, the portal log-in and the portal reply box."""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile as DjangoUpload
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from balie.customers.identities import normalise_phone
from balie.intake.topics import TOPICS
from balie.tickets.actions import UploadedFile, check_attachment

MAX_FILES = 5
STARTED_SALT = "balie.portal.contact-form-started"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is size- and type-checked like every attachment."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if len(items) > MAX_FILES:
            raise ValidationError(
                ngettext(
                    "U kunt maximaal %(max)s bestand meesturen.",
                    "U kunt maximaal %(max)s bestanden meesturen.",
                    MAX_FILES,
                )
                % {"max": MAX_FILES}
            )
        files = [super(MultipleFileField, self).clean(item, initial) for item in items]
        return read_uploads(files)


def read_uploads(files: list[DjangoUpload]) -> list[UploadedFile]:
    errors: list[str] = []
    accepted: list[UploadedFile] = []
    total = 0
    for upload in files:
        name = upload.name or "bijlage"
        content_type = upload.content_type or mimetypes.guess_type(name)[0] or ""
        reason = check_attachment(name, content_type, upload.size or 0)
        if reason:
            errors.append(
                str(_("%(name)s is niet meegestuurd: %(reason)s"))
                % {"name": name, "reason": reason}
            )
            continue
        total += upload.size or 0
        accepted.append(
            UploadedFile(filename=name, content_type=content_type, content=upload.read())
        )
    # The files travel base64-encoded inside one stored envelope.
    if total * 4 // 3 > settings.BALIE_INBOUND_MAX_BYTES:
        limit = settings.BALIE_INBOUND_MAX_BYTES * 3 // 4 // (1024 * 1024)
        errors.append(
            str(_("De bestanden zijn samen te groot (maximaal %(limit)s MB).")) % {"limit": limit}
        )
    if errors:
        errors.append(str(_("Kies de bestanden opnieuw; andere bestanden zijn niet bewaard.")))
        raise ValidationError(errors)
    return accepted


def sign_started(at: float | None = None) -> str:
    """The moment the form was shown, signed so that a bot cannot backdate it, with a nonce
    that makes every form shown a token that can be sent once."""
    moment = round(at if at is not None else time.time(), 3)
    return signing.dumps({"t": moment, "n": secrets.token_hex(8)}, salt=STARTED_SALT)


def seconds_since(stamp: str) -> float | None:
    """Seconds since the signed moment, or None when the stamp is missing or forged."""
    try:
        data = signing.loads(stamp, salt=STARTED_SALT)
        return time.time() - float(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _used_key(stamp: str) -> str:
    return "balie:portal:contact-used:" + hashlib.sha256(stamp.encode()).hexdigest()


def use_started(stamp: str) -> bool:
    """Use up the form's token: False when it has expired (BALIE_CONTACT_MAX_SECONDS), has no
    nonce (a form shown before tokens were single-use), or was sent before (a replay). The
    used tokens are kept in the cache (Redis in production) until they would expire anyway."""
    max_age = float(getattr(settings, "BALIE_CONTACT_MAX_SECONDS", 4 * 3600))
    try:
        data = signing.loads(stamp, salt=STARTED_SALT)
        elapsed = time.time() - float(data["t"])
        has_nonce = bool(data.get("n"))
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return False
    if elapsed > max_age or not has_nonce:
        return False
    return bool(cache.add(_used_key(stamp), 1, timeout=int(max_age) + 60))


class AttachmentsHelp:
    """Tells how many and how large files may be, in the language of the request."""

    fields: dict[str, forms.Field]

    def describe_attachments(self) -> None:
        self.fields["attachments"].help_text = _(
            "Maximaal %(max)s bestanden, elk tot %(size)s MB."
        ) % {"max": MAX_FILES, "size": settings.BALIE_ATTACHMENT_MAX_BYTES // (1024 * 1024)}


class ContactForm(AttachmentsHelp, forms.Form):
    name = forms.CharField(
        label=_("Naam"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mailadres"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Telefoonnummer"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "type": "tel"}),
    )
    customer_number = forms.CharField(
        label=_("Klantnummer"),
        max_length=30,
        required=False,
        help_text=_("Als u het weet; u vindt het op uw factuur."),
    )
    order_number = forms.CharField(
        label=_("Order- of contractnummer"), max_length=40, required=False
    )
    topic = forms.ChoiceField(label=_("Onderwerp van uw vraag"), choices=TOPICS, initial="question")
    subject = forms.CharField(label=_("Korte omschrijving"), max_length=200, required=False)
    message = forms.CharField(
        label=_("Uw bericht"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = MultipleFileField(label=_("Bijlagen"))
    # Anti-spam: a field people never see (hidden by CSS) and the moment the form was shown.
    website = forms.CharField(
        label=_("Website"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_attachments()
        if not self.is_bound:
            self.initial["started"] = sign_started()

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "").strip()
        return normalise_phone(value) if value else ""

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def spam_reason(self) -> str:
        """Why this submission looks like a bot's ("" when it does not). Read from the raw
        input, so it works whether or not the rest of the form is valid."""
        if self.data.get("website", "").strip():
            return "honeypot"
        elapsed = seconds_since(self.data.get("started", ""))
        if elapsed is None:
            return "tijdstempel ontbreekt of is vervalst"
        minimum = float(getattr(settings, "BALIE_CONTACT_MIN_SECONDS", 2))
        if elapsed < minimum:
            return f"te snel verstuurd ({elapsed:.1f} s)"
        return ""


class PortalLoginForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mailadres"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ReplyForm(AttachmentsHelp, forms.Form):
    message = forms.CharField(
        label=_("Uw reactie"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachments = MultipleFileField(label=_("Bijlagen"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe_attachments()
