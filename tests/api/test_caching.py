"""The public reads carry a strong ETag made from their content and a Cache-Control; a request
naming the current ETag in If-None-Match gets 304 without a body. Staff reads are never cached."""

from __future__ import annotations

import pytest

from ombuds.api.urls import api

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_the_code_has_an_etag_and_a_304_when_unchanged(client, small):
    url = f"{API}/bodies/{small.org}/code"
    first = client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert first["Cache-Control"] == "public, max-age=300"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    other = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.json() == first.json()
    provision = client.get(f"{API}/bodies/{small.org}/code/provisions/{small.citation}")
    assert provision["ETag"] != etag  # made from the content


def test_a_verification_is_revalidated_each_time(client, small):
    url = f"{API}/bodies/{small.org}/register/credentials/{small.number}"
    first = client.get(url)
    assert first["Cache-Control"] == "public, no-cache"
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304


def test_errors_and_staff_reads_are_not_cached(client, small):
    missing = client.get(f"{API}/bodies/{small.org}/code/provisions/99.99")
    assert missing.status_code == 404 and "ETag" not in missing
    staff = client.get(
        f"{API}/bodies/{small.org}/cases",
        headers={"Authorization": f"Bearer {small.staff_token}"},
    )
    assert staff.status_code == 200 and "ETag" not in staff


def test_the_schema_documents_the_304_and_the_headers_of_each_cached_read():
    openapi = api.get_openapi_schema()
    cached = [
        (path, operation)
        for path, operations in openapi["paths"].items()
        for operation in operations.values()
        if 304 in operation["responses"] or "304" in operation["responses"]
    ]
    assert {path for path, _ in cached} >= {
        "/api/v1/bodies/{org}/code",
        "/api/v1/bodies/{org}/code/versions",
        "/api/v1/bodies/{org}/code/provisions/{citation}",
        "/api/v1/bodies/{org}/register/credentials/{number}",
    }
    for _path, operation in cached:
        assert not operation.get("security")
        ok = operation["responses"].get(200) or operation["responses"]["200"]
        assert {"ETag", "Cache-Control"} <= set(ok["headers"])
