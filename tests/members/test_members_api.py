"""The members' API and its tokens: a member token (made on `/me/tokens/` or with `ombuds apitoken
create --scope member`) is for one body and reads and writes only its owner's own records there; it
does not open the staff API, and a staff token does not open this one."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.members import attestations
from ombuds.members.models import Attestation, Disclosure
from ombuds.register.models import (
    ApiToken,
    Credential,
    CredentialProgram,
    Person,
    RecertificationCycle,
)
from ombuds.register.tokens import TokenError, token_check, token_create, token_revoke
from tests.cases import conftest as case_fixtures

pytestmark = pytest.mark.django_db

csec = case_fixtures.csec
espcc = case_fixtures.espcc


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def holder(espcc, csec, django_user_model):
    """The ESPCC credential holder's account; they are in CSEC's register too."""
    user = django_user_model.objects.create_user("jordan", "jordan@cesp.example", "pw")
    espcc.holder.user = user
    espcc.holder.save(update_fields=["user"])
    Person.objects.create(organization=csec.org, given_name="Jordan", family_name="H", user=user)
    return user


@pytest.fixture
def other(espcc, django_user_model):
    user = django_user_model.objects.create_user("riley", "riley@example.org", "pw")
    person = Person.objects.create(
        organization=espcc.org, given_name="Riley", family_name="Other", user=user
    )
    Credential.objects.create(
        program=espcc.credential.program, holder=person, number="CESP-9999", status="active"
    )
    return user


@pytest.fixture
def token(holder, espcc) -> str:
    return token_create(
        user=holder, organization=espcc.org, name="my sheet", scope=ApiToken.Scope.MEMBER
    )[1]


# --- tokens ---------------------------------------------------------------------------------------


def test_a_member_token_needs_a_register_record_of_the_body(espcc, holder, django_user_model):
    outsider = django_user_model.objects.create_user("out", "o@example.org", "pw")
    with pytest.raises(TokenError, match="no record in ESPCC's register"):
        token_create(user=outsider, organization=espcc.org, name="x", scope="member")
    with pytest.raises(TokenError, match="no staff role"):
        token_create(user=holder, organization=espcc.org, name="x")
    row, secret = token_create(user=holder, organization=espcc.org, name="x", scope="member")
    assert row.scope == "member" and secret.startswith(f"omb_{row.prefix}_")
    assert secret not in row.key_hash
    made = Event.objects.get(action="api_token.created")
    assert made.actor == holder and made.data["scope"] == "member"
    # A name too long is refused, not quietly cut.
    with pytest.raises(TokenError, match="100 characters or fewer"):
        token_create(user=holder, organization=espcc.org, name="x" * 101, scope="member")


def test_each_scope_opens_only_its_own_endpoints(client, espcc, holder, token):
    staff_token = token_create(user=espcc.staff, organization=espcc.org, name="sync")[1]
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200
    assert client.get("/api/v1/me", headers=auth(staff_token)).status_code == 401
    staff_paths = [
        "/api/v1/bodies/espcc/cases",
        "/api/v1/bodies/espcc/register/memberships/X/record",
    ]
    for path in staff_paths:
        assert client.get(path, headers=auth(token)).status_code == 401, path
        assert client.get(path, headers=auth(staff_token)).status_code != 401, path
    assert token_check(token) is None and token_check(token, scope="member") is not None
    assert token_check(staff_token, scope="member") is None


def test_a_dead_token_is_refused(client, espcc, holder, token):
    for headers in ({}, auth("omb_abc_def"), auth(token + "x")):
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    # Unlinked from the register: the token stops working.
    espcc.holder.user = None
    espcc.holder.save(update_fields=["user"])
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    espcc.holder.user = holder
    espcc.holder.save(update_fields=["user"])
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200
    holder.is_active = False
    holder.save(update_fields=["is_active"])
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    holder.is_active = True
    holder.save(update_fields=["is_active"])
    token_revoke(token=ApiToken.objects.get(user=holder), acting_user=holder)
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    token_revoke(token=ApiToken.objects.get(user=holder), acting_user=holder)
    assert Event.objects.filter(action="api_token.revoked").count() == 1


def test_the_tokens_page(client, espcc, csec, holder, other):
    response = client.get("/me/tokens/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(holder)
    page = client.get("/me/tokens/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "You have no API token." in page.content.decode()
    response = client.post("/me/tokens/", {"body": "", "name": ""})
    assert response.status_code == 400
    assert "Choose the body the token is for." in response.content.decode()

    response = client.post("/me/tokens/", {"body": espcc.org.pk, "name": "My sheet"})
    assert response.status_code == 200
    row = ApiToken.objects.get(user=holder)
    assert row.scope == "member" and row.organization == espcc.org
    secret = response.content.decode().split('id="new-token" type="text" readonly value="')[1]
    secret = secret.split('"')[0]
    assert token_check(secret, scope="member") == row
    # Shown once: the list shows its prefix only.
    again = client.get("/me/tokens/").content.decode()
    assert secret not in again and f"omb_{row.prefix}_" in again

    # Nobody else revokes it; its owner does.
    client.force_login(other)
    assert client.post(f"/me/tokens/{row.pk}/revoke").status_code == 404
    assert "My sheet" not in client.get("/me/tokens/").content.decode()
    # Nor makes a token for a body they are not a member of.
    response = client.post("/me/tokens/", {"body": csec.org.pk, "name": "x"})
    assert response.status_code == 400 and not ApiToken.objects.filter(user=other).exists()
    client.force_login(holder)
    assert client.get(f"/me/tokens/{row.pk}/revoke").status_code == 405
    response = client.post(f"/me/tokens/{row.pk}/revoke")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert Event.objects.get(action="api_token.revoked").actor == holder
    assert verify().ok


def test_an_account_without_a_record_can_make_no_token(client, espcc):
    client.force_login(espcc.staff)
    page = client.get("/me/tokens/").content.decode()
    assert "nothing a token could read" in page
    response = client.post("/me/tokens/", {"body": espcc.org.pk, "name": "x"})
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_the_command_makes_a_member_token(espcc, holder):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "apitoken",
        "create",
        "--org",
        "espcc",
        "--user",
        "jordan",
        "--name",
        "sheet",
        "--scope",
        "member",
        stdout=out,
        stderr=err,
    )
    assert token_check(out.getvalue().strip(), scope="member").user == holder
    assert "member token" in err.getvalue()


# --- status ---------------------------------------------------------------------------------------


def test_me_is_the_owners_own_status_with_the_tokens_body(client, espcc, holder, other, token):
    response = client.get("/api/v1/me", headers=auth(token))
    assert response.status_code == 200
    me = response.json()
    assert me["body"] == {"slug": "espcc", "name": espcc.org.name}
    assert me["person"]["given_name"] == "Jordan" and me["person"]["id"] == espcc.holder.pk
    assert [c["number"] for c in me["credentials"]] == ["CESP-1234"]
    assert me["credentials"][0]["status"] == "active" and me["credentials"][0]["program"] == "cesp"
    assert me["memberships"] == [] and me["agencies"] == [] and me["recertification"] == []
    assert me["current_disclosures"] == 0
    assert "CESP-9999" not in response.content.decode()


@pytest.mark.parametrize("n", [0, 6])
def test_me_runs_a_bounded_number_of_queries(
    client, espcc, holder, token, n, django_assert_max_num_queries
):
    for i in range(n):
        program = CredentialProgram.objects.create(
            organization=espcc.org, code=f"p{i}", name=f"Program {i}", abbreviation=f"P{i}"
        )
        credential = Credential.objects.create(
            program=program, holder=espcc.holder, number=f"P{i}-1", status="active"
        )
        RecertificationCycle.objects.create(
            credential=credential,
            starts_on=dt.date(2022, 1, 1),
            due_on=timezone.localdate() + dt.timedelta(days=10 + i),
            required_units=5,
        )
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/me", headers=auth(token))
    assert response.status_code == 200
    assert len(response.json()["recertification"]) == n


# --- attestations ---------------------------------------------------------------------------------


def test_attestations_due_and_attesting(client, espcc, holder, other, token):
    campaign = attestations.campaign_start(
        organization=espcc.org,
        code_version=espcc.version,
        audience="credential_holders",
        due_on=timezone.localdate() + dt.timedelta(days=30),
        statement="I have read, understand and agree to the code.",
        title="Annual attestation",
    )
    due = client.get("/api/v1/me/attestations", headers=auth(token)).json()
    assert [(d["campaign"], d["title"], d["status"]) for d in due] == [
        (campaign.pk, "Annual attestation", "pending")
    ]
    assert due[0]["url"] == f"/me/attest/{campaign.pk}/"

    refused = client.post(
        "/api/v1/me/attestations",
        {"campaign": campaign.pk, "statement_confirmed": False},
        content_type="application/json",
        headers=auth(token),
    )
    assert refused.status_code == 400 and "I confirm" in refused.json()["detail"]
    missing = client.post(
        "/api/v1/me/attestations",
        {"campaign": campaign.pk + 100, "statement_confirmed": True},
        content_type="application/json",
        headers=auth(token),
    )
    assert missing.status_code == 404
    response = client.post(
        "/api/v1/me/attestations",
        {"campaign": campaign.pk, "statement_confirmed": True},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 201
    made = Attestation.objects.get()
    assert made.person == espcc.holder and made.user == holder and not made.by_proxy
    assert response.json()["text_sha256"] == made.text_sha256
    assert client.get("/api/v1/me/attestations", headers=auth(token)).json() == []
    # The other holder's duty is untouched.
    assert not Attestation.objects.filter(person__user=other).exists()


def test_another_bodys_campaign_is_not_found(client, csec, espcc, holder, token):
    campaign = attestations.campaign_start(
        organization=csec.org,
        code_version=csec.version,
        audience="all_members",
        due_on=timezone.localdate() + dt.timedelta(days=30),
        statement="I agree.",
        title="CSEC attestation",
    )
    response = client.post(
        "/api/v1/me/attestations",
        {"campaign": campaign.pk, "statement_confirmed": True},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 404


# --- disclosures ----------------------------------------------------------------------------------


def test_disclosures_filed_listed_and_ended(client, espcc, holder, other, token):
    theirs = Disclosure.objects.create(
        user=other,
        organization=espcc.org,
        relationship="family",
        party_name="Their cousin",
        nature="x",
    )
    refused = client.post(
        "/api/v1/me/disclosures",
        {"relationship": "enemies", "party_name": "", "nature": ""},
        content_type="application/json",
        headers=auth(token),
    )
    assert refused.status_code == 400
    for problem in ("Choose the kind of relationship.", "Say what the relationship is."):
        assert problem in refused.json()["detail"]
    response = client.post(
        "/api/v1/me/disclosures",
        {"relationship": "business", "party_name": "Jordan Holder", "nature": "Myself?"},
        content_type="application/json",
        headers=auth(token),
    )
    assert response.status_code == 201
    made = response.json()
    assert made["party_in_register"] is True and made["current"] is True
    listed = client.get("/api/v1/me/disclosures", headers=auth(token)).json()
    assert [d["id"] for d in listed] == [made["id"]]
    assert client.get("/api/v1/me", headers=auth(token)).json()["current_disclosures"] == 1

    assert (
        client.post(
            f"/api/v1/me/disclosures/{theirs.pk}/end",
            {},
            content_type="application/json",
            headers=auth(token),
        ).status_code
        == 404
    )
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    bad = client.post(
        f"/api/v1/me/disclosures/{made['id']}/end",
        {"ended_on": future},
        content_type="application/json",
        headers=auth(token),
    )
    assert bad.status_code == 400 and "cannot be in the future" in bad.json()["detail"]
    ended = client.post(
        f"/api/v1/me/disclosures/{made['id']}/end",
        {},
        content_type="application/json",
        headers=auth(token),
    )
    assert ended.status_code == 200
    assert ended.json()["current"] is False
    assert ended.json()["ended_on"] == timezone.localdate().isoformat()
    theirs.refresh_from_db()
    assert theirs.current
    saved = Event.objects.get(action="disclosure.saved")
    assert saved.actor == holder
    assert verify().ok


def test_a_token_for_one_body_sees_no_disclosure_to_another(client, csec, holder, token):
    Disclosure.objects.create(
        user=holder, organization=csec.org, relationship="family", party_name="X", nature="y"
    )
    assert client.get("/api/v1/me/disclosures", headers=auth(token)).json() == []


def test_the_endpoints_are_in_the_schema_with_the_member_token(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, method in [
        ("/api/v1/me", "get"),
        ("/api/v1/me/attestations", "get"),
        ("/api/v1/me/attestations", "post"),
        ("/api/v1/me/disclosures", "get"),
        ("/api/v1/me/disclosures", "post"),
        ("/api/v1/me/disclosures/{disclosure_id}/end", "post"),
    ]:
        assert schema["paths"][path][method]["security"] == [{"MemberToken": []}], path
