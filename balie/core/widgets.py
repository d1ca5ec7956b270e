"""Form widgets that stay fast when their lists are long."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString, mark_safe

from .html import escaped


class NormalChoices(BaseChoiceIterator):
    """Choices already in Django's normal form: (value, label) pairs, or (group, pairs).
    A form field and its widget each normalise a plain list again when it is assigned, 2.5 ms
    for a thousand agents; this they take as it is."""

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Any:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


class QuickSelect(forms.Select):
    """A `<select>` built in Python, with the same markup as Django's. Django renders every
    `<option>` through a template of its own; with a thousand agents in an assignee list that
    was most of the time of the inbox and ticket pages (docs/performance.md). Takes flat
    choices and one level of groups."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in self.format_value(value)}

        def options(choices: Any) -> str:
            # Plain escaping and string joins: format_html per option cost ~0.1 ms each.
            return "".join(
                f'<option value="{escaped("" if v is None else v)}"'
                f"{' selected' if str(v) in selected else ''}>{escaped(label)}</option>"
                for v, label in choices
            )

        parts = []
        for key, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{escaped(key)}">{options(label)}</optgroup>')
            else:
                parts.append(options([(key, label)]))
        return mark_safe(f"<select{flatatt(final)}>{''.join(parts)}</select>")  # noqa: S308
