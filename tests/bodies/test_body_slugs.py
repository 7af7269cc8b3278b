"""A body's pages live under its slug: a slug that is also the first part of one of the site's own
addresses would have some of the body's pages answered by the site's (its home by the member's
home for "me", its register by a respondent's link for "respond")."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from ombuds.bodies.models import RESERVED_SLUGS
from ombuds.bodies.services import body_create
from ombuds.core.changes import ChangeRefused


def _first_parts(patterns, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from _first_parts(pattern.url_patterns, route)
        else:
            yield route.split("/")[0]


def test_every_first_part_of_the_sites_own_addresses_is_reserved():
    firsts = {p for p in _first_parts(get_resolver().url_patterns) if p and p[0] not in "<^"}
    assert firsts  # the walk found the site's own addresses
    assert firsts <= RESERVED_SLUGS, sorted(firsts - RESERVED_SLUGS)


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["me", "respond", "staff"])
def test_a_body_cannot_take_a_slug_the_site_uses(slug):
    with pytest.raises(ChangeRefused, match="reserved for the site's own pages"):
        body_create(slug=slug, name="A Council")
