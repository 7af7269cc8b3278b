"""`{% memo %}` renders a fragment once per set of values, language and address, and the fragment
sees only the values it is given: what it writes cannot depend on anything its key does not hold."""

from __future__ import annotations

import pytest
from django.template import TemplateSyntaxError, engines
from django.test import override_settings
from django.utils import translation
from django.utils.safestring import mark_safe

from ombuds.core.templatetags import ombuds_chrome
from ombuds.core.templatetags.ombuds_chrome import MemoNode

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


def counted(source: str):
    """A template from `source` whose one memo counts the times its fragment is rendered."""
    template = engines["django"].from_string(source)
    (node,) = template.template.nodelist.get_nodes_by_type(MemoNode)
    calls = []
    render = node.nodelist.render

    def counting(context):
        calls.append(1)
        return render(context)

    node.nodelist.render = counting
    return template, calls, node


def test_a_fragment_is_kept_and_not_rendered_again():
    template, calls, _ = counted("{% load ombuds_chrome %}{% memo n=n %}[{{ n }}]{% endmemo %}")
    assert template.render({"n": 1}) == "[1]" and len(calls) == 1
    assert template.render({"n": 1}) == "[1]" and len(calls) == 1  # kept
    assert template.render({"n": 2}) == "[2]" and len(calls) == 2  # another key
    with override_settings(DEBUG=True):  # a template being edited is rendered each time
        assert template.render({"n": 1}) == "[1]" and len(calls) == 3


def test_the_least_recently_used_fragment_goes_when_the_memo_is_full(monkeypatch):
    monkeypatch.setattr(ombuds_chrome, "MEMO_SIZE", 2)
    template, calls, node = counted("{% load ombuds_chrome %}{% memo n=n %}[{{ n }}]{% endmemo %}")
    for n in (1, 2, 1, 3):  # 1 used again after 2: 2 is the one that goes for 3
        template.render({"n": n})
    assert len(calls) == 3 and len(node.rendered) == 2
    template.render({"n": 1})
    assert len(calls) == 3
    template.render({"n": 2})
    assert len(calls) == 4


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "value",
    [["en", "es"], Body("GOE"), mark_safe("<b>trusted</b>"), True, 1.0],
    ids=["list", "record", "safe string", "bool", "float"],
)
def test_a_value_that_is_not_plain_is_refused_with_or_without_debug(value, debug):
    """Refused in DEBUG too, so that a developer sees it before production does; a safe string
    would share its key with the same text unsafe, which the fragment would then write unescaped."""
    template = engines["django"].from_string(
        "{% load ombuds_chrome %}{% memo v=v %}<p>{{ v }}</p>{% endmemo %}"
    )
    with override_settings(DEBUG=debug), pytest.raises(TemplateSyntaxError, match="v is a"):
        template.render({"v": value})


def test_a_plain_string_is_escaped_even_after_the_same_text_marked_safe_was_refused():
    template = engines["django"].from_string(
        "{% load ombuds_chrome %}{% memo v=v %}<p>{{ v }}</p>{% endmemo %}"
    )
    with pytest.raises(TemplateSyntaxError):
        template.render({"v": mark_safe("<b>x</b>")})
    assert template.render({"v": "<b>x</b>"}) == "<p>&lt;b&gt;x&lt;/b&gt;</p>"


@pytest.mark.parametrize(
    "inside", ["{% block title %}x{% endblock %}", "<form>{% csrf_token %}</form>"]
)
def test_a_block_or_a_forms_token_cannot_be_kept(inside):
    with pytest.raises(TemplateSyntaxError, match="cannot hold"):
        engines["django"].from_string(
            "{% load ombuds_chrome %}{% memo %}" + inside + "{% endmemo %}"
        )


def test_a_changed_setting_forgets_what_was_kept():
    template, calls, _ = counted("{% load ombuds_chrome %}{% memo %}x{% endmemo %}")
    template.render({})
    template.render({})
    assert len(calls) == 1
    with override_settings(STATIC_URL="/elsewhere/"):
        template.render({})
    assert len(calls) == 2


def test_only_named_values():
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string("{% load ombuds_chrome %}{% memo body %}x{% endmemo %}")
