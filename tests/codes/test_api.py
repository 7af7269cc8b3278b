import pytest

from ombuds.codes import services
from tests.conftest import small_code

pytestmark = pytest.mark.django_db


def test_the_code_in_force_comes_as_a_provision_tree(
    client, published, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/bodies/guild/code")
    assert response.status_code == 200
    data = response.json()
    assert (data["label"], data["is_current"], data["effective_date"]) == ("v1", True, "2024-01-01")
    article = data["provisions"][0]
    assert (article["citation"], article["heading"]) == ("1", "Clients")
    assert [c["citation"] for c in article["children"][0]["children"]] == ["1.1(a)", "1.1(b)"]


def test_one_provision_by_citation_with_its_permalink(client, published):
    data = client.get("/api/v1/bodies/guild/code/provisions/1.1(a)").json()
    assert data["full_text"] == "Members shall answer every complaint within ten days"
    assert data["url"] == "http://testserver/guild/code/v/v1/1.1(a)"
    assert client.get("/api/v1/bodies/guild/code/provisions/7.7").status_code == 404


def test_search_and_versions_and_diff(client, body, published):
    services.code_version_import(
        organization=body, parsed=small_code(changed=True), source=b"v2", label="v2", publish=True
    )
    hits = client.get("/api/v1/bodies/guild/code/search", {"q": "trust account"}).json()
    assert hits[0]["citation"] == "1.1(b)"
    versions = client.get("/api/v1/bodies/guild/code/versions").json()
    assert [(v["label"], v["is_current"]) for v in versions] == [("v2", True), ("v1", False)]
    diff = client.get("/api/v1/bodies/guild/code/diff", {"from": "v1", "to": "v2"}).json()
    assert [e["citation"] for e in diff["added"]] == ["2.2"]
    assert (
        diff["changed"][0]["marked"] == "keep every client's money in a separate {+trust+} account"
    )


def test_drafts_are_not_served(client, draft):
    assert client.get("/api/v1/bodies/guild/code").status_code == 404
    assert client.get("/api/v1/bodies/guild/code", {"version": "draft"}).status_code == 404


def test_the_openapi_schema_documents_the_code_endpoints(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/bodies/{org}/code/provisions/{citation}" in schema["paths"]
    assert "/api/v1/bodies/{org}/code/search" in schema["paths"]
