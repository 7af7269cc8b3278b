"""`option_tag` writes a radio button's or a list checkbox's <input> itself: the same HTML as
Django's option templates, for every kind of value and attribute a form gives it."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.safestring import mark_safe

from ombuds.core.templatetags.ombuds_forms import option_tag


class Choices(forms.Form):
    ground = forms.ChoiceField(
        choices=[("out_of_scope", "Out of scope"), ("a<b", "Less & more"), (3, "Three")],
        widget=forms.RadioSelect(attrs={"class": "radio", "data-x": '"quoted"'}),
    )
    provisions = forms.MultipleChoiceField(
        choices=[(1, "1.1"), (2, "1.2"), (mark_safe("<safe>"), "Safe")],
        widget=forms.CheckboxSelectMultiple(attrs={"disabled": True, "hidden": False}),
        required=False,
    )


class OwnOption(forms.RadioSelect):
    option_template_name = "django/forms/widgets/input.html"


@pytest.mark.parametrize(
    "form",
    [
        Choices(),
        Choices(initial={"ground": "a<b", "provisions": [2]}),
        Choices({"ground": "3", "provisions": ["1", "<safe>"]}),
        Choices(prefix="step-dismiss", auto_id="id_%s"),
        Choices(auto_id=False),
    ],
)
def test_each_option_is_the_html_django_writes(form):
    options = [o for name in ("ground", "provisions") for o in form[name]]
    assert len(options) == 6
    for option in options:
        assert option_tag(option) == option.tag()


def test_an_option_template_of_its_own_is_rendered_by_django():
    field = forms.ChoiceField(choices=[("a", "A")], widget=OwnOption)
    form = forms.Form()
    form.fields["x"] = field
    (option,) = list(form["x"])
    assert option_tag(option) == option.tag()
