"""`field_block` writes a field with its label, hint and error in Python: the same HTML as the
template it replaced (kept beside this test as ``templates/field_as_template.html``), for every
kind of widget, with and without hints, errors, optional marks and ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from django import forms
from django.template import engines
from django.utils import translation
from django.utils.safestring import mark_safe

from ombuds.core.templatetags.ombuds_forms import field_block

TEMPLATE = (Path(__file__).parent / "templates" / "field_as_template.html").read_text()


class Everything(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=5, help_text="Hint <b>bold</b> & more", label="Name & <i>")
    email = forms.EmailField(required=False)
    agree = forms.BooleanField(help_text="Tick it")
    quiet = forms.BooleanField(required=False, label="Quiet")
    summary = forms.CharField(widget=forms.Textarea, help_text=mark_safe("<em>safe</em> hint"))
    ground = forms.ChoiceField(
        choices=[("a<b", "Less & more"), (3, "Three")], widget=forms.RadioSelect, help_text="One"
    )
    picks = forms.MultipleChoiceField(
        required=False, choices=[(1, "1.1"), (2, "1.2")], widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(choices=[("x", "X"), ("y", "Y")], required=False)
    file = forms.FileField(required=False)


CASES = [
    lambda: Everything(),
    lambda: Everything({"name": "<b>too long</b>", "ground": "no", "picks": ["9"], "email": "x"}),
    lambda: Everything(
        {"version": "1", "name": "Pat", "agree": "on", "summary": "s", "ground": "3"}
    ),
    lambda: Everything(prefix="step-2", auto_id=False),
    lambda: Everything(auto_id="custom_%s"),
]


@pytest.mark.parametrize("make", CASES)
@pytest.mark.parametrize("language", ["en", "es"])
def test_each_field_is_the_html_the_template_wrote(make, language):
    template = engines["django"].from_string(TEMPLATE)
    form = make()
    with translation.override(language):
        for field in form:
            assert field_block(field) + "\n" == template.render({"field": field}), field.name


def test_the_site_template_is_the_filter():
    form = Everything({"name": "too long for it"})
    site = engines["django"].get_template("includes/field.html")
    for field in form:
        html = site.render({"field": field})
        assert html == field_block(field) + "\n"
    assert 'class="field field-error"' in site.render({"field": form["name"]})
    assert 'aria-invalid="true"' in site.render({"field": form["name"]})
