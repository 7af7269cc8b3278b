"""The staff write API beyond people and credential issue: agencies (with the CSEC 4.2 warnings),
affiliations, memberships, sanctions and credential corrections. One token, one body."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    Membership,
    MembershipType,
    Person,
    Sanction,
    StatusEvent,
)
from ombuds.register.tokens import token_create, token_revoke

pytestmark = pytest.mark.django_db

BASE = "/api/v1/bodies/guild/register"
OTHER = "/api/v1/bodies/other/register"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(personas, body) -> str:
    return token_create(user=personas["body_staff"], organization=body, name="HR sync")[1]


@pytest.fixture
def other_token(personas, other_body) -> str:
    return token_create(user=personas["other_body_admin"], organization=other_body, name="y")[1]


@pytest.fixture
def api(client, token):
    """api("post", "/memberships", {...}) → the response, with the guild's token."""

    def call(method: str, path: str, data: dict | None = None, *, headers=None, base=BASE):
        return getattr(client, method)(
            f"{base}{path}",
            data,
            content_type="application/json",
            headers=auth(token) if headers is None else headers,
        )

    return call


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def lena(body) -> Person:
    return Person.objects.create(
        organization=body, external_id="HR-7", given_name="Lena", family_name="Abara"
    )


@pytest.fixture
def acme(body) -> Agency:
    return Agency.objects.create(
        organization=body,
        external_id="AG-1",
        legal_name="Acme Staffing LLC",
        trade_names=["Bright Path Careers"],
    )


@pytest.fixture
def org_type(body) -> MembershipType:
    return MembershipType.objects.create(
        organization=body, code="agency", name="Agency member", kind="organization"
    )


# --- agencies (CSEC 4.2) ------------------------------------------------------------------------

AGENCY = {
    "external_id": "AG-9",
    "legal_name": "Northwind Supported Employment",
    "trade_names": ["Northwind Jobs", "NW Works"],
    "city": "Albany",
    "email": "info@northwind.example",
    "website": "northwind.example",
}


def test_an_agency_is_created_then_updated_by_its_external_id(api, body):
    response = api("put", "/agencies/AG-9", AGENCY)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["trade_names"] == ["Northwind Jobs", "NW Works"] and data["warnings"] == []
    assert data["website"] == "https://northwind.example"  # as the staff form stores it
    response = api(
        "put", "/agencies/AG-9", {**AGENCY, "trade_names": ["Northwind"], "city": "Troy"}
    )
    assert response.status_code == 200
    agency = Agency.objects.get(organization=body, external_id="AG-9")
    assert (agency.trade_names, agency.city, agency.pk) == (["Northwind"], "Troy", data["id"])
    assert Agency.objects.count() == 1


def test_a_bad_agency_is_refused_with_every_reason_and_nothing_stored(api):
    response = api("put", "/agencies/AG-9", {**AGENCY, "legal_name": "", "email": "nope"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "legal_name" in detail and "email" in detail
    assert not Agency.objects.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"external_id": "AG-10"}, "differs from the one in the path"),
        ({"trade_names": ["Northwind\nJobs"]}, "without line breaks"),
    ],
)
def test_an_agency_payload_that_cannot_be_meant_is_a_400(api, change, message):
    response = api("put", "/agencies/AG-9", {**AGENCY, **change})
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not Agency.objects.exists()


def test_a_confusable_legal_name_is_saved_with_a_warning_naming_the_other_agency(api, acme):
    response = api(
        "put", "/agencies/AG-2", {"external_id": "AG-2", "legal_name": "ACME Staffing, Inc."}
    )
    assert response.status_code == 201
    [warning] = response.json()["warnings"]
    assert warning["external_id"] == "AG-1" and warning["legal_name"] == "Acme Staffing LLC"
    assert warning["matched_name"] == "Acme Staffing LLC" and warning["similarity"] == 1.0
    assert "Acme Staffing LLC" in warning["message"] and "CSEC 4.2" in warning["message"]
    # Saved all the same: the API warns, as staff are warned on the page.
    assert Agency.objects.filter(external_id="AG-2", legal_name="ACME Staffing, Inc.").exists()


def test_a_confusable_trade_name_is_warned_about_and_names_what_it_matched(api, acme):
    response = api(
        "put",
        "/agencies/AG-2",
        {"external_id": "AG-2", "legal_name": "Harbor Ltd", "trade_names": ["Brightpath Careers"]},
    )
    assert response.status_code == 201
    [warning] = response.json()["warnings"]
    assert (warning["legal_name"], warning["matched_name"]) == (
        "Acme Staffing LLC",
        "Bright Path Careers",
    )
    assert "trades as 'Bright Path Careers'" in warning["message"]


def test_an_agency_is_not_similar_to_itself_nor_to_another_bodys(api, acme, other_body):
    Agency.objects.create(organization=other_body, external_id="X", legal_name="Harbor Ltd")
    response = api("put", "/agencies/AG-1", {"external_id": "AG-1", "legal_name": "Acme Staffing"})
    assert response.status_code == 200 and response.json()["warnings"] == []
    response = api("put", "/agencies/AG-2", {"external_id": "AG-2", "legal_name": "Harbor LLC"})
    assert response.status_code == 201 and response.json()["warnings"] == []


# --- affiliations -------------------------------------------------------------------------------


def test_add_change_and_list_affiliations(api, acme, lena, body):
    sam = Person.objects.create(
        organization=body, external_id="HR-8", given_name="Sam", family_name="Zed"
    )
    response = api(
        "post",
        "/affiliations",
        {
            "agency_external_id": "AG-1",
            "person_external_id": "HR-7",
            "role": "employee",
            "start_date": "2024-01-15",
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    affiliation = Affiliation.objects.get(pk=created["id"])
    assert (affiliation.agency, affiliation.person, affiliation.role) == (acme, lena, "employee")
    assert created["person_name"] == "Lena Abara" and created["agency_name"] == "Acme Staffing LLC"
    api(
        "post",
        "/affiliations",
        {"agency_external_id": "AG-1", "person_external_id": "HR-8", "role": "principal"},
    )

    response = api("patch", f"/affiliations/{created['id']}", {"end_date": "2025-03-31"})
    assert response.status_code == 200
    affiliation.refresh_from_db()
    assert (affiliation.start_date, affiliation.end_date) == (
        dt.date(2024, 1, 15),
        dt.date(2025, 3, 31),
    )
    response = api("patch", f"/affiliations/{created['id']}", {"role": "agent", "start_date": None})
    assert response.status_code == 200
    affiliation.refresh_from_db()
    assert (affiliation.role, affiliation.start_date, affiliation.end_date) == (
        "agent",
        None,
        dt.date(2025, 3, 31),
    )

    response = api("get", "/agencies/AG-1/affiliations")
    assert response.status_code == 200
    assert [(a["person_external_id"], a["role"]) for a in response.json()] == [
        ("HR-7", "agent"),
        ("HR-8", "principal"),
    ]
    assert sam.affiliations.count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"role": "boss"}, "role must be one of employee, agent, principal"),
        ({"start_date": "2024-05-01", "end_date": "2024-04-01"}, "must end after it starts"),
        ({"start_date": "2023-06-01"}, "Lena Abara is already employee of Acme Staffing LLC"),
        ({"person_external_id": ""}, "person_external_id is empty"),
    ],
)
def test_a_refused_affiliation_is_a_400_with_the_reason(api, acme, lena, change, message):
    Affiliation.objects.create(agency=acme, person=lena, role="employee")
    payload = {"agency_external_id": "AG-1", "person_external_id": "HR-7", "role": "employee"}
    response = api("post", "/affiliations", {**payload, **change})
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert Affiliation.objects.count() == 1


@pytest.mark.parametrize("missing", ["agency_external_id", "person_external_id"])
def test_an_affiliation_with_someone_not_in_the_register_is_a_404(api, acme, lena, missing):
    payload = {"agency_external_id": "AG-1", "person_external_id": "HR-7", "role": "employee"}
    response = api("post", "/affiliations", {**payload, missing: "NOPE"})
    assert response.status_code == 404 and "NOPE" in response.json()["detail"]
    assert not Affiliation.objects.exists()


def test_a_refused_change_of_an_affiliation_changes_nothing(api, acme, lena):
    first = Affiliation.objects.create(
        agency=acme, person=lena, role="employee", end_date=dt.date(2023, 12, 31)
    )
    second = Affiliation.objects.create(
        agency=acme, person=lena, role="employee", start_date=dt.date(2024, 1, 1)
    )
    response = api("patch", f"/affiliations/{first.pk}", {"end_date": None})
    assert response.status_code == 400 and "already employee" in response.json()["detail"]
    first.refresh_from_db()
    assert first.end_date == dt.date(2023, 12, 31)
    assert api("patch", f"/affiliations/{second.pk}", {}).status_code == 400
    assert api("patch", f"/affiliations/{second.pk}", {"role": None}).status_code == 400
    assert api("patch", "/affiliations/999999", {"role": "agent"}).status_code == 404
    assert api("get", "/agencies/NOPE/affiliations").status_code == 404


# --- memberships --------------------------------------------------------------------------------


def test_add_a_membership_read_it_and_admit_the_member(api, lena, membership_type, personas, today):
    response = api(
        "post",
        "/memberships",
        {
            "membership_type": "individual",
            "person_external_id": "HR-7",
            "number": "m-12",
            "external_id": "MEM-12",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "number": "m-12",
        "external_id": "MEM-12",
        "membership_type": "individual",
        "holder_kind": "person",
        "holder_external_id": "HR-7",
        "holder_name": "Lena Abara",
        "status": "applicant",
        "start_date": None,
        "renewal_date": None,
        "suspended_until": None,
    }
    response = api(
        "post",
        "/memberships/m-12/status",
        {
            "to_status": "active",
            "effective_date": today.isoformat(),
            "reason": "Admitted by the board",
            "expected_status": "applicant",
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    assert response.json()["start_date"] == today.isoformat()

    response = api("get", "/memberships/M-12/record")  # case is not told apart
    assert response.status_code == 200
    events = response.json()["events"]
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        ("", "applicant"),
        ("applicant", "active"),
    ]
    assert events[1]["reason"] == "Admitted by the board"
    assert set(
        StatusEvent.objects.filter(membership__number="m-12").values_list("actor", flat=True)
    ) == {personas["body_staff"].pk}


def test_an_agency_holds_an_organisation_membership(api, acme, org_type):
    response = api(
        "post",
        "/memberships",
        {"membership_type": "agency", "agency_external_id": "AG-1", "number": "A-1"},
    )
    assert response.status_code == 201
    assert (response.json()["holder_kind"], response.json()["holder_name"]) == (
        "agency",
        "Acme Staffing LLC",
    )
    assert Membership.objects.get(number="A-1").agency == acme


@pytest.mark.parametrize(
    "payload, status, message",
    [
        (
            {"person_external_id": "HR-7", "agency_external_id": "AG-1"},
            400,
            "either person_external_id or agency_external_id",
        ),
        ({}, 400, "either person_external_id or agency_external_id"),
        ({"agency_external_id": "AG-1"}, 400, "is held by a person"),
        ({"person_external_id": "HR-7", "number": "M-0001"}, 400, "M-0001 is already used"),
        ({"person_external_id": "HR-7", "number": "no/slash"}, 400, "must be 1 to 50 letters"),
        ({"person_external_id": "HR-7", "membership_type": "gold"}, 404, "membership type gold"),
        ({"person_external_id": "HR-99"}, 404, "HR-99"),
        ({"agency_external_id": "AG-99"}, 404, "AG-99"),
    ],
)
def test_a_membership_the_register_refuses(
    api, lena, acme, membership_type, make_membership, payload, status, message
):
    make_membership("active")  # M-0001
    before = Membership.objects.count()
    response = api(
        "post", "/memberships", {"membership_type": "individual", "number": "M-5"} | payload
    )
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert Membership.objects.count() == before


def test_a_live_membership_of_the_same_type_is_refused(api, lena, membership_type):
    payload = {"membership_type": "individual", "person_external_id": "HR-7", "number": "M-1"}
    assert api("post", "/memberships", payload).status_code == 201
    response = api("post", "/memberships", {**payload, "number": "M-2"})
    assert response.status_code == 400 and "already has a live" in response.json()["detail"]


def test_renewing_a_membership_in_grace_sets_the_next_renewal_date(api, make_membership, today):
    membership = make_membership("grace")
    next_renewal = today + dt.timedelta(days=365)
    response = api(
        "post",
        f"/memberships/{membership.number}/status",
        {
            "to_status": "active",
            "effective_date": today.isoformat(),
            "reason": "Dues paid",
            "renewal_date": next_renewal.isoformat(),
        },
    )
    assert response.status_code == 200
    membership.refresh_from_db()
    assert (membership.status, membership.renewal_date) == ("active", next_renewal)


@pytest.mark.parametrize(
    "change, status, message",
    [
        ({"to_status": "suspended"}, 400, "Suspend (sanction) requires decision_ref, until"),
        ({"to_status": "applicant"}, 400, "active cannot become applicant"),
        ({"to_status": "grace"}, 400, "by hand"),
        ({"reason": " "}, 400, "needs a reason"),
        ({"effective_date": "2999-01-01"}, 400, "in the future"),
        ({"expected_status": "grace"}, 409, "someone changed it meanwhile"),
    ],
)
def test_a_membership_status_change_the_register_refuses(
    api, make_membership, today, change, status, message
):
    membership = make_membership("active")
    payload = {
        "to_status": "resigned",
        "effective_date": today.isoformat(),
        "reason": "Moved away",
        "expected_status": "active",
    }
    response = api("post", f"/memberships/{membership.number}/status", {**payload, **change})
    assert response.status_code == status
    assert message in response.json()["detail"]
    membership.refresh_from_db()
    assert membership.status == "active" and not membership.events.exists()


def test_an_unknown_membership_is_a_404(api):
    assert api("get", "/memberships/M-404/record").status_code == 404
    response = api(
        "post",
        "/memberships/M-404/status",
        {"to_status": "active", "effective_date": "2025-01-01", "reason": "x"},
    )
    assert response.status_code == 404 and response.json()["detail"] == "no membership M-404"


def test_the_public_verification_keeps_its_path(client, api, make_membership):
    # The staff record is at .../record; the public verification answers without a token.
    membership = make_membership("active")
    assert client.get(f"{BASE}/memberships/{membership.number}").status_code == 200
    assert client.get(f"{BASE}/memberships/{membership.number}/record").status_code == 401


# --- sanctions ----------------------------------------------------------------------------------


def sanction(**change) -> dict:
    return {
        "credential_number": "CGP-0001",
        "kind": "suspension",
        "decided_on": "2025-03-01",
        "effective_from": "2025-03-15",
        "effective_until": "2025-09-15",
        "summary": "Misled a client about fees.",
        "publication": "public",
        "decision_url": "https://guild.example/decisions/7",
        "provisions": ["2.1", "1.2", "2.1"],
    } | change


def test_record_a_sanction_on_a_credential_citing_the_code_in_force(
    api, make_credential, published, personas
):
    credential = make_credential("active")
    response = api("post", "/sanctions", sanction())
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["provisions"] == ["2.1", "1.2"] and data["code_version"] == "v1"
    assert data["credential_number"] == "CGP-0001" and data["membership_number"] is None
    stored = Sanction.objects.get(pk=data["id"])
    assert stored.credential == credential and stored.kind == "suspension"
    assert sorted(p.citation for p in stored.provisions.all()) == ["1.2", "2.1"]
    assert {p.version for p in stored.provisions.all()} == {published}
    assert (stored.recorded_by, stored.source) == (personas["body_staff"], "historical")
    # The sanction is on the record; the status changes only through the lifecycle.
    credential.refresh_from_db()
    assert credential.status == "active" and not credential.events.exists()


def test_record_a_sanction_on_a_membership(api, make_membership, published):
    membership = make_membership("active")
    response = api(
        "post",
        "/sanctions",
        sanction(
            credential_number=None,
            membership_number=membership.number.lower(),
            kind="reprimand",
            publication="public_until",
            public_until="2027-03-01",
            provisions=[],
        ),
    )
    assert response.status_code == 201, response.json()
    stored = Sanction.objects.get()
    assert (stored.membership, stored.public_until) == (membership, dt.date(2027, 3, 1))
    assert response.json()["provisions"] == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"provisions": ["1.2", "9.9", "7"]}, "provisions: 9.9, 7 not in GOE's code in force (v1)"),
        ({"provisions": [" "]}, "a citation is empty"),
        ({"kind": "flogging"}, "kind: Select a valid choice"),
        ({"publication": "public_until"}, "public_until: Give the date"),
        ({"effective_until": "2025-03-01"}, "The sanction must end after it starts"),
        ({"summary": ""}, "summary: This field is required"),
        ({"decision_url": "not a url"}, "decision_url"),
        ({"membership_number": "M-0001"}, "either credential_number or membership_number"),
        ({"credential_number": None}, "either credential_number or membership_number"),
    ],
)
def test_a_sanction_the_register_refuses_is_a_400_naming_why(
    api, make_credential, make_membership, published, change, message
):
    make_credential("active")
    make_membership("active")
    response = api("post", "/sanctions", sanction(**change))
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Sanction.objects.exists()


def test_a_citation_only_in_a_draft_is_not_in_force(api, make_credential, published, body):
    from ombuds.codes import services as code_services
    from tests.conftest import small_code

    code_services.code_version_import(
        organization=body, parsed=small_code(changed=True), source=b"v2", label="v2"
    )  # a draft with 2.2
    make_credential("active")
    response = api("post", "/sanctions", sanction(provisions=["2.2"]))
    assert response.status_code == 400 and "2.2 not in" in response.json()["detail"]


def test_no_code_in_force_means_nothing_can_be_cited(api, make_credential):
    make_credential("active")
    response = api("post", "/sanctions", sanction())
    assert response.status_code == 400
    assert "GOE has no published code in force" in response.json()["detail"]
    assert api("post", "/sanctions", sanction(provisions=[])).status_code == 201


def test_a_sanction_on_an_unknown_record_is_a_404(api, published):
    response = api("post", "/sanctions", sanction(credential_number="CGP-404"))
    assert response.status_code == 404 and response.json()["detail"] == "no credential CGP-404"
    response = api("post", "/sanctions", sanction(credential_number=None, membership_number="M-4"))
    assert response.status_code == 404 and response.json()["detail"] == "no membership M-4"


# --- credential corrections and status ----------------------------------------------------------


def test_set_conditions_and_correct_the_expiry_date(api, make_credential, personas, today):
    credential = make_credential("active", expires_on=today + dt.timedelta(days=30))
    new_expiry = today + dt.timedelta(days=400)
    response = api(
        "post",
        f"/credentials/{credential.number}/corrections",
        {
            "conditions": "Supervised practice only",
            "expires_on": new_expiry.isoformat(),
            "reason": "Board decision 2025-14",
            "expected_status": "active",
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["conditions"] == "Supervised practice only"
    assert response.json()["expires_on"] == new_expiry.isoformat()
    credential.refresh_from_db()
    assert (credential.status, credential.conditions, credential.expires_on) == (
        "active",
        "Supervised practice only",
        new_expiry,
    )
    event = credential.events.get()
    assert (event.from_status, event.to_status, event.actor) == (
        "active",
        "active",
        personas["body_staff"],
    )
    assert "conditions set to: Supervised practice only" in event.reason
    assert event.reason.endswith("Board decision 2025-14")


@pytest.mark.parametrize(
    "status, change, code, message",
    [
        ("active", {"conditions": ""}, 400, "nothing to change"),
        ("active", {"reason": ""}, 400, "needs a reason"),
        ("active", {"issued_on": "2026-01-01", "expires_on": "2025-12-31"}, 400, "must come after"),
        ("expired", {"expires_on": "2030-01-01"}, 400, "by reinstatement"),
        ("active", {"expected_status": "inactive"}, 409, "someone changed it meanwhile"),
    ],
)
def test_a_correction_the_register_refuses(api, make_credential, status, change, code, message):
    credential = make_credential(status)
    before = (credential.conditions, credential.issued_on, credential.expires_on)
    payload = {"conditions": "Supervised", "reason": "Board decision"} | change
    response = api("post", f"/credentials/{credential.number}/corrections", payload)
    assert response.status_code == code
    assert message in response.json()["detail"]
    credential.refresh_from_db()
    assert (credential.conditions, credential.issued_on, credential.expires_on) == before
    assert not credential.events.exists()


def test_a_correction_of_an_unknown_credential_is_a_404(api):
    response = api("post", "/credentials/CGP-404/corrections", {"reason": "x", "conditions": "y"})
    assert response.status_code == 404


def test_a_stale_credential_status_change_is_a_409(api, make_credential, today):
    credential = make_credential("inactive")
    response = api(
        "post",
        f"/credentials/{credential.number}/status",
        {
            "to_status": "surrendered",
            "effective_date": today.isoformat(),
            "reason": "Retired",
            "expected_status": "active",
        },
    )
    assert response.status_code == 409
    assert "is now inactive, not active" in response.json()["detail"]
    credential.refresh_from_db()
    assert credential.status == "inactive"


def test_an_empty_holder_external_id_matches_nobody(api, body, program):
    # A person without an external id must not be picked by an empty one.
    Person.objects.create(organization=body, given_name="No", family_name="Id")
    response = api(
        "post", "/credentials", {"holder_external_id": "", "program": "cgp", "number": "CGP-1"}
    )
    assert response.status_code == 400 and not Credential.objects.exists()


# --- tokens and bodies --------------------------------------------------------------------------


@pytest.fixture
def records(body, acme, lena, make_credential, make_membership):
    """One of each of the guild's records the endpoints below name."""
    return {
        "credential": make_credential("active"),
        "membership": make_membership("active"),
        "affiliation": Affiliation.objects.create(agency=acme, person=lena, role="employee"),
    }


def calls(records, today: dt.date) -> list[tuple[str, str, dict | None]]:
    """Every new endpoint, with a payload that the guild's own token could carry out."""
    number, member = records["credential"].number, records["membership"].number
    return [
        ("put", "/agencies/AG-1", {"external_id": "AG-1", "legal_name": "Renamed"}),
        (
            "post",
            "/affiliations",
            {"agency_external_id": "AG-1", "person_external_id": "HR-7", "role": "agent"},
        ),
        ("patch", f"/affiliations/{records['affiliation'].pk}", {"role": "principal"}),
        ("get", "/agencies/AG-1/affiliations", None),
        (
            "post",
            "/memberships",
            {"membership_type": "individual", "person_external_id": "HR-7", "number": "M-77"},
        ),
        ("get", f"/memberships/{member}/record", None),
        (
            "post",
            f"/memberships/{member}/status",
            {"to_status": "resigned", "reason": "x", "effective_date": today.isoformat()},
        ),
        ("post", "/sanctions", sanction(credential_number=number, provisions=[])),
        ("post", f"/credentials/{number}/corrections", {"conditions": "y", "reason": "x"}),
    ]


def _snapshot() -> tuple:
    return (
        list(Agency.objects.values_list("organization", "external_id", "legal_name")),
        list(Affiliation.objects.values_list("pk", "role", "start_date", "end_date")),
        list(Membership.objects.values_list("pk", "status")),
        list(Credential.objects.values_list("pk", "status", "conditions")),
        Sanction.objects.count(),
        StatusEvent.objects.count(),
    )


def test_each_call_works_with_the_bodys_own_token(api, records, today):
    # The control for the tests below: the same calls succeed for the guild's own token.
    for method, path, payload in calls(records, today):
        response = api(method, path, payload)
        assert response.status_code in (200, 201), (method, path, response.json())


@pytest.mark.parametrize("case", ["none", "revoked", "garbage"])
def test_every_endpoint_needs_a_live_token(api, records, today, personas, body, case):
    headers: dict[str, str] = {}
    if case == "revoked":
        row, secret = token_create(user=personas["body_admin"], organization=body, name="z")
        token_revoke(token=row)
        headers = auth(secret)
    elif case == "garbage":
        headers = auth("omb_abc_def")
    before = _snapshot()
    for method, path, payload in calls(records, today):
        response = api(method, path, payload, headers=headers)
        assert response.status_code == 401, (method, path)
    assert _snapshot() == before


def test_another_bodys_token_is_refused_on_this_bodys_paths(api, records, today, other_token):
    before = _snapshot()
    for method, path, payload in calls(records, today):
        response = api(method, path, payload, headers=auth(other_token))
        assert response.status_code == 403, (method, path)
        assert response.json()["detail"] == "this token is for another body"
    assert _snapshot() == before


def test_another_body_cannot_reach_these_records_through_its_own_paths(
    api, records, today, other_token, other_body
):
    """On its own paths, the other body's token finds none of the guild's records: 404, and the
    answer says nothing of them. (The agency PUT creates the other body's own AG-1.)"""
    MembershipType.objects.create(
        organization=other_body, code="individual", name="Member", kind="individual"
    )
    before = _snapshot()
    for method, path, payload in calls(records, today)[1:]:
        response = api(method, path, payload, headers=auth(other_token), base=OTHER)
        assert response.status_code == 404, (method, path, response.json())
        for secret in ("Lena", "Acme", "Holder", "Member No"):
            assert secret not in response.json()["detail"]
    assert _snapshot() == before

    method, path, payload = calls(records, today)[0]
    response = api(method, path, payload, headers=auth(other_token), base=OTHER)
    assert response.status_code == 201 and response.json()["warnings"] == []
    assert Agency.objects.get(
        organization=records["affiliation"].agency.organization
    ).legal_name == ("Acme Staffing LLC")
    assert Agency.objects.filter(organization=other_body, external_id="AG-1").count() == 1


# --- the OpenAPI schema -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, codes",
    [
        ("put", "/agencies/{external_id}", {"200", "201", "400", "401", "403", "409"}),
        ("post", "/affiliations", {"201", "400", "401", "403", "404"}),
        ("patch", "/affiliations/{affiliation_id}", {"200", "400", "401", "403", "404"}),
        ("get", "/agencies/{external_id}/affiliations", {"200", "401", "403", "404"}),
        ("post", "/memberships", {"201", "400", "401", "403", "404", "409"}),
        ("get", "/memberships/{number}/record", {"200", "401", "403", "404"}),
        ("post", "/memberships/{number}/status", {"200", "400", "401", "403", "404", "409"}),
        ("post", "/sanctions", {"201", "400", "401", "403", "404"}),
        ("post", "/credentials/{number}/corrections", {"200", "400", "401", "403", "404", "409"}),
        ("post", "/credentials/{number}/status", {"200", "400", "401", "403", "404", "409"}),
    ],
)
def test_the_openapi_schema_documents_the_staff_endpoints(client, db, method, path, codes):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][f"/api/v1/bodies/{{org}}/register{path}"][method]
    assert operation["summary"] and operation["tags"] == ["register (staff)"]
    assert codes <= set(operation["responses"])
    scope = "register:read" if method == "get" else "register:write"
    assert operation["security"] == [{"StaffToken": [scope]}]


def test_the_schema_says_the_api_warns_where_the_page_asks(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    put = schema["paths"]["/api/v1/bodies/{org}/register/agencies/{external_id}"]["put"]
    assert "CSEC 4.2" in put["description"] and "saves the agency" in put["description"]
    public = schema["paths"]["/api/v1/bodies/{org}/register/memberships/{number}"]
    assert set(public) == {"get"} and "security" not in public["get"]


# --- races --------------------------------------------------------------------------------------


def test_an_agency_created_meanwhile_is_a_409_and_nothing_is_half_written(api, monkeypatch):
    from django.db import IntegrityError, models

    def created_meanwhile(agency, *args, **kwargs):
        models.Model.save(agency, *args, **kwargs)
        raise IntegrityError("agency_unique_external_id")

    monkeypatch.setattr(Agency, "save", created_meanwhile)
    response = api("put", "/agencies/AG-9", AGENCY)
    assert response.status_code == 409 and "created meanwhile" in response.json()["detail"]
    assert not Agency.objects.exists()


def test_a_membership_number_taken_meanwhile_is_a_409(api, lena, membership_type, monkeypatch):
    from django.db import IntegrityError

    from ombuds.register import services

    def taken_meanwhile(**kwargs):
        raise IntegrityError("membership_unique_number")

    monkeypatch.setattr(services, "membership_create", taken_meanwhile)
    response = api(
        "post",
        "/memberships",
        {"membership_type": "individual", "person_external_id": "HR-7", "number": "M-1"},
    )
    assert response.status_code == 409 and "retry" in response.json()["detail"]
