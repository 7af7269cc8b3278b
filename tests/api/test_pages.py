"""Every list of the API comes a page at a time: `?limit=` bounded, an opaque `?cursor=`, and the
next page named in `Link: rel=next` and `X-Next-Cursor` (absent on the last page); the staff case
list is bounded however many cases the body has."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from ombuds.api.pages import MAX_LIMIT, NEXT_HEADER
from ombuds.api.urls import api
from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases.models import Case
from ombuds.register.tokens import token_create

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _all_pages(client, url: str, headers: dict, limit: int) -> list[list]:
    pages = []
    params: dict = {"limit": limit}
    while True:
        response = client.get(url, params, headers=headers)
        assert response.status_code == 200, response.content[:300]
        pages.append(response.json())
        if NEXT_HEADER not in response:
            assert "Link" not in response
            return pages
        assert response["Link"].endswith('>; rel="next"')
        assert f"cursor={response[NEXT_HEADER]}" in response["Link"]
        params = {"limit": limit, "cursor": response[NEXT_HEADER]}
        assert len(pages) < 100


def test_the_staff_case_list_comes_a_bounded_page_at_a_time(client, demo):
    body = Organization.objects.get(slug="csec")
    staff = get_user_model().objects.create_user("pager", "pager@example.org", "pw")
    BodyRole.objects.create(user=staff, organization=body, role="administrator")
    headers = {
        "Authorization": f"Bearer {token_create(user=staff, organization=body, name='p')[1]}"
    }
    total = Case.objects.filter(organization=body).count()
    assert total >= 3
    url = f"{API}/bodies/csec/cases"
    pages = _all_pages(client, url, headers, limit=2)
    references = [row["reference"] for page in pages for row in page]
    assert all(len(page) <= 2 for page in pages)
    assert len(references) == len(set(references)) == total  # none twice, none left out
    first = client.get(url, headers=headers).json()
    assert len(first) == min(total, 50)  # bounded without a limit too
    assert client.get(url, {"limit": MAX_LIMIT + 1}, headers=headers).status_code == 422


def test_a_cursor_the_api_did_not_give_is_a_422(client, small):
    for bad in ("nonsense", "b2FiYw", "x" * 101):
        response = client.get(f"{API}/bodies", {"cursor": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


def test_the_bodies_and_versions_lists_page_too(client, small, other_body):
    pages = _all_pages(client, f"{API}/bodies", {}, limit=1)
    assert [len(page) for page in pages] == [1, 1]
    assert {page[0]["slug"] for page in pages} == {small.org, other_body.slug}
    versions = _all_pages(client, f"{API}/bodies/{small.org}/code/versions", {}, limit=1)
    assert [v["label"] for page in versions for v in page] == [small.version]


def test_every_list_operation_takes_a_cursor_and_documents_the_next_page():
    openapi = api.get_openapi_schema()
    unpaged = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            answer = operation["responses"].get(200) or operation["responses"].get("200")
            schema = (answer or {}).get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("type") != "array":
                continue
            names = {parameter["name"] for parameter in operation.get("parameters", [])}
            if not {"cursor", "limit"} <= names or NEXT_HEADER not in answer.get("headers", {}):
                unpaged.append(f"{method.upper()} {path}")
    assert not unpaged, unpaged
