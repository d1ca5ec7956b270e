"""The Beheer forms for a team's routing and an agent's skills. The rules live on the models
(`TeamRouting.clean`, `AgentSkills.clean`): a ModelForm runs them, as the Django admin does."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Team
from balie.tickets.models import Channel

from .models import LANGUAGES, AgentSkills, TeamRouting


class TeamRoutingForm(forms.ModelForm):
    routed_channels = forms.MultipleChoiceField(
        label=_("Verdeelde kanalen"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tickets van deze kanalen verdeelt de routering; andere blijven in de inbox."),
    )

    class Meta:
        model = TeamRouting
        fields = [
            "mode",
            "routed_channels",
            "cap",
            "ticket_cap",
            "offer_timeout",
            "overflow_queue_length",
            "overflow_wait",
            "overflow_action",
            "overflow_team",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["overflow_team"].queryset = Team.objects.order_by("name")


class TopicsField(forms.CharField):
    """Topics typed as a comma-separated list, kept as a list."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        return [part.strip() for part in text.split(",") if part.strip()]


class AgentSkillsForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("Talen"),
        choices=LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leeg: alle talen."),
    )
    topics = TopicsField(
        label=_("Onderwerpen en producten"),
        required=False,
        max_length=1000,
        help_text=_(
            "Gescheiden door komma's. Leeg: alles. Onderwerpen van het contactformulier en de "
            "chat: question, billing, incident, meter_reading, moving, complaint, other."
        ),
    )

    class Meta:
        model = AgentSkills
        fields = ["languages", "topics"]
