from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Team
from balie.tickets.events import EventKind
from balie.tickets.models import Priority, Status

from .models import Event, Language, LifecycleSettings
from .placeholders import unknown_placeholders
from .rule_conditions import validate_conditions
from .rule_effects import valid_webhook_url, validate_actions

CONDITIONS_EXAMPLE = (
    '[{"field": "channel", "op": "is", "value": "email"},\n'
    ' {"field": "text", "op": "contains", "value": "storing"}]'
)
ACTIONS_EXAMPLE = (
    '[{"type": "assign_team", "team": "techniek"},\n {"type": "add_tag", "tag": "storing"}]'
)


class JSONListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"})

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text.strip():
            return []
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("Geen geldige JSON (regel %(line)s, kolom %(col)s): %(msg)s"),
                params={"line": error.lineno, "col": error.colno, "msg": error.msg},
            ) from error

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=1)
        return value


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Naam"), max_length=120)
    event = forms.ChoiceField(label=_("Wanneer"), choices=Event.choices)
    is_active = forms.BooleanField(label=_("Actief"), required=False, initial=True)
    conditions = JSONListField(
        label=_("Voorwaarden (alle moeten gelden)"),
        required=False,
        help_text=_("Een JSON-lijst, bijvoorbeeld: %(example)s. Leeg: altijd.")
        % {"example": CONDITIONS_EXAMPLE},
    )
    actions = JSONListField(
        label=_("Acties (in deze volgorde)"),
        help_text=_("Een JSON-lijst, bijvoorbeeld: %(example)s") % {"example": ACTIONS_EXAMPLE},
    )
    description = forms.CharField(
        label=_("Toelichting"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_conditions(self) -> Any:
        value = self.cleaned_data["conditions"]
        errors = validate_conditions(value)
        if errors:
            raise forms.ValidationError(errors)
        return value

    def clean_actions(self) -> Any:
        value = self.cleaned_data["actions"]
        errors = validate_actions(value)
        if errors:
            raise forms.ValidationError(errors)
        return value


class MacroForm(forms.Form):
    name = forms.CharField(label=_("Naam"), max_length=120)
    language = forms.ChoiceField(label=_("Taal"), choices=Language.choices)
    body = forms.CharField(
        label=_("Tekst"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Plaatshouders: {{ klant.naam }}, {{ klant.nummer }}, {{ ticket.nummer }}, "
            "{{ ticket.onderwerp }}, {{ ticket.uiterlijk }} (de eerstvolgende deadline), "
            "{{ medewerker.naam }}, {{ bedrijf.naam }}; of de Engelse namen "
            "({{ customer.name }}, {{ ticket.number }}, {{ ticket.due }}, {{ agent.name }} …)."
        ),
    )
    status = forms.ChoiceField(
        label=_("Status wordt"),
        choices=[("", _("(niet wijzigen)")), *Status.choices],
        required=False,
    )
    priority = forms.ChoiceField(
        label=_("Prioriteit wordt"),
        choices=[("", _("(niet wijzigen)")), *Priority.choices],
        required=False,
    )
    team = forms.ModelChoiceField(
        label=_("Naar team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("(niet wijzigen)"),
    )
    add_tags = forms.CharField(
        label=_("Labels toevoegen"),
        required=False,
        help_text=_("Gescheiden door komma's."),
    )
    is_active = forms.BooleanField(label=_("Actief"), required=False, initial=True)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        unknown = unknown_placeholders(body)
        if unknown:
            raise forms.ValidationError(
                _("Onbekende plaatshouder(s): %(names)s.")
                % {"names": ", ".join("{{ " + name + " }}" for name in unknown)}
            )
        return body

    def clean_add_tags(self) -> list[str]:
        raw = self.cleaned_data["add_tags"]
        return sorted({t.strip().lower()[:50] for t in raw.split(",") if t.strip()})


class LifecycleSettingsForm(forms.ModelForm):
    class Meta:
        model = LifecycleSettings
        fields = [
            "is_active",
            "reminder_after_days",
            "final_notice_after_days",
            "solve_after_days",
            "close_after_days",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        reminder = data.get("reminder_after_days")
        final = data.get("final_notice_after_days")
        solve = data.get("solve_after_days")
        if None not in (reminder, final, solve) and not (0 < reminder < final < solve):
            raise forms.ValidationError(
                _(
                    "Herinnering, laatste herinnering en oplossen moeten elkaar in die volgorde opvolgen."
                )
            )
        return data


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(
        label=_("In de wacht tot"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )

    def clean_until(self) -> Any:
        until = self.cleaned_data["until"]
        if until <= timezone.now():
            raise forms.ValidationError(_("Kies een moment in de toekomst."))
        return until


class WebhookSubscriptionForm(forms.Form):
    name = forms.CharField(label=_("Naam"), max_length=120)
    url = forms.URLField(
        label=_("Adres (URL)"),
        max_length=500,
        help_text=_("Balie stuurt elke gebeurtenis als JSON in een POST naar dit adres."),
    )
    secret = forms.CharField(
        label=_("Geheim"),
        max_length=200,
        min_length=16,
        help_text=_(
            "Minstens 16 tekens. Elke POST draagt X-Balie-Signature: sha256=<HMAC van de body "
            "met dit geheim> en X-Balie-Timestamp."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("Gebeurtenissen"),
        choices=[(kind.value, kind.value) for kind in EventKind],
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("Actief"), required=False, initial=True)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not valid_webhook_url(url):
            raise forms.ValidationError(_("Het adres moet met http:// of https:// beginnen."))
        return url
