from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .sla_figures import BUSINESS, WALL

MAX_DAYS = 366


class PeriodForm(forms.Form):
    van = forms.DateField(label=_("Van"), widget=forms.DateInput(attrs={"type": "date"}))
    tot = forms.DateField(label=_("Tot en met"), widget=forms.DateInput(attrs={"type": "date"}))
    tijd = forms.ChoiceField(
        label=_("Tijden in"),
        choices=[(BUSINESS, _("zakelijke tijd (openingstijden)")), (WALL, _("kloktijd"))],
        required=False,
    )

    @classmethod
    def from_query(cls, query: Any) -> PeriodForm:
        today = timezone.localdate()
        data = {
            "van": query.get("van") or (today - timedelta(days=29)).isoformat(),
            "tot": query.get("tot") or today.isoformat(),
            "tijd": query.get("tijd") or BUSINESS,
        }
        return cls(data)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start: date | None = data.get("van")
        end: date | None = data.get("tot")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("De einddatum ligt vóór de begindatum."))
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("Kies een periode van hooguit een jaar."))
        data["tijd"] = data.get("tijd") or BUSINESS
        return data
