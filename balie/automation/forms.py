from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Team
from balie.tickets.events import EventKind
from balie.tickets.models import Priority, Status, tag_names

from .models import Language, LifecycleSettings
from .placeholders import unknown_placeholders
from .rule_effects import valid_webhook_url


class RuleImportForm(forms.Form):
    file = forms.FileField(
        label=_("JSON-bestand met regels"),
        help_text=_("Een export van Balie (alle regels of één), hooguit 1 MB."),
        error_messages={"empty": _("Het bestand is leeg.")},
    )
    keep_active = forms.BooleanField(
        label=_("Regels meteen aanzetten zoals in het bestand"),
        required=False,
        help_text=_("Anders komen ze uitgeschakeld binnen, om eerst na te kijken."),
    )


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
        try:
            return tag_names(self.cleaned_data["add_tags"].split(","))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="too_long") from exc


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
