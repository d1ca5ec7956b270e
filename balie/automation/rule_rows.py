"""One row of the rule form: a condition or an action picked from a list, as a small Django form
whose choices come from the database (teams and agents by name, macros by name), and the JSON
item it stands for (`to_item`) or comes from (`initial_from`).

The JSON (see `rule_conditions.py`, `rule_effects.py`) stays what rules store, export and import;
a row checks its own fields and then the same validation the JSON gets, so a form and an
imported file are held to one standard.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from balie.customers.models import Tier
from balie.tickets.models import Channel, Priority, Status, TicketType

from .rule_conditions import SlaState, condition_errors
from .rule_effects import action_errors

LANGUAGES = [("nl", _("Nederlands")), ("en", _("Engels")), ("de", _("Duits")), ("fr", _("Frans"))]
CHOICES: dict[str, list[tuple[str, Any]]] = {
    "channel": list(Channel.choices),
    "priority": list(Priority.choices),
    "type": list(TicketType.choices),
    "status": list(Status.choices),
    "tier": list(Tier.choices),
    "language": LANGUAGES,
    "sla": list(SlaState.choices),
}
TEXT_WHERE = {
    "subject": _("Onderwerp"),
    "body": _("Bericht van de klant"),
    "text": _("Onderwerp of bericht"),
}


def _teams() -> list[tuple[str, str]]:
    from balie.accounts.models import Team

    return list(Team.objects.order_by("name").values_list("slug", "name"))


def _agents() -> list[tuple[str, str]]:
    from balie.accounts.models import Agent

    return [
        (username, name)
        for username, name in Agent.objects.active()
        .order_by("display_name")
        .values_list("user__username", "display_name")
    ]


def _macros() -> list[tuple[str, str]]:
    from .models import Macro

    return [
        (str(pk), f"{name} ({language})")
        for pk, name, language in Macro.objects.filter(is_active=True).values_list(
            "pk", "name", "language"
        )
    ]


class Row(forms.Form):
    """A row; `kind` names it in the add-list and in the POST (`<prefix>-kind`)."""

    kind = ""
    label: Any = ""
    item_errors = staticmethod(condition_errors)

    def to_item(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in ("field", "type")}

    def check(self) -> None:
        """Checks of the row's own fields, before the item is checked as JSON."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            self.check()
        if not self.errors:
            for error in self.item_errors(self.to_item()):
                self.add_error(None, error)
        return data


# --- conditions -----------------------------------------------------------------------------


class ChoiceCondition(Row):
    """Channel, priority, type, status, tier, language, SLA state: one of the ticked values, or
    none of them."""

    op = forms.ChoiceField(
        label=_("bewerking"), choices=[("in", _("is een van")), ("not_in", _("is geen van"))]
    )
    value = forms.MultipleChoiceField(label=_("waarden"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = CHOICES[self.kind]
        self.fields["value"].error_messages["required"] = _("Kies minstens één waarde.")

    def to_item(self) -> dict[str, Any]:
        op, values = self.cleaned_data["op"], list(self.cleaned_data["value"])
        if len(values) == 1:
            return {"field": self.kind, "op": "is" if op == "in" else "is_not", "value": values[0]}
        return {"field": self.kind, "op": op, "value": values}

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        op, value = item.get("op"), item.get("value")
        if op in ("is", "is_not"):
            return {"op": "in" if op == "is" else "not_in", "value": [value]}
        return {"op": op, "value": value}


def _choice_condition(name: str, label: Any) -> type[Row]:
    return type(f"{name.title()}Condition", (ChoiceCondition,), {"kind": name, "label": label})


class TeamCondition(Row):
    kind, label = "team", _("Team")
    op = forms.ChoiceField(
        label=_("bewerking"),
        choices=[
            ("is", _("is")),
            ("is_not", _("is niet")),
            ("is_empty", _("is niet gekozen")),
            ("is_not_empty", _("is gekozen")),
        ],
    )
    value = forms.ChoiceField(label=_("team"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = [("", _("(kies een team)")), *_teams()]

    def check(self) -> None:
        if self.cleaned_data["op"] in ("is", "is_not") and not self.cleaned_data["value"]:
            self.add_error("value", _("Kies een team."))

    def to_item(self) -> dict[str, Any]:
        op = self.cleaned_data["op"]
        if op in ("is_empty", "is_not_empty"):
            return {"field": "team", "op": op}
        return {"field": "team", "op": op, "value": self.cleaned_data["value"] or None}


class AssigneeCondition(Row):
    kind, label = "assignee", _("Behandelaar")
    op = forms.ChoiceField(
        label=_("bewerking"),
        choices=[("is_empty", _("niemand")), ("is_not_empty", _("iemand"))],
    )

    def to_item(self) -> dict[str, Any]:
        return {"field": "assignee", "op": self.cleaned_data["op"]}


class WordsCondition(Row):
    """Words in the subject, the customer's message, or either."""

    kind, label = "words", _("Woorden in onderwerp of bericht")
    where = forms.ChoiceField(label=_("waar"), choices=list(TEXT_WHERE.items()), initial="text")
    op = forms.ChoiceField(
        label=_("bewerking"), choices=[("contains", _("bevat")), ("not_contains", _("bevat niet"))]
    )
    value = forms.CharField(label=_("woorden"), max_length=200)

    def to_item(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"field": data["where"], "op": data["op"], "value": data["value"].strip()}

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"where": item.get("field"), "op": item.get("op"), "value": item.get("value")}


class TagCondition(Row):
    kind, label = "tag", _("Label")
    op = forms.ChoiceField(
        label=_("bewerking"),
        choices=[("has", _("heeft label")), ("has_not", _("heeft label niet"))],
    )
    value = forms.CharField(
        label=_("label"), max_length=50, widget=forms.TextInput(attrs={"list": "rule-tags"})
    )

    def to_item(self) -> dict[str, Any]:
        return {"field": "tag", "op": self.cleaned_data["op"], "value": self.cleaned_data["value"]}


class BusinessHoursCondition(Row):
    kind, label = "business_hours", _("Openingstijden")
    value = forms.ChoiceField(
        label=_("moment"),
        choices=[("open", _("binnen openingstijden")), ("closed", _("buiten openingstijden"))],
        help_text=_("Volgens de agenda van het kanaal en team van het ticket."),
    )

    def to_item(self) -> dict[str, Any]:
        return {
            "field": "business_hours",
            "op": "is",
            "value": self.cleaned_data["value"] == "open",
        }

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"value": "open" if item.get("value") is True else "closed"}


CONDITION_ROWS: dict[str, type[Row]] = {
    row.kind: row
    for row in (
        _choice_condition("channel", _("Kanaal")),
        TeamCondition,
        _choice_condition("priority", _("Prioriteit")),
        _choice_condition("type", _("Soort")),
        _choice_condition("status", _("Status")),
        TagCondition,
        _choice_condition("tier", _("Klantsegment")),
        _choice_condition("language", _("Taal")),
        WordsCondition,
        BusinessHoursCondition,
        _choice_condition("sla", _("SLA-stand")),
        AssigneeCondition,
    )
}


def condition_kind(item: dict[str, Any]) -> str | None:
    """The row that shows a stored condition."""
    name = item.get("field") if isinstance(item, dict) else None
    if name in TEXT_WHERE:
        return "words"
    return name if isinstance(name, str) and name in CONDITION_ROWS else None


# --- actions --------------------------------------------------------------------------------


class ActionRow(Row):
    item_errors = staticmethod(action_errors)


class SetFieldAction(ActionRow):
    field_name = ""
    value = forms.ChoiceField(label=_("wordt"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = CHOICES[self.field_name]

    def to_item(self) -> dict[str, Any]:
        return {"type": "set_field", "field": self.field_name, "value": self.cleaned_data["value"]}

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"value": item.get("value")}


def _set_field_action(name: str, label: Any) -> type[Row]:
    attrs = {"kind": f"set_{name}", "label": label, "field_name": name}
    return type(f"Set{name.title()}Action", (SetFieldAction,), attrs)


class SelectAction(ActionRow):
    """An action with one value picked from the database; `key` is its JSON key."""

    key = ""
    empty: Any = ""
    value_label: Any = _("kies")
    value = forms.ChoiceField(label=_("kies"))

    def options(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["value"].choices = [("", self.empty), *self.options()]
        self.fields["value"].label = self.value_label

    def to_item(self) -> dict[str, Any]:
        return {"type": self.kind, self.key: self.cleaned_data["value"]}

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"value": item.get(cls.key)}


class TeamAction(SelectAction):
    kind, label, key, empty = "assign_team", _("Team wordt"), "team", _("(kies een team)")
    value_label = _("team")

    def options(self) -> list[tuple[str, str]]:
        return _teams()


class AgentAction(SelectAction):
    kind, label, key, empty = (
        "assign_agent",
        _("Behandelaar wordt"),
        "agent",
        _("(kies een medewerker)"),
    )
    value_label = _("medewerker")

    def options(self) -> list[tuple[str, str]]:
        return _agents()


class MacroAction(SelectAction):
    kind, label, key, empty = "reply_macro", _("Antwoord met macro"), "macro", _("(kies een macro)")
    value_label = _("macro")

    def options(self) -> list[tuple[str, str]]:
        return _macros()

    def to_item(self) -> dict[str, Any]:
        return {"type": self.kind, "macro": int(self.cleaned_data["value"])}

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"value": str(item.get("macro", ""))}


class TagAction(ActionRow):
    value = forms.CharField(
        label=_("label"), max_length=50, widget=forms.TextInput(attrs={"list": "rule-tags"})
    )

    def to_item(self) -> dict[str, Any]:
        return {"type": self.kind, "tag": self.cleaned_data["value"].strip()}

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        return {"value": item.get("tag")}


class AddTagAction(TagAction):
    kind, label = "add_tag", _("Label toevoegen")


class RemoveTagAction(TagAction):
    kind, label = "remove_tag", _("Label verwijderen")


class ReplyAction(ActionRow):
    kind, label = "reply", _("Antwoord met eigen tekst")
    text_nl = forms.CharField(
        label=_("tekst (Nederlands)"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    text_en = forms.CharField(
        label=_("tekst (Engels, voor Engelstalige klanten)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def to_item(self) -> dict[str, Any]:
        text = {"nl": self.cleaned_data["text_nl"]}
        if self.cleaned_data["text_en"].strip():
            text["en"] = self.cleaned_data["text_en"]
        return {"type": "reply", "text": text}

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        text = item.get("text") if isinstance(item.get("text"), dict) else {}
        return {"text_nl": text.get("nl", ""), "text_en": text.get("en", "")}


class NotifyAction(ActionRow):
    kind, label = "notify", _("Melding sturen")
    to = forms.ChoiceField(label=_("aan"), required=False)
    text = forms.CharField(label=_("tekst van de melding"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [
            ("", _("de behandelaar (anders het team)")),
            ("leads", _("de behandelaar, en de teamleiders per e-mail")),
            *[(f"agent:{username}", name) for username, name in _agents()],
        ]

    def to_item(self) -> dict[str, Any]:
        to, text = self.cleaned_data["to"], self.cleaned_data["text"]
        if to.startswith("agent:"):
            return {"type": "notify", "text": text, "agent": to.removeprefix("agent:")}
        return {"type": "notify", "text": text, "email_team_lead": to == "leads"}

    @classmethod
    def initial_from(cls, item: dict[str, Any]) -> dict[str, Any]:
        to = f"agent:{item['agent']}" if item.get("agent") else ""
        if item.get("email_team_lead"):
            to = "leads"
        return {"to": to, "text": item.get("text", "")}


class WebhookAction(ActionRow):
    kind, label = "webhook", _("Webhook aanroepen")
    url = forms.CharField(label=_("adres (URL)"), max_length=500)
    secret = forms.CharField(
        label=_("geheim"),
        max_length=200,
        help_text=_("Minstens 16 tekens; de ontvanger controleert er de handtekening mee."),
    )

    def to_item(self) -> dict[str, Any]:
        return {
            "type": "webhook",
            "url": self.cleaned_data["url"],
            "secret": self.cleaned_data["secret"],
        }


ACTION_ROWS: dict[str, type[Row]] = {
    row.kind: row
    for row in (
        _set_field_action("priority", _("Prioriteit wordt")),
        _set_field_action("status", _("Status wordt")),
        _set_field_action("type", _("Soort wordt")),
        TeamAction,
        AgentAction,
        AddTagAction,
        RemoveTagAction,
        MacroAction,
        ReplyAction,
        NotifyAction,
        WebhookAction,
    )
}


def action_kind(item: dict[str, Any]) -> str | None:
    kind = item.get("type") if isinstance(item, dict) else None
    if kind == "set_field":
        kind = f"set_{item.get('field')}"
    return kind if isinstance(kind, str) and kind in ACTION_ROWS else None


def describe(item: Any, *, action: bool) -> str:
    """A stored condition or action in words, as its row shows it ("Kanaal: is een van E-mail,
    Contactformulier"; "Prioriteit wordt: Urgent"). A secret is not shown."""
    kind = action_kind(item) if action else condition_kind(item)
    if kind is None:
        return str(_("(onbekend onderdeel)"))
    row_class = (ACTION_ROWS if action else CONDITION_ROWS)[kind]
    row = row_class(initial=row_class.initial_from(item))
    parts: list[str] = []
    for name, field in row.fields.items():
        value = row.initial.get(name)
        if name == "secret" or value in (None, "", []):
            continue
        choices = dict(getattr(field, "choices", []) or [])
        values = value if isinstance(value, list) else [value]
        shown = [str(choices.get(v, v)) if choices else str(v) for v in values]
        parts.append(", ".join(shown))
    return f"{row_class.label}: {' '.join(parts)}" if parts else str(row_class.label)
