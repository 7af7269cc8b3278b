"""The members' API for recertification: a holder's member token reads and changes their own cycles
only (another holder's is 404), staff tokens are refused (401), bad input is a 400 with the reason,
a stale submission a 409."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.register import recert_audit
from ombuds.register import recertification as recert
from ombuds.register.models import (
    Activity,
    Credential,
    CredentialProgram,
    Person,
    RecertificationCycle,
)
from ombuds.register.tokens import token_create

pytestmark = pytest.mark.django_db

API = "/api/v1/me/recertification"
TODAY = dt.date(2026, 6, 1)
PDF = base64.b64encode(b"%PDF-1.4 attended").decode()


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def program(body) -> CredentialProgram:
    return CredentialProgram.objects.create(
        organization=body,
        code="cgp",
        name="Certified Guild Practitioner",
        abbreviation="CGP",
        required_units=Decimal("10"),
        unit_categories={"ethics": 2, "practice": 6},
    )


def _holder(program, django_user_model, username: str, number: str):
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "pw")
    person = Person.objects.create(
        organization=program.organization, given_name=username, family_name="H", user=user
    )
    credential = Credential.objects.create(
        program=program,
        holder=person,
        number=number,
        status="active",
        issued_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2027, 1, 1),
    )
    cycle = recert.cycle_open(credential=credential)
    secret = token_create(user=user, organization=program.organization, name="t", scope="member")[1]
    return user, cycle, {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def wen(program, django_user_model):
    return _holder(program, django_user_model, "wen", "CGP-1")


@pytest.fixture
def ola(program, django_user_model):
    return _holder(program, django_user_model, "ola", "CGP-2")


def post(client, path: str, data: dict, headers: dict):
    return client.post(path, data, content_type="application/json", headers=headers)


ACTIVITY = {
    "category": "practice",
    "title": "Workshop",
    "provider": "Guild Academy",
    "completed_on": "2025-05-01",
    "units": 8,
}


def test_the_holder_reads_their_cycles_with_progress(client, wen, ola):
    _user, cycle, auth = wen
    found = client.get(API, headers=auth).json()
    assert [c["id"] for c in found] == [cycle.pk]
    assert found[0]["still_needed"] == ["0 of 10 units", "ethics: 0 of 2", "practice: 0 of 6"]
    assert found[0]["categories"][0] == {
        "category": "ethics",
        "approved": "0",
        "awaiting_review": "0",
        "required": "2",
        "still_needed": "2",
    }


def test_the_holder_sends_an_activity_with_evidence_and_submits(client, wen):
    user, cycle, auth = wen
    response = post(
        client,
        f"{API}/{cycle.pk}/activities",
        {**ACTIVITY, "evidence": {"name": "c.pdf", "content_base64": PDF}},
        auth,
    )
    assert response.status_code == 201, response.content
    assert response.json()["has_evidence"] is True and response.json()["review"] == "submitted"
    post(
        client, f"{API}/{cycle.pk}/activities", {**ACTIVITY, "category": "ethics", "units": 2}, auth
    )
    detail = client.get(f"{API}/{cycle.pk}", headers=auth).json()
    assert len(detail["activities"]) == 2 and detail["still_needed"] == []
    response = post(client, f"{API}/{cycle.pk}/submit", {"version": detail["version"]}, auth)
    assert response.status_code == 200 and response.json()["submitted_at"]
    assert Event.objects.get(action="register.cycle_submitted").actor == user


def test_another_holders_token_finds_nothing(client, wen, ola):
    _user, cycle, _auth = wen
    activity = recert.activity_submit(
        cycle=cycle,
        category="practice",
        title="Mine",
        units=Decimal(1),
        completed_on=dt.date(2025, 5, 1),
    )
    auth = ola[2]
    version = "x"
    for response in (
        client.get(f"{API}/{cycle.pk}", headers=auth),
        post(client, f"{API}/{cycle.pk}/activities", ACTIVITY, auth),
        post(client, f"{API}/{cycle.pk}/submit", {"version": version}, auth),
        post(
            client,
            f"{API}/activities/{activity.pk}/evidence",
            {"name": "c.pdf", "content_base64": PDF},
            auth,
        ),
    ):
        assert response.status_code == 404
        assert response.json()["detail"].startswith("no such")
    assert Activity.objects.count() == 1 and not Activity.objects.get().evidence


@pytest.mark.parametrize("persona", ["body_admin", "other_body_admin"])
def test_staff_tokens_are_refused(client, wen, personas, persona, body, other_body):
    _user, cycle, _auth = wen
    organization = body if persona == "body_admin" else other_body
    secret = token_create(user=personas[persona], organization=organization, name="s")[1]
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get(API, headers=auth).status_code == 401
    assert post(client, f"{API}/{cycle.pk}/activities", ACTIVITY, auth).status_code == 401
    assert not Activity.objects.exists()


def test_no_token_is_refused(client, wen):
    assert client.get(API).status_code == 401


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "cooking"}, "category must be one of ethics, practice"),
        ({"units": 1.25}, "units are counted in tenths"),
        ({"completed_on": "2026-07-01"}, "not in the future"),
        ({"evidence": {"name": "c.pdf", "content_base64": "not base64!"}}, "not valid base64"),
        (
            {"evidence": {"name": "c.pdf", "content_base64": base64.b64encode(b"hi").decode()}},
            "named as .pdf but its content is plain text",
        ),
    ],
    ids=["category", "tenths", "future", "base64", "content"],
)
def test_a_bad_activity_is_a_400_with_the_reason(client, wen, change, message):
    _user, cycle, auth = wen
    response = post(client, f"{API}/{cycle.pk}/activities", {**ACTIVITY, **change}, auth)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Activity.objects.exists()


def test_a_stale_submission_is_a_409(client, wen):
    _user, cycle, auth = wen
    post(client, f"{API}/{cycle.pk}/activities", {**ACTIVITY, "units": 8}, auth)
    post(
        client, f"{API}/{cycle.pk}/activities", {**ACTIVITY, "category": "ethics", "units": 2}, auth
    )
    response = post(client, f"{API}/{cycle.pk}/submit", {"version": "2000-01-01T00:00:00"}, auth)
    assert response.status_code == 409
    assert RecertificationCycle.objects.get(pk=cycle.pk).submitted_at is None


def test_the_holder_adds_the_evidence_an_audit_asks_for(client, wen, program):
    _user, cycle, auth = wen
    made = post(client, f"{API}/{cycle.pk}/activities", {**ACTIVITY, "units": 10}, auth).json()
    post(
        client, f"{API}/{cycle.pk}/activities", {**ACTIVITY, "category": "ethics", "units": 2}, auth
    )
    version = client.get(f"{API}/{cycle.pk}", headers=auth).json()["version"]
    post(client, f"{API}/{cycle.pk}/submit", {"version": version}, auth)
    recert_audit.audit_draw(program=program, fraction="1")
    assert client.get(f"{API}/{cycle.pk}", headers=auth).json()["audited"] is True
    response = post(
        client,
        f"{API}/activities/{made['id']}/evidence",
        {"name": "c.pdf", "content_base64": PDF},
        auth,
    )
    assert response.status_code == 200 and response.json()["has_evidence"] is True
    again = post(
        client,
        f"{API}/activities/{made['id']}/evidence",
        {"name": "c.pdf", "content_base64": PDF},
        auth,
    )
    assert again.status_code == 400
    assert again.json()["detail"] == "this activity has its evidence already"
