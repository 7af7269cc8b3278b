"""A record's address is reversed once per body with a placeholder and the number quoted into it
(`register.addresses.record_path`): it must be the address `reverse()` gives, for every number."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from ombuds.bodies.models import Organization
from ombuds.register.addresses import record_path, record_paths

NUMBERS = [
    "CGP-0001",
    "cgp 0001",
    "ÉLAN-7",
    "100%",
    "A?b#c",
    "a&b=c;d",
    "x~y:z@w",
    "+1,2!",
    "'quoted'",
    "<b>",
    "NUMBER",
    "tab\there",
]


@pytest.mark.parametrize(
    "name", ["register:credential", "register:certificate", "register:membership"]
)
@pytest.mark.parametrize("number", NUMBERS)
def test_a_records_address_is_the_one_reverse_gives(name, number):
    body = Organization(slug="csec")
    assert record_path(name, body, number) == reverse(
        name, kwargs={"org": "csec", "number": number}
    )
    assert record_paths(name, body)(number) == record_path(name, body, number)


def test_the_sites_address_prefix_is_kept():
    body = Organization(slug="espcc")
    assert record_path("register:credential", body, "E-1") == "/espcc/register/E-1/"
    set_script_prefix("/ombuds/")
    try:
        assert record_path("register:credential", body, "E-1") == "/ombuds/espcc/register/E-1/"
        assert record_paths("register:credential", body)("E-1") == "/ombuds/espcc/register/E-1/"
    finally:
        clear_script_prefix()
    assert record_path("register:credential", body, "E-1") == "/espcc/register/E-1/"


@pytest.mark.parametrize("number", ["", "A/B"])
def test_a_number_reverse_refuses_is_refused_as_before(number):
    with pytest.raises(NoReverseMatch):
        record_path("register:credential", Organization(slug="csec"), number)
    with pytest.raises(NoReverseMatch):
        record_paths("register:credential", Organization(slug="csec"))(number)
