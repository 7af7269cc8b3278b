"""The register's public JSON API: verify and search, with the pages' rules and rate limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ombuds.register import services
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/bodies"
TODAY = timezone.localdate  # called when a test runs, not when the module is collected


@pytest.fixture
def cgp(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        public_fields=["city"],
    )


def holder_with(program, number, given="Ann", family="Smith", **fields) -> Credential:
    person = Person.objects.create(
        organization=program.organization,
        given_name=given,
        family_name=family,
        city="Springfield",
        phone="555-0100",
    )
    values = {"status": "active", "issued_on": dt.date(2023, 1, 15), "expires_on": None}
    values.update(fields)
    return Credential.objects.create(program=program, holder=person, number=number, **values)


@pytest.fixture
def suspended(body, cgp, published) -> Credential:
    credential = holder_with(
        cgp, "CGP-0001", status="suspended", suspended_until=TODAY() + dt.timedelta(days=30)
    )

    def decision(**values) -> services.SanctionDecision:
        return services.SanctionDecision(
            kind="suspension", decided_on=dt.date(2024, 5, 2), **values
        )

    common = {"organization": body, "record": credential}
    services.sanction_record(
        **common,
        decision=decision(
            summary="Kept a client's money in the practice account.",
            decision_url="https://guild.example.org/decisions/2024-7",
            provisions=[published.provisions.get(citation="1.1(b)")],
        ),
        publication=services.SanctionPublication("public_until", TODAY() + dt.timedelta(days=365)),
    )
    services.sanction_record(
        **common,
        decision=decision(summary="A private warning."),
        publication=services.SanctionPublication("private"),
    )
    services.sanction_record(
        **common,
        decision=decision(summary="An old reprimand, no longer published."),
        publication=services.SanctionPublication("public_until", TODAY() - dt.timedelta(days=1)),
    )
    return credential


def test_verify_returns_the_public_facts_of_a_credential(client, suspended):
    response = client.get(f"{API}/guild/register/credentials/cgp-0001")
    assert response.status_code == 200
    data = response.json()
    assert data["number"] == "CGP-0001"
    assert data["holder"] == "Ann Smith" and data["place"] == "Springfield"
    assert data["body"] == "Guild of Examples" and data["body_slug"] == "guild"
    assert data["credential"] == "Certified Guild Practitioner"
    assert data["status"] == "suspended" and data["status_display"] == "Suspended"
    assert data["issued_on"] == "2023-01-15" and data["expires_on"] is None
    assert data["url"] == "http://testserver/guild/register/CGP-0001/"
    assert "555-0100" not in response.content.decode()
    # Only the sanction the publication policy lets the public see.
    (sanction,) = data["sanctions"]
    assert sanction["summary"] == "Kept a client's money in the practice account."
    assert sanction["kind"] == "suspension" and sanction["decided_on"] == "2024-05-02"
    assert sanction["decision_url"] == "https://guild.example.org/decisions/2024-7"
    assert sanction["provisions"] == [
        {"citation": "GOE 1.1(b)", "url": "http://testserver/guild/code/v/v1/1.1(b)"}
    ]


def test_verify_says_not_found_for_an_unknown_number_or_another_bodys(client, other_body, cgp):
    theirs = CredentialProgram.objects.create(
        organization=other_body, code="ocp", name="Other Practitioner", abbreviation="OCP"
    )
    holder_with(theirs, "OCP-0001")
    response = client.get(f"{API}/guild/register/credentials/CGP-9999")
    assert response.status_code == 404
    assert response.json()["detail"] == "GOE has no credential CGP-9999"
    assert client.get(f"{API}/guild/register/credentials/OCP-0001").status_code == 404
    assert client.get(f"{API}/other/register/credentials/OCP-0001").status_code == 200
    assert client.get(f"{API}/nobody/register/credentials/OCP-0001").status_code == 404


def test_verify_a_membership(client, body):
    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    agency = Agency.objects.create(
        organization=body, legal_name="Lantern Recovery, LLC", trade_names=["Lantern Kids"]
    )
    Membership.objects.create(
        organization=body, membership_type=kind, agency=agency, number="GOE-2001", status="grace"
    )
    data = client.get(f"{API}/guild/register/memberships/GOE-2001").json()
    assert data["holder"] == "Lantern Recovery, LLC" and data["holder_kind"] == "agency"
    assert data["also_known_as"] == ["Lantern Kids"]
    assert data["status"] == "grace" and data["sanctions"] == []
    assert data["url"] == "http://testserver/guild/register/members/GOE-2001/"
    assert client.get(f"{API}/guild/register/memberships/GOE-9").status_code == 404


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("CGP-0001", "cgp%200001"),  # a space stands for the hyphen
        ("CGP-0001", "CGP%200001"),
        ("CGP-0001", "cgp-0001"),
        ("CGP0001", "cgp%200001"),  # or for nothing
    ],
)
def test_verify_reads_a_number_as_search_does(client, cgp, stored, typed):
    holder_with(cgp, stored)
    response = client.get(f"{API}/guild/register/credentials/{typed}")
    assert response.status_code == 200
    data = response.json()
    assert data["holder"] == "Ann Smith" and data["number"] == stored
    assert data["url"] == f"http://testserver/guild/register/{stored}/"


def test_verify_a_membership_typed_with_a_space(client, body):
    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    agency = Agency.objects.create(organization=body, legal_name="Lantern Recovery, LLC")
    Membership.objects.create(
        organization=body, membership_type=kind, agency=agency, number="GOE-2001", status="active"
    )
    data = client.get(f"{API}/guild/register/memberships/goe%202001").json()
    assert data["number"] == "GOE-2001" and data["holder"] == "Lantern Recovery, LLC"


def test_a_member_persons_place_is_not_in_the_api(client, body, cgp):
    kind = MembershipType.objects.create(
        organization=body, code="individual", name="Individual member", kind="individual"
    )
    person = Person.objects.create(
        organization=body, given_name="Di", family_name="Member", city="Springfield", region="IL"
    )
    Membership.objects.create(
        organization=body, membership_type=kind, person=person, number="M-1", status="active"
    )
    data = client.get(f"{API}/guild/register/memberships/M-1").json()
    assert data["holder"] == "Di Member" and data["place"] == ""
    assert "Springfield" not in str(data)
    data = client.get(f"{API}/guild/register/search", {"q": "Springfield"}).json()
    assert data["results"] == []
    (entry,) = client.get(f"{API}/guild/register/search", {"q": "Member"}).json()["results"]
    assert entry["holder"] == "Di Member" and entry["place"] == ""


@pytest.mark.parametrize("q", ["a,,", "a;;", "a a a", "ab ab", "Smith a"])
def test_search_refuses_one_letter_and_padded_queries(client, cgp, q):
    holder_with(cgp, "CGP-0001")
    response = client.get(f"{API}/guild/register/search", {"q": q})
    assert response.status_code == 400
    assert "with at least 2 in every word" in response.json()["detail"]


def test_search_finds_by_name_with_links_to_each_entry(client, cgp):
    holder_with(cgp, "CGP-0001")
    holder_with(cgp, "CGP-0002", given="Bo", family="Jones")
    response = client.get(f"{API}/guild/register/search", {"q": "smith"})
    assert response.status_code == 200
    data = response.json()
    assert data["truncated"] is False and data["limit"] == 20
    assert data["message"] == "1 entry matches “smith”."
    (entry,) = data["results"]
    assert entry == {
        "kind": "credential",
        "number": "CGP-0001",
        "holder": "Ann Smith",
        "also_known_as": [],
        "place": "Springfield",
        "entry": "Certified Guild Practitioner",
        "status": "active",
        "status_display": "Active",
        "expires_on": None,
        "url": "http://testserver/guild/register/CGP-0001/",
    }


def test_search_keeps_the_pages_rules(client, cgp, settings):
    settings.OMBUDS_REGISTER_SEARCH_LIMIT = 2
    for n in range(3):
        holder_with(cgp, f"CGP-000{n}", given=f"Given{n}")
    for q in ("", "Sm"):
        response = client.get(f"{API}/guild/register/search", {"q": q})
        assert response.status_code == 400
        assert "at least 3 characters" in response.json()["detail"]
    data = client.get(f"{API}/guild/register/search", {"q": "Smith"}).json()
    assert len(data["results"]) == 2 and data["truncated"] is True
    data = client.get(f"{API}/guild/register/search", {"q": "nobody"}).json()
    assert data["results"] == [] and data["message"] == "Nobody in the register matches “nobody”."


def test_search_shares_its_rate_limit_with_the_page(client, cgp, settings):
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 2
    holder_with(cgp, "CGP-0001")
    assert client.get("/guild/register/", {"q": "Smith"}).status_code == 200
    assert client.get(f"{API}/guild/register/search", {"q": "Smith"}).status_code == 200
    response = client.get(f"{API}/guild/register/search", {"q": "Smith"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert response.json()["detail"].startswith("Too many requests; try again in ")


def test_verify_is_rate_limited(client, cgp, settings):
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 1
    holder_with(cgp, "CGP-0001")
    assert client.get(f"{API}/guild/register/credentials/CGP-0001").status_code == 200
    response = client.get(f"{API}/guild/register/credentials/CGP-0001")
    assert response.status_code == 429 and "Retry-After" in response


def test_the_openapi_schema_documents_the_public_register(client):
    schema = client.get("/api/v1/openapi.json").json()
    verify = schema["paths"]["/api/v1/bodies/{org}/register/credentials/{number}"]["get"]
    assert verify["summary"] == "Verify a credential by its number"
    assert {"200", "404", "429"} <= set(verify["responses"])
    assert "security" not in verify
    search = schema["paths"]["/api/v1/bodies/{org}/register/search"]["get"]
    assert [p["name"] for p in search["parameters"]] == ["org", "q"]
    assert {"200", "400", "429"} <= set(search["responses"])


def test_the_api_runs_a_bounded_number_of_queries(
    client, body, cgp, published, settings, django_assert_max_num_queries
):
    # The API's own queries; the rate limits' few are counted in test_rate_limits.
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 0
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 0
    people = Person.objects.bulk_create(
        Person(organization=body, given_name=f"Given{n}", family_name="Smith") for n in range(200)
    )
    Credential.objects.bulk_create(
        Credential(program=cgp, holder=p, number=f"CGP-{n:04d}", status="active")
        for n, p in enumerate(people)
    )
    with django_assert_max_num_queries(5):
        data = client.get(f"{API}/guild/register/search", {"q": "Smith"}).json()
    assert len(data["results"]) == 20 and data["truncated"] is True
    assert data["sampled"] is False  # 200 matches: every one read and sorted
    settings.OMBUDS_REGISTER_SEARCH_SCAN = 50
    data = client.get(f"{API}/guild/register/search", {"q": "Smith"}).json()
    assert len(data["results"]) == 20 and data["sampled"] is True
    assert data["message"].startswith("Too many entries match “Smith” to sort them all")
    with django_assert_max_num_queries(4):
        assert client.get(f"{API}/guild/register/credentials/CGP-0100").status_code == 200
