"""`{% memo %}` renders a fragment once per set of values, language and address, and the fragment
sees only the values it is given: what it writes cannot depend on anything its key does not hold."""

from __future__ import annotations

import pytest
from django.template import TemplateSyntaxError, engines
from django.test import override_settings
from django.utils import translation

TEMPLATE = (
    "{% load i18n ombuds_chrome %}"
    "{% memo name=body.short_name %}[{{ name }}|{{ secret }}|{{ body.short_name }}|"
    "{% translate 'Sign in' %}|{% url 'home' %}]{% endmemo %}"
)


class Body:
    def __init__(self, short_name: str) -> None:
        self.short_name = short_name


def render(context: dict) -> str:
    return engines["django"].from_string(TEMPLATE).render(context)


def test_the_fragment_sees_only_what_it_is_given():
    # `secret` and `body` are in the page's context, not given to the fragment: written empty.
    assert render({"body": Body("GOE"), "secret": "s3cret"}) == "[GOE|||Sign in|/]"


def test_a_fragment_is_rendered_again_for_other_values_and_another_language():
    template = engines["django"].from_string(TEMPLATE)
    assert template.render({"body": Body("GOE")}) == "[GOE|||Sign in|/]"
    # A body renamed: its new name, not the kept fragment.
    assert template.render({"body": Body("GOE & Co")}) == "[GOE &amp; Co|||Sign in|/]"
    with translation.override("es"):
        spanish = template.render({"body": Body("GOE")})
    assert spanish != "[GOE|||Sign in|/]" and spanish.startswith("[GOE|||")
    assert template.render({"body": Body("GOE")}) == "[GOE|||Sign in|/]"


def test_a_fragment_is_kept_and_not_rendered_again():
    counter = iter(range(100))

    class Calls:
        def next(self):
            return next(counter)

    # `calls` is not given to the fragment: to count renders, give it as a value of the key.
    template = engines["django"].from_string(
        "{% load ombuds_chrome %}{% memo n=n calls=calls %}{{ calls.next }}{% endmemo %}"
    )
    calls = Calls()
    first = template.render({"n": 1, "calls": calls})
    assert template.render({"n": 1, "calls": calls}) == first  # kept
    assert template.render({"n": 2, "calls": calls}) != first  # another key
    with override_settings(DEBUG=True):  # a template being edited is rendered each time
        assert template.render({"n": 1, "calls": calls}) != first


def test_only_named_values():
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string("{% load ombuds_chrome %}{% memo body %}x{% endmemo %}")
