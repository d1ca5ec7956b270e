from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import IdentityKind


class IdentityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Soort"), choices=IdentityKind.choices)
    value = forms.CharField(
        label=_("E-mailadres, telefoonnummer of account"),
        max_length=254,
        error_messages={"required": _("Vul een waarde in.")},
    )


class MergeForm(forms.Form):
    number = forms.CharField(
        label=_("Klantnummer van de andere klant"),
        max_length=20,
        error_messages={"required": _("Vul een klantnummer in.")},
    )
