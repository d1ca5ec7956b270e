from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from balie.core.client_address import client_ip

from . import login_throttle


class ThrottledLogin:
    """Refuses a login while the account or the client address is locked out, and counts
    each failed one (`login_throttle`). A refused request gets `login_throttled` set, which the
    views answer with 429."""

    request: Any
    cleaned_data: dict[str, Any]

    def throttled_clean(self, clean: Callable[[], Any]) -> Any:
        username = str(self.cleaned_data.get("username", ""))
        address = client_ip(self.request) if self.request is not None else ""
        if login_throttle.is_locked(username, address):
            if self.request is not None:
                self.request.login_throttled = True
            minutes = max(1, login_throttle.window_seconds() // 60)
            raise ValidationError(LOCKED_OUT % {"minutes": minutes}, code="throttled")
        try:
            result = clean()
        except ValidationError as error:
            if any(e.code == "invalid_login" for e in error.error_list):
                login_throttle.record_failure(username, address)
            raise
        login_throttle.record_success(username)
        return result


LOCKED_OUT = _(
    "Te veel mislukte inlogpogingen. Inloggen is tijdelijk geblokkeerd; probeer het over "
    "%(minutes)s minuten opnieuw."
)


class LoginForm(ThrottledLogin, AuthenticationForm):
    """Log in with username or e-mail address and password; errors in Dutch."""

    username = forms.CharField(
        label=_("Gebruikersnaam of e-mailadres"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Wachtwoord"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(
            "Onjuiste gebruikersnaam of wachtwoord. Let op hoofdletters en kleine letters."
        ),
        "inactive": _("Dit account is uitgeschakeld."),
    }

    def clean(self):
        username = self.cleaned_data.get("username", "")
        if "@" in username:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(email__iexact=username).first()
            if user is not None:
                self.cleaned_data["username"] = user.get_username()
        return self.throttled_clean(super().clean)


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """The Django admin's login, throttled like the agents' one."""

    def clean(self):
        return self.throttled_clean(super().clean)
