"""Every page that takes a POST, posted to with bad input by a signed-in administrator of a body and
by an anonymous visitor: an empty body, every field name the page and the site's forms know set to
100 KB of text, and values of the wrong type (a number past any range, a list, a date that is not
one). None of them is answered with a server error.

The URL patterns are read from the resolver, so a new page is fuzzed without being listed here; the
path arguments come from the demo's records (tests/api_fuzz/conftest.py). The JSON API has its own
fuzz test (test_api_fuzz.py), the Django admin and the static files are left out."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from ombuds.cases.models import Case
from ombuds.members.models import AttestationCampaign
from ombuds.register.models import Agency, Person

pytestmark = pytest.mark.django_db

SKIPPED = ("api/", "admin/", "static/", "media/")
BIG = "x" * 100_000
# Field names of the site's forms that a page may take without showing them.
COMMON_FIELDS = ("action", "next", "submission_key", "expected_version", "version", "step")


def _routes(resolver=None, prefix: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if not isinstance(pattern.pattern, RoutePattern):
            continue  # the admin's regular expressions
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        elif isinstance(pattern, URLPattern) and not route.startswith(SKIPPED):
            yield route


def _path(route: str, values: dict[str, str]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "x"), route)


def _bodies(fields: set[str]) -> list[dict]:
    return [
        {},
        {name: BIG for name in fields},
        {name: "9" * 40 for name in fields},
        {name: ["2024-13-45", "-1"] for name in fields},
    ]


@pytest.fixture
def values(world):
    case = Case.objects.filter(organization=world.body).first()
    campaign = AttestationCampaign.objects.filter(organization=world.body).first()
    return {
        **world.values,
        "pk": world.values["disclosure_id"],
        "id": world.values["disclosure_id"],
        "person": str(Person.objects.filter(organization=world.body).first().pk),
        "agency": str(Agency.objects.filter(organization=world.body).first().pk),
        "campaign": str(campaign.pk) if campaign else "1",
        "ppk": str(case.pk) if case else "1",
        "label": "v1",
        "anchor": "1",
    }


@pytest.mark.parametrize("who", ["administrator", "anonymous"])
def test_no_page_answers_bad_input_with_a_server_error(client, world, values, who):
    failures = []
    posted = 0
    for route in sorted(set(_routes())):
        url = _path(route, values)
        if who == "administrator":
            client.force_login(world.staff)
        try:
            if client.post(url, {}).status_code == 405:
                continue
        except Exception as exc:
            failures.append(f"{url} (empty): {type(exc).__name__}: {exc}"[:500])
            continue
        page = client.get(url)
        html = page.status_code == 200 and page["Content-Type"].startswith("text/html")
        known = set(re.findall(rb'name="([\w-]+)"', page.content)) if html else set()
        fields = {name.decode() for name in known} | set(COMMON_FIELDS)
        fields.discard("csrfmiddlewaretoken")
        for body in _bodies(fields)[1:]:
            if who == "administrator":
                client.force_login(world.staff)
            posted += 1
            try:
                response = client.post(url, body)
            except Exception as exc:  # the test client raises what the view raised
                failures.append(f"{url} {sorted(body)[:5]}: {type(exc).__name__}: {exc}"[:500])
                continue
            if response.status_code >= 500:
                failures.append(f"{url} {sorted(body)[:5]}: {response.status_code}")
    assert posted > 50  # the walk reached the site's forms
    assert not failures, "\n".join(failures)
