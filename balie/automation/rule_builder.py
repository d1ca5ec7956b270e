"""The rule form: the rule's name and event, and rows of conditions and actions that the admin
adds and removes with buttons (each a normal submit, so the form works from the keyboard and
without script). The POST carries every row (`c<n>-kind`, `a<n>-kind` and the row's fields) and
what was pressed (`do`): add a row, remove one, preview, or save.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Event, Rule
from .rule_rows import ACTION_ROWS, CONDITION_ROWS, Row, action_kind, condition_kind

MAX_ROWS = 30
ROW_KEY = re.compile(r"^([ca])(\d{1,4})-kind$")


class RuleMetaForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Naam"), max_length=120)
    event = forms.ChoiceField(label=gettext_lazy("Wanneer"), choices=Event.choices)
    is_active = forms.BooleanField(label=gettext_lazy("Actief"), required=False, initial=True)
    description = forms.CharField(
        label=gettext_lazy("Toelichting"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@dataclass
class BuilderRow:
    prefix: str
    number: int  # as the admin sees it: 1, 2, …
    form: Row
    last: bool = False

    @property
    def kind(self) -> str:
        return self.form.kind

    @property
    def label(self) -> Any:
        return self.form.label


class RuleBuilder:
    """The whole form: `meta`, `conditions` and `actions` (BuilderRow lists), `errors` (for the
    form as a whole), and `focus` (the id of what should have the focus after a reload)."""

    def __init__(self, data: QueryDict | None = None, *, rule: Rule | None = None) -> None:
        self.errors: list[str] = []
        self.focus = ""
        self.bound = data is not None
        self._rows: dict[str, list[tuple[int, Row]]] = {"c": [], "a": []}
        if data is not None:
            self.meta = RuleMetaForm(data)
            self._rows_from_post(data)
        else:
            initial = None
            if rule is not None:
                initial = {
                    "name": rule.name,
                    "event": rule.event,
                    "is_active": rule.is_active,
                    "description": rule.description,
                }
            self.meta = RuleMetaForm(initial=initial)
            if rule is not None:
                self._rows_from_items(rule.conditions, rule.actions)

    # --- building the rows -------------------------------------------------------------------

    def _rows_from_post(self, data: QueryDict) -> None:
        found: list[tuple[str, int, str]] = []
        for key in data:
            match = ROW_KEY.match(key)
            if match:
                found.append((match.group(1), int(match.group(2)), data[key]))
        for side, index, kind in sorted(found):
            catalogue = CONDITION_ROWS if side == "c" else ACTION_ROWS
            row_class = catalogue.get(kind)
            if row_class is None:
                self.errors.append(
                    _("Onbekend onderdeel %(k)r van de regel is weggelaten.") % {"k": kind}
                )
                continue
            if len(self._rows[side]) >= MAX_ROWS:
                self.errors.append(
                    _("Hooguit %(n)s voorwaarden en %(n)s acties.") % {"n": MAX_ROWS}
                )
                break
            self._rows[side].append((index, row_class(data, prefix=f"{side}{index}")))

    def _rows_from_items(self, conditions: list[Any], actions: list[Any]) -> None:
        for side, items, kind_of, catalogue in (
            ("c", conditions, condition_kind, CONDITION_ROWS),
            ("a", actions, action_kind, ACTION_ROWS),
        ):
            for index, item in enumerate(items):
                kind = kind_of(item)
                if kind is None:
                    self.errors.append(
                        _("Een onderdeel dat het formulier niet kent is weggelaten.")
                    )
                    continue
                row_class = catalogue[kind]
                initial = row_class.initial_from(item)
                self._rows[side].append(
                    (index, row_class(initial=initial, prefix=f"{side}{index}"))
                )

    def _add(self, side: str, kind: str) -> None:
        catalogue = CONDITION_ROWS if side == "c" else ACTION_ROWS
        row_class = catalogue.get(kind)
        if row_class is None:
            self.errors.append(_("Kies eerst wat u wilt toevoegen."))
            self.focus = f"new-{side}"
            return
        if len(self._rows[side]) >= MAX_ROWS:
            self.errors.append(_("Hooguit %(n)s voorwaarden en %(n)s acties.") % {"n": MAX_ROWS})
            return
        index = max((i for i, _row in self._rows[side]), default=-1) + 1
        row = row_class(prefix=f"{side}{index}")
        first = next(iter(row.fields.values()))
        first.widget.attrs["autofocus"] = True
        self._rows[side].append((index, row))

    def _remove(self, side: str, index: int) -> None:
        self._rows[side] = [(i, row) for i, row in self._rows[side] if i != index]
        self.focus = f"new-{side}"

    def _move(self, side: str, index: int, direction: str) -> None:
        """Swap a row with its neighbour; the rows are numbered again in their new order and the
        focus stays on the moved row's button (the other one at the top or the bottom)."""
        rows = self._rows[side]
        here = next((n for n, (i, _row) in enumerate(rows) if i == index), None)
        if here is None:
            return
        there = here - 1 if direction == "up" else here + 1
        if 0 <= there < len(rows):
            rows[here], rows[there] = rows[there], rows[here]
        else:
            there = here
        self._rows[side] = [
            (n, type(row)(initial=row.initial, prefix=f"{side}{n}"))
            for n, (_i, row) in enumerate(rows)
        ]
        if there == 0:
            direction = "down"
        elif there == len(rows) - 1:
            direction = "up"
        self.focus = f"{direction}-{side}{there}"

    def _unbind(self, sides: str) -> None:
        """Show rows (and the name) as typed but unchecked: no errors after adding a row."""
        if "m" in sides:
            meta = self.meta
            self.meta = RuleMetaForm(initial={name: meta[name].value() for name in meta.fields})
        for side in sides.replace("m", ""):
            self._rows[side] = [
                (
                    index,
                    type(row)(initial={n: row[n].value() for n in row.fields}, prefix=row.prefix),
                )
                for index, row in self._rows[side]
            ]

    def command(self, data: QueryDict) -> str:
        """Do what was pressed; returns "save", "preview" or "" (the form is shown again)."""
        pressed = data.get("do", "preview")
        if pressed != "save":
            self._unbind("ma" if pressed == "preview" else "mca")
        if pressed == "add-condition":
            self._add("c", data.get("new-c", ""))
        elif pressed == "add-action":
            self._add("a", data.get("new-a", ""))
        elif match := re.fullmatch(r"remove-([ca])(\d{1,4})", pressed):
            self._remove(match.group(1), int(match.group(2)))
        elif match := re.fullmatch(r"(up|down)-([ca])(\d{1,4})", pressed):
            self._move(match.group(2), int(match.group(3)), match.group(1))
        elif pressed in ("save", "preview"):
            return pressed
        return ""

    # --- reading it --------------------------------------------------------------------------

    def _list(self, side: str) -> list[BuilderRow]:
        count = len(self._rows[side])
        return [
            BuilderRow(prefix=f"{side}{index}", number=number, form=row, last=number == count)
            for number, (index, row) in enumerate(self._rows[side], start=1)
        ]

    @property
    def conditions(self) -> list[BuilderRow]:
        return self._list("c")

    @property
    def actions(self) -> list[BuilderRow]:
        return self._list("a")

    def conditions_valid(self) -> bool:
        return all(row.is_valid() for _i, row in self._rows["c"]) and not self.errors

    def is_valid(self) -> bool:
        rows_valid = [row.is_valid() for _i, row in (*self._rows["c"], *self._rows["a"])]
        if not self._rows["a"]:
            self.errors.append(_("Voeg minstens één actie toe."))
        meta_valid = self.meta.is_valid()
        return meta_valid and all(rows_valid) and not self.errors

    def condition_items(self) -> list[dict[str, Any]]:
        return [row.to_item() for _i, row in self._rows["c"]]

    def action_items(self) -> list[dict[str, Any]]:
        return [row.to_item() for _i, row in self._rows["a"]]

    def event(self) -> str:
        """The chosen event, valid or not yet saved (the preview needs it before the name)."""
        chosen = self.meta["event"].value()
        return chosen if chosen in Event.values else Event.TICKET_CREATED

    def cleaned(self) -> dict[str, Any]:
        """The rule as `actions.create_rule` takes it (after `is_valid`)."""
        return {
            **self.meta.cleaned_data,
            "conditions": self.condition_items(),
            "actions": self.action_items(),
        }

    @staticmethod
    def condition_choices() -> list[tuple[str, Any]]:
        return [(kind, row.label) for kind, row in CONDITION_ROWS.items()]

    @staticmethod
    def action_choices() -> list[tuple[str, Any]]:
        return [(kind, row.label) for kind, row in ACTION_ROWS.items()]
