"""The register's write API: a staff token for one body, the same services as the pages."""

import datetime as dt

import pytest

from ombuds.register.models import Credential, CredentialProgram, Person, StatusEvent
from ombuds.register.tokens import TokenError, token_create, token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(body):
    return CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )


@pytest.fixture
def token(personas, body):
    return token_create(user=personas["body_staff"], organization=body, name="HR sync")[1]


def auth(token):
    return {"Authorization": f"Bearer {token}"}


PERSON = {"external_id": "HR-7", "given_name": "Lena", "family_name": "Abara", "city": "Raleigh"}


def test_create_then_update_a_person_by_external_id(client, token, body):
    response = client.put(
        "/api/v1/bodies/guild/register/people/HR-7",
        PERSON,
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 201
    response = client.put(
        "/api/v1/bodies/guild/register/people/HR-7",
        {**PERSON, "city": "Albany"},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 200
    assert Person.objects.get(organization=body, external_id="HR-7").city == "Albany"
    assert Person.objects.count() == 1


def test_issue_and_certify_a_credential(client, token, body, program, personas):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    client.put(
        "/api/v1/bodies/guild/register/people/HR-7",
        PERSON,
        content_type="application/json",
        headers=auth(token),
    )
    response = client.post(
        "/api/v1/bodies/guild/register/credentials",
        {"holder_external_id": "HR-7", "program": "cgp", "number": "cgp-9"},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 201 and response.json()["number"] == "CGP-9"
    response = client.post(
        "/api/v1/bodies/guild/register/credentials/CGP-9/status",
        {
            "to_status": "active",
            "effective_date": today,
            "reason": "Passed the examination",
            "expected_status": "candidate",
        },
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 200
    assert response.json()["status"] == "active" and response.json()["issued_on"] == today
    event = StatusEvent.objects.filter(credential__number="CGP-9").last()
    assert (event.to_status, event.actor) == ("active", personas["body_staff"])


def test_a_transition_the_lifecycle_refuses_is_a_400_with_the_reason(client, token, body, program):
    holder = Person.objects.create(organization=body, given_name="A", family_name="B")
    Credential.objects.create(
        program=program,
        holder=holder,
        number="CGP-1",
        status="active",
        issued_on=dt.date(2024, 1, 1),
    )
    response = client.post(
        "/api/v1/bodies/guild/register/credentials/CGP-1/status",
        {"to_status": "candidate", "effective_date": "2025-02-01", "reason": "x"},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 400
    assert "active cannot become candidate" in response.json()["detail"]


@pytest.mark.parametrize("case", ["none", "garbage", "revoked", "other_body", "role_removed"])
def test_writes_need_a_live_token_for_this_body(client, body, other_body, personas, case):
    token = token_create(user=personas["body_staff"], organization=body, name="x")
    headers = {}
    if case == "garbage":
        headers = auth("omb_abc_def")
    elif case == "revoked":
        token_revoke(token=token[0])
        headers = auth(token[1])
    elif case == "other_body":
        headers = auth(
            token_create(user=personas["other_body_admin"], organization=other_body, name="y")[1]
        )
    elif case == "role_removed":
        personas["body_staff"].body_roles.all().delete()
        headers = auth(token[1])
    response = client.put(
        "/api/v1/bodies/guild/register/people/HR-7",
        PERSON,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == (403 if case == "other_body" else 401)
    assert not Person.objects.exists()


def test_only_staff_can_hold_a_token(personas, body):
    with pytest.raises(TokenError, match="no staff role"):
        token_create(user=personas["committee_member"], organization=body, name="x")


def test_the_token_is_stored_only_as_a_hash(personas, body):
    row, token = token_create(user=personas["body_admin"], organization=body, name="x")
    assert token.startswith(f"omb_{row.prefix}_") and token not in row.key_hash


def test_a_bad_person_is_refused_with_every_reason(client, token):
    bad = {**PERSON, "given_name": "", "email": "nope"}
    response = client.put(
        "/api/v1/bodies/guild/register/people/HR-7",
        bad,
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "given_name" in detail and "email" in detail
    assert not Person.objects.exists()


def test_a_country_is_stored_as_its_upper_case_code(client, token, body):
    client.put(
        "/api/v1/bodies/guild/register/people/HR-7",
        {**PERSON, "country": "us"},
        content_type="application/json",
        headers=auth(token),
    )
    assert Person.objects.get(external_id="HR-7").country == "US"
