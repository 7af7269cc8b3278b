"""The certification API: a staff token of the body reads applications and windows, decides, and
imports a vendor's results; every other token is refused, and bad input is a documented 4xx."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ombuds.certification import workflow
from ombuds.register.models import Credential
from ombuds.register.tokens import token_create
from tests.certification.conftest import eligible, fresh, submitted, version

pytestmark = pytest.mark.django_db

API = "/api/v1/bodies/guild/certification"
TODAY = timezone.localdate  # called when a test runs, not when the module is collected


def _token(user, body, scopes):
    return token_create(user=user, organization=body, name="t", scopes=scopes)[1]


def _auth(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def reader(personas, body):
    return _token(personas["body_staff"], body, ["register:read"])


@pytest.fixture
def writer(personas, body):
    return _token(personas["body_staff"], body, ["register:write"])


def test_a_read_token_lists_and_reads_applications(client, requirements, candidate, reader):
    application = submitted(requirements.program, candidate)
    listed = client.get(f"{API}/applications", **_auth(reader))
    assert listed.status_code == 200
    assert [a["reference"] for a in listed.json()] == [application.reference]
    one = client.get(f"{API}/applications/{application.reference}", **_auth(reader)).json()
    assert one["code_version"] == "v1" and one["evidence"]["education"]["level"] == "degree"
    assert client.get(f"{API}/applications/CGP-A-NONE", **_auth(reader)).status_code == 404


@pytest.mark.parametrize("who", ["no-token", "other-body", "member", "read-only"])
def test_every_other_token_is_refused_a_decision(
    client, requirements, candidate, personas, body, other_body, reader, who
):
    application = submitted(requirements.program, candidate)
    headers = {
        "no-token": {},
        "other-body": _auth(_token(personas["other_body_admin"], other_body, ["register:write"])),
        "member": _auth(
            token_create(user=candidate, organization=body, name="m", scope="member")[1]
        ),
        "read-only": _auth(reader),
    }[who]
    answer = client.post(
        f"{API}/applications/{application.reference}/review",
        {"decision": "complete"},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code in (401, 403)
    assert "detail" in answer.json()
    assert fresh(application).state == workflow.SUBMITTED


def test_a_decision_through_the_api(client, requirements, candidate, writer):
    application = submitted(requirements.program, candidate)
    url = f"{API}/applications/{application.reference}/review"
    seen = version(application)
    done = client.post(
        url,
        {"decision": "complete", "expected_version": seen},
        content_type="application/json",
        **_auth(writer),
    )
    assert done.status_code == 200 and done.json()["state"] == "complete"
    stale = client.post(
        url,
        {"decision": "eligible", "expected_version": seen},
        content_type="application/json",
        **_auth(writer),
    )
    assert stale.status_code == 409
    refused = client.post(
        url, {"decision": "refused"}, content_type="application/json", **_auth(writer)
    )
    assert refused.status_code == 400 and "needs a reason" in refused.json()["detail"]
    too_long = client.post(
        url,
        {"decision": "refused", "reason": "x" * 3000},
        content_type="application/json",
        **_auth(writer),
    )
    assert too_long.status_code == 422


def test_a_vendor_imports_results_and_a_pass_is_certified(
    client, requirements, candidate, personas, window, writer, reader
):
    application = eligible(requirements.program, candidate, personas["body_staff"])
    assert [w["code"] for w in client.get(f"{API}/windows", **_auth(reader)).json()] == [
        "2026-spring"
    ]
    data = f"reference,window,sat_on,score\n{application.reference},2026-spring,{TODAY()},75\n"
    checked = client.post(
        f"{API}/results",
        {"csv": data, "dry_run": True},
        content_type="application/json",
        **_auth(writer),
    )
    assert checked.status_code == 200 and checked.json()["dry_run"]
    assert not Credential.objects.exists()
    done = client.post(
        f"{API}/results", {"csv": data}, content_type="application/json", **_auth(writer)
    )
    assert done.status_code == 200
    assert done.json()["certified"] == [f"{application.reference}: CGP-00001"]
    assert fresh(application).state == workflow.CERTIFIED
    bad = client.post(
        f"{API}/results",
        {"csv": "reference,window,sat_on,score\nX,y,z,200\n"},
        content_type="application/json",
        **_auth(writer),
    )
    assert bad.status_code == 400
    body = bad.json()
    assert not body["ok"] and {e["column"] for e in body["errors"]} == {"sat_on", "score"}
    read_only = client.post(
        f"{API}/results", {"csv": data}, content_type="application/json", **_auth(reader)
    )
    assert read_only.status_code == 403
