"""The site's form renderer writes the simplest widgets itself: the same HTML as Django's own
templates, for every kind of value and attribute (and leaves every other widget to Django)."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from ombuds.core.form_renderer import FormRenderer


class Everything(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=20, help_text="Hint", widget=forms.TextInput({"x": '"q"'}))
    email = forms.EmailField(required=False)
    amount = forms.DecimalField(required=False, widget=forms.NumberInput({"step": "0.01"}))
    on = forms.DateField(required=False, widget=forms.DateInput({"type": "date"}))
    file = forms.FileField(required=False)
    agree = forms.BooleanField(required=False)
    summary = forms.CharField(widget=forms.Textarea({"rows": 3, "disabled": True, "off": False}))
    ground = forms.ChoiceField(
        choices=[("a<b", "Less & more"), (3, "Three")], widget=forms.RadioSelect
    )
    picks = forms.MultipleChoiceField(
        required=False, choices=[(1, "1.1"), (2, "1.2")], widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")])


FILLED = {
    "version": "7",
    "name": "<b>Pat</b> & Co",
    "email": "pat@example.org",
    "amount": "12.50",
    "on": "2026-12-05",
    "agree": "on",
    "summary": "Line one\n<script>two</script> & three",
    "ground": "3",
    "picks": ["1", "2"],
    "kind": "y",
}


def _html(form: forms.Form, renderer) -> list[str]:
    form.renderer = renderer
    out = []
    for bound in form:
        out.append(str(bound))
        out.extend(str(option.tag()) for option in bound.subwidgets if len(bound.subwidgets) > 1)
        out.extend(str(option.tag(wrap_label=True)) for option in bound.subwidgets)
    return out


@pytest.mark.parametrize(
    "make",
    [
        lambda: Everything(),
        lambda: Everything(FILLED),
        lambda: Everything({**FILLED, "name": "x" * 30, "summary": ""}),  # with errors
        lambda: Everything(
            initial={"summary": mark_safe("<i>kept</i>"), "on": dt.date(2026, 1, 2)}
        ),
        lambda: Everything(prefix="step-dismiss", auto_id=False),
    ],
)
def test_every_widget_is_the_html_django_writes(make):
    ours, django = make(), make()
    ours.is_valid() if ours.is_bound else None
    django.is_valid() if django.is_bound else None
    assert _html(ours, FormRenderer()) == _html(django, DjangoTemplates())


def test_the_site_renders_its_forms_with_it():
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "ombuds.core.form_renderer.FormRenderer"
    assert isinstance(get_default_renderer(), FormRenderer)
