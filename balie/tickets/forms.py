"""Forms of the agent UI for tickets: inbox filters, reply/note, ticket fields, log a contact."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from balie.accounts.models import Agent, Team
from balie.accounts.staff_lists import other_active_agents, teams_visible_to
from balie.core.widgets import NormalChoices, QuickSelect
from balie.customers.models import Customer

from .actions import UploadedFile
from .inbox import FORMER_CODES, SORTS, VIEWS, Filters
from .models import LOGGED_CHANNELS, Channel, Priority, Status, TicketType, tag_names

ANY = [("", _("Alle"))]


def visible_teams(agent: Agent):
    """Teams whose tickets the agent may see: public teams and their own (admins: all)."""
    teams = Team.objects.all()
    if not agent.is_admin:
        teams = teams.filter(Q(is_private=False) | Q(pk__in=agent.team_ids()))
    return teams.order_by("name")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def uploaded_files(files: list[Any]) -> list[UploadedFile]:
    return [
        UploadedFile(
            filename=f.name, content_type=f.content_type or "", content=b"".join(f.chunks())
        )
        for f in files
    ]


class InboxFilterForm(forms.Form):
    view = forms.ChoiceField(
        label=_("Weergave"), choices=list(VIEWS.items()), required=False, widget=QuickSelect
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=ANY + Status.choices, required=False, widget=QuickSelect
    )
    team = forms.ChoiceField(label=_("Team"), required=False, widget=QuickSelect)
    assignee = forms.ChoiceField(label=_("Behandelaar"), required=False, widget=QuickSelect)
    channel = forms.ChoiceField(
        label=_("Kanaal"), choices=ANY + Channel.choices, required=False, widget=QuickSelect
    )
    priority = forms.ChoiceField(
        label=_("Prioriteit"), choices=ANY + Priority.choices, required=False, widget=QuickSelect
    )
    type = forms.ChoiceField(
        label=_("Soort"), choices=ANY + TicketType.choices, required=False, widget=QuickSelect
    )
    tag = forms.CharField(label=_("Label"), required=False, max_length=50)
    sort = forms.ChoiceField(
        label=_("Sorteren"),
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
        required=False,
        widget=QuickSelect,
    )

    def __init__(
        self, *args: Any, agent: Agent, like: InboxFilterForm | None = None, **kwargs: Any
    ) -> None:
        """`like`: a form of the same request whose team and assignee lists this one takes
        (the inbox builds its form twice; the lists are two queries each)."""
        super().__init__(*args, **kwargs)
        if self.is_bound and any(
            self.data.get(name) in former for name, former in FORMER_CODES.items()
        ):
            data: Any = self.data.copy()
            for name, former in FORMER_CODES.items():
                data[name] = former.get(data.get(name, ""), data.get(name, ""))
            self.data = data
        if like is not None:
            self.teams = like.teams
            self.fields["team"].choices = NormalChoices(list(like.fields["team"].choices))
            self.fields["assignee"].choices = like.fields["assignee"].choices
            return
        # From the per-process lists: three queries on every inbox page otherwise.
        self.teams = teams_visible_to(agent)
        self.fields["team"].choices = ANY + [(str(t.pk), t.name) for t in self.teams]
        self.fields["assignee"].choices = NormalChoices(
            [
                ("", _("Iedereen")),
                ("0", _("Niet toegewezen")),
                (str(agent.pk), _("Ikzelf")),
            ]
            + [(str(pk), name) for pk, name in other_active_agents(agent)]
        )

    def value(self, name: str) -> str:
        """The cleaned value, or "" for a field with an invalid value (ignored, not an error)."""
        if not self.is_bound:
            return ""
        self.is_valid()
        return str(self.cleaned_data.get(name) or "")

    def filters(self) -> Filters:
        def one(name: str) -> tuple[str, ...]:
            value = self.value(name)
            return (value,) if value else ()

        team, assignee = self.value("team"), self.value("assignee")
        return Filters(
            view=self.value("view") or "all_open",
            status=one("status"),
            team=int(team) if team else None,
            assignee=int(assignee) if assignee else None,
            channel=one("channel"),
            priority=one("priority"),
            type=one("type"),
            tag=self.value("tag"),
        )

    def requested_sort(self) -> str:
        """The sort asked for in the request ("" when none or not a known one)."""
        return self.value("sort")


class ReplyMode:
    REPLY = "antwoord"
    NOTE = "notitie"


STATUS_AFTER_CHOICES = [
    ("", _("Verzenden")),
    (Status.PENDING, _("Verzenden en op wacht op klant zetten")),
    (Status.ON_HOLD, _("Verzenden en in de wacht zetten")),
    (Status.SOLVED, _("Verzenden en oplossen")),
]


class ReplyForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Soort bericht"),
        choices=[
            (ReplyMode.REPLY, _("Antwoord aan klant")),
            (ReplyMode.NOTE, _("Interne notitie")),
        ],
        initial=ReplyMode.REPLY,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Bericht"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Schrijf eerst een bericht.")},
    )
    attachments = MultipleFileField(label=_("Bijlagen"))
    status_after = forms.ChoiceField(
        label=_("Na verzenden"), choices=STATUS_AFTER_CHOICES, required=False
    )
    # "email": answer by e-mail instead of on the ticket's channel (which cannot send).
    via = forms.ChoiceField(
        choices=[("", ""), ("email", _("E-mail"))], required=False, widget=forms.HiddenInput
    )


class TicketFieldsForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, widget=QuickSelect)
    priority = forms.ChoiceField(
        label=_("Prioriteit"), choices=Priority.choices, widget=QuickSelect
    )
    type = forms.ChoiceField(label=_("Soort"), choices=TicketType.choices, widget=QuickSelect)
    team = forms.ChoiceField(label=_("Team"), required=False, widget=QuickSelect)
    assignee = forms.ChoiceField(label=_("Behandelaar"), required=False, widget=QuickSelect)
    tags = forms.CharField(
        label=_("Labels"),
        required=False,
        max_length=500,
        help_text=_("Gescheiden door komma's."),
    )

    def clean_tags(self) -> list[str]:
        try:
            return tag_names(self.cleaned_data["tags"].split(","))
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="too_long") from exc

    def __init__(self, *args: Any, agent: Agent, ticket: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in visible_teams(agent)}
        if ticket.team_id and str(ticket.team_id) not in self.teams and ticket.team:
            self.teams[str(ticket.team_id)] = ticket.team
        self.fields["team"].choices = [("", _("(geen team)"))] + [
            (key, team.name) for key, team in self.teams.items()
        ]
        # Ids and names only: the page is rendered for every ticket an agent opens, and a
        # service desk may have a thousand agents.
        agents = list(
            Agent.objects.active().order_by("display_name").values_list("pk", "display_name")
        )
        self.agent_ids = {str(pk) for pk, _name in agents}
        members = (
            set(
                Agent.teams.through.objects.filter(team_id=ticket.team_id).values_list(
                    "agent_id", flat=True
                )
            )
            if ticket.team_id
            else set()
        )
        in_team = [(str(pk), name) for pk, name in agents if pk in members]
        others = [(str(pk), name) for pk, name in agents if pk not in members]
        choices: list[Any] = [("", _("(niemand)"))]
        if in_team:
            choices.append((_("Team %(team)s") % {"team": ticket.team.name}, in_team))
        if others:
            choices.append((_("Andere medewerkers"), others))
        self.fields["assignee"].choices = NormalChoices(choices)

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "priority": data["priority"],
            "type": data["type"],
            "team": self.teams.get(data["team"]),
            "assignee": (
                Agent.objects.active().filter(pk=data["assignee"]).first()
                if data["assignee"] in self.agent_ids
                else None
            ),
            "tags": data["tags"],
        }


LOGGED_CHANNEL_CHOICES = [(c.value, c.label) for c in LOGGED_CHANNELS]


class LogContactForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Hoe nam de klant contact op?"),
        choices=LOGGED_CHANNEL_CHOICES,
        initial=Channel.PHONE,
        widget=forms.RadioSelect,
    )
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    new_name = forms.CharField(label=_("Naam"), required=False, max_length=200)
    new_email = forms.EmailField(label=_("E-mailadres"), required=False)
    new_phone = forms.CharField(label=_("Telefoonnummer"), required=False, max_length=40)
    subject = forms.CharField(
        label=_("Onderwerp"),
        max_length=255,
        error_messages={"required": _("Geef het contact een onderwerp.")},
    )
    text = forms.CharField(
        label=_("Wat wilde de klant?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Beschrijf het contact.")},
    )
    type = forms.ChoiceField(label=_("Soort"), choices=TicketType.choices)
    priority = forms.ChoiceField(
        label=_("Prioriteit"), choices=Priority.choices, initial=Priority.NORMAL
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    attachments = MultipleFileField(label=_("Bijlagen (bijvoorbeeld de gescande brief)"))

    def __init__(self, *args: Any, agent: Agent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in visible_teams(agent)}
        self.fields["team"].choices = [("", _("Mijn eerste team"))] + [
            (key, team.name) for key, team in self.teams.items()
        ]
        self.customer: Customer | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        customer_id = data.get("customer")
        if customer_id:
            self.customer = Customer.objects.active().filter(pk=customer_id).first()
            if self.customer is None:
                self.add_error(None, _("Deze klant bestaat niet (meer); kies opnieuw."))
        elif not (data.get("new_name") or data.get("new_email") or data.get("new_phone")):
            self.add_error(
                None, _("Kies een bestaande klant of vul de gegevens van een nieuwe klant in.")
            )
        return data

    def new_identities(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        identities = []
        if data.get("new_email"):
            identities.append(("email", data["new_email"]))
        if data.get("new_phone"):
            identities.append(("phone", data["new_phone"]))
        return identities
