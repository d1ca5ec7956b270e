"""QuickSelect renders what Django's Select renders, without a template per option."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from balie.core.widgets import QuickSelect

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
