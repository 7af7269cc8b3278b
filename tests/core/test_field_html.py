"""`field_html` writes out what ``{% include "includes/field.html" %}`` renders: the same HTML for
every kind of field (text, textarea, checkbox, radio buttons, checkbox lists, files), with and
without a hint, an error or a value, and with labels and values that need escaping."""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from ombuds.cases.forms import ComplaintForm
from ombuds.codes.models import Provision
from ombuds.core.templatetags.ombuds_forms import field_html


class Kinds(forms.Form):
    name = forms.CharField(label="Name <&>", help_text="As <b>you</b> know it", max_length=5)
    note = forms.CharField(required=False, widget=forms.Textarea, label=mark_safe("<i>Note</i>"))
    agree = forms.BooleanField(label="I agree", help_text="Or not")
    quiet = forms.BooleanField(required=False, label="Quiet")
    ground = forms.ChoiceField(
        choices=[("a", "A & B"), ("c", "C")], widget=forms.RadioSelect, help_text="Pick one"
    )
    many = forms.MultipleChoiceField(
        choices=[(1, "One"), (2, "<Two>")], widget=forms.CheckboxSelectMultiple, required=False
    )
    when = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    secret = forms.CharField(widget=forms.PasswordInput, strip=False)


def _both(form: forms.Form) -> None:
    for bound in form:
        assert field_html(bound) == render_to_string("includes/field.html", {"field": bound}), (
            bound.name
        )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"name": "far too long <x>", "note": "a<b", "ground": "z", "many": ["3"]},
        {"name": "Ok", "agree": "on", "ground": "a", "many": ["1", "2"], "when": "2025-01-02"},
    ],
)
def test_every_kind_of_field_is_the_html_the_include_writes(data):
    _both(Kinds(data))
    _both(Kinds(data, prefix="p", auto_id="x_%s"))


@pytest.mark.django_db
@pytest.mark.parametrize("bound", [False, True])
def test_the_complaint_form_is_the_html_the_include_writes(bound):
    form = ComplaintForm({"who": "anonymous", "passphrase": "short"} if bound else None,
                         provisions=Provision.objects.none())  # fmt: skip
    if bound:
        form.is_valid()
        form.add_error(None, "Something else <too>.")
    _both(form)
