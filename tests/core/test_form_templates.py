"""The shared form templates (issue #12, items 8 and 9) as every app gets them through
``includes/form.html``: one label convention, the required-field marker and its explanation,
and the error summary that lists every error with a link to its field. The keyboard behaviour
(focus on the summary, following a link) is tested in tests/e2e/test_forms_keyboard.py."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string
from django.utils import translation

from brygga.core.forms import FieldGroup


class ExampleForm(forms.Form):
    name = forms.CharField(label="Namn")
    note = forms.CharField(label="Anteckning", required=False, help_text="Valfri.")
    kind = forms.ChoiceField(
        label="Typ", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )
    agree = forms.BooleanField(label="Jag har läst villkoren")
    place = FieldGroup(label="Var hände det?")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("name") == "fel":
            self.add_error(None, "Hela formuläret är fel.")
            self.add_error("place", "Ange en plats.")
        return cleaned


def render(form) -> str:
    with translation.override("sv"):
        return render_to_string("includes/form.html", {"form": form})


def labels(html: str) -> dict[str, str]:
    """for= → the label's markup."""
    return dict(re.findall(r'<label for="([^"]*)">(.*?)</label>', html))


def test_labels_follow_one_convention_and_required_fields_are_marked():
    html = render(ExampleForm())
    found = labels(html)
    marker = '<span class="required-marker" aria-hidden="true">*</span>'
    assert found["id_name"] == "Namn" + marker
    assert found["id_note"] == "Anteckning"  # optional: no marker
    assert found["id_agree"] == "Jag har läst villkoren" + marker
    assert "<legend>Typ" + marker + "</legend>" in html  # radio buttons: a fieldset
    # no label ends with a colon (Django's label suffix is not used)
    assert not any(re.sub("<[^>]+>", "", text).rstrip("*").endswith(":") for text in found.values())
    # the marker is explained once, above the fields, in Swedish
    assert html.count('class="required-note"') == 1
    assert "Fält markerade med" in html and "måste fyllas i." in html
    assert html.index('class="required-note"') < html.index('for="id_name"')


def test_a_form_without_required_fields_does_not_explain_the_marker():
    class Optional(forms.Form):
        q = forms.CharField(label="Sök", required=False)

    html = render(Optional())
    assert "required-note" not in html and "required-marker" not in html


def test_the_error_summary_lists_every_error_and_links_it_to_its_field():
    form = ExampleForm({"name": "fel", "kind": ""})
    html = render(form)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    # it is the first thing in the form, takes the focus on load (plain HTML) and is named by
    # its heading
    assert html.lstrip().startswith('<div class="error-summary"')
    assert 'tabindex="-1"' in summary and "autofocus" in summary and 'role="alert"' in summary
    assert re.search(r'aria-labelledby="form-error-summary-title"', summary)
    assert '<h2 id="form-error-summary-title">Rätta de markerade fälten nedan.</h2>' in summary
    links = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', summary)
    assert links == [
        ("id_kind_0", "Typ: Det här fältet är obligatoriskt."),  # the first radio button
        ("id_agree", "Jag har läst villkoren: Det här fältet är obligatoriskt."),
        ("id_place", "Var hände det? Ange en plats."),  # the group: its fieldset's id
    ]
    # an error about the whole form is listed first, without a link
    assert re.search(r"<ul>\s*<li>Hela formuläret är fel.</li>", summary)
    # every link goes to an element the page has (the group's fieldset is drawn by the
    # template that uses the FieldGroup, not by the shared include)
    for anchor, _text in links[:2]:
        assert f'id="{anchor}"' in html


def test_an_error_is_one_element_that_the_input_points_to():
    form = ExampleForm({"name": "", "kind": "a", "agree": "on"})
    html = render(form)
    name_input = re.search(r'<input type="text" name="name"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in name_input
    assert 'aria-describedby="id_name_error"' in name_input
    assert html.count('id="id_name_error"') == 1
    assert '<a href="#id_name">Namn: Det här fältet är obligatoriskt.</a>' in html


def test_a_valid_or_unbound_form_has_no_error_summary():
    assert "error-summary" not in render(ExampleForm())
    valid = ExampleForm({"name": "Ett namn", "kind": "a", "agree": "on"})
    assert valid.is_valid()
    assert "error-summary" not in render(valid)
