"""QuickSelect renders what Django's Select renders, without a template per option."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from balie.core.widgets import NormalChoices, QuickSelect

FLAT = [("", "Iedereen"), ("0", "Niet toegewezen"), ("12", "Anna <de Vries> & co")]
GROUPED = [
    ("", "(niemand)"),
    ("Team Klantenservice", [("3", "Anna de Vries"), ("4", "Bram Bakker")]),
    ("Andere medewerkers", [("7", 'Carla "C" Jansen')]),
]


@pytest.mark.parametrize(("choices", "value"), [(FLAT, "12"), (FLAT, ""), (GROUPED, "4")])
def test_quick_select_renders_the_same_html_as_django(choices, value):
    attrs = {"id": "id_assignee", "required": True}
    expected = forms.Select(choices=choices).render("assignee", value, attrs)
    rendered = QuickSelect(choices=choices).render("assignee", value, attrs)
    assert parse_html(rendered) == parse_html(expected)
    assert "<de Vries>" not in rendered  # labels escaped


def test_a_form_field_with_quick_select_renders_its_choices():
    class Filter(forms.Form):
        assignee = forms.ChoiceField(choices=FLAT, required=False, widget=QuickSelect)

    html = str(Filter(data={"assignee": "0"})["assignee"])
    assert 'name="assignee"' in html and 'id="id_assignee"' in html
    assert '<option value="0" selected>Niet toegewezen</option>' in html


@pytest.mark.parametrize("choices", [FLAT, GROUPED])
def test_normal_choices_validate_and_render_as_a_plain_list(choices):
    class Plain(forms.Form):
        assignee = forms.ChoiceField(required=False, widget=QuickSelect)

    plain, normal = Plain(data={"assignee": "4"}), Plain(data={"assignee": "4"})
    plain.fields["assignee"].choices = choices
    normal.fields["assignee"].choices = NormalChoices(choices)
    assert str(normal["assignee"]) == str(plain["assignee"])
    assert normal.is_valid() == plain.is_valid() == (choices is GROUPED)

    refused = Plain(data={"assignee": "99"})
    refused.fields["assignee"].choices = NormalChoices(choices)
    assert not refused.is_valid()
    assert "assignee" in refused.errors
