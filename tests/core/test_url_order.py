"""The register's pages are resolved before other body pages of the site (ombuds/urls.py): the
busiest public page should not be tried against a hundred other patterns first. Django answers an
address with the first pattern that matches it, so moving a pattern earlier is safe only if no
address a later page answers is taken: every address both could answer must give the later page a
reserved word where it expects a body's slug (no body can have it) or a plain word where it expects
a secret link's token (a token is never a word)."""

from __future__ import annotations

import re

from django.urls import URLResolver, get_resolver, resolve

from ombuds.bodies.models import RESERVED_SLUGS

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_SEGMENT = {"slug": r"[-a-zA-Z0-9_]+", "str": r"[^/]+", "int": r"[0-9]+"}
_REGISTER = "<slug:org>/register/"


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def _bindings(route: str, other: str) -> list[tuple[str, str]] | None:
    """The (converter, word) pairs of `other` that an address matching both routes would fill
    with a literal word of `route`, or None when no address matches both."""
    a, b = route.split("/"), other.split("/")
    if len(a) != len(b):
        return None
    bound = []
    for x, y in zip(a, b, strict=True):
        cx, cy = _CONVERTER.fullmatch(x), _CONVERTER.fullmatch(y)
        if cx and cy:
            continue  # two converters: the same value may fill both, binding no word
        if not cx and not cy:
            if x != y:
                return None
            continue
        converter, literal = (cx, y) if cx else (cy, x)
        if not literal or not re.fullmatch(_SEGMENT[converter[1] or "str"], literal):
            return None
        if cy:  # what `other`, the page that would lose the address, reads from it
            bound.append((converter[2], literal))
    return bound


def test_no_page_after_the_register_loses_an_address_to_it():
    routes = list(_routes(get_resolver().url_patterns))
    first = next(i for i, r in enumerate(routes) if r.startswith(_REGISTER))
    register = [r for r in routes if r.startswith(_REGISTER)]
    later = [r for r in routes[first:] if not r.startswith(_REGISTER)]
    assert register and later
    # The comparison below reads whole segments: a later regular expression, a converter taking
    # several segments or a segment mixing text and a converter would escape it.
    for route in later:
        assert "^" not in route and "<path:" not in route, route
        assert all(_CONVERTER.fullmatch(part) or "<" not in part for part in route.split("/")), (
            route
        )
    shared = []
    for r in register:
        for other in later:
            bound = _bindings(r, other)
            if bound is None:
                continue
            shared.append((r, other))
            # The later page loses nothing if such an address can never be one of its own: a
            # body's slug no body can have, or a word where a secret link's token goes.
            dead = [
                (name, word)
                for name, word in bound
                if (name == "org" and word in RESERVED_SLUGS) or name == "token"
            ]
            assert dead, f"{other} would lose addresses to {r}"
    # The check above is not vacuous: the respondent's links and a body's staff pages share the
    # shape of a register page's address.
    assert ("<slug:org>/register/", "respond/<str:token>/") in shared
    assert ("<slug:org>/register/<str:number>/", "staff/<slug:org>/disclosures/") in shared


def test_the_pages_around_the_register_still_answer_their_addresses():
    assert resolve("/csec/register/CSEC-1/").url_name == "credential"
    assert resolve("/csec/register/").url_name == "search"
    assert resolve("/staff/csec/disclosures/").route == "staff/<slug:org>/disclosures/"
    assert resolve("/csec/complain/").route == "<slug:org>/complain/"
    assert resolve("/respond/a-token/").route == "respond/<str:token>/"
    assert resolve("/csec/").route == "<slug:org>/"
