from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
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
        return super().clean()
