"""Scoped, expiring API tokens (issue 11, item 7): a staff token does only what its scopes allow
and stops working on its expiry day; the staff page, `ombuds apitoken` and the schema show it."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import re

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.bodies.models import BodyRole
from ombuds.cases import services as cases
from ombuds.cases.models import BodyProcedure, Case
from ombuds.register.models import ApiToken, Person
from ombuds.register.tokens import (
    STAFF_SCOPES,
    TokenError,
    TokenRefused,
    effective_scopes,
    token_authenticate,
    token_create,
    token_revoke,
)

pytestmark = pytest.mark.django_db

SYNC = ["register:read", "register:write"]
PERSON = {"external_id": "HR-7", "given_name": "Lena", "family_name": "Abara"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def case(body, published) -> Case:
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    complaint = cases.Complaint(
        what_happened="They kept my payments.",
        respondent_name="Acme Recovery",
        complainant_name="Pat Doe",
    )
    return cases.case_file(organization=body, complaint=complaint).case


def make(personas, body, scopes, **kwargs) -> str:
    return token_create(
        user=personas["body_staff"], organization=body, name="t", scopes=scopes, **kwargs
    )[1]


# --- the reproduction ---------------------------------------------------------------------


def test_a_register_sync_token_cannot_read_a_case_nor_take_a_step(client, personas, body, case):
    sync = make(personas, body, SYNC)
    base = f"/api/v1/bodies/guild/cases/{case.reference}"
    for response in (
        client.get("/api/v1/bodies/guild/cases", headers=auth(sync)),
        client.get(base, headers=auth(sync)),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "this token lacks the scope cases:read"
        assert "Pat Doe" not in response.content.decode()
    step = client.post(
        f"{base}/steps",
        {"step": "acknowledge", "expected_version": case.version},
        content_type="application/json",
        headers=auth(sync),
    )
    assert step.status_code == 403 and "cases:write" in step.json()["detail"]
    case.refresh_from_db()
    assert case.state == "received"
    # What it is for, it does.
    put = client.put(
        "/api/v1/bodies/guild/register/people/HR-7",
        PERSON,
        content_type="application/json",
        headers=auth(sync),
    )
    assert put.status_code == 201 and Person.objects.filter(external_id="HR-7").exists()


def test_a_read_scope_reads_but_does_not_write(client, personas, body, case):
    reader = make(personas, body, ["cases:read", "register:read"])
    assert (
        client.get(f"/api/v1/bodies/guild/cases/{case.reference}", headers=auth(reader)).status_code
        == 200
    )
    step = client.post(
        f"/api/v1/bodies/guild/cases/{case.reference}/steps",
        {"step": "acknowledge", "expected_version": case.version},
        content_type="application/json",
        headers=auth(reader),
    )
    assert step.status_code == 403
    assert step.json()["detail"] == "this token lacks the scope cases:write"
    put = client.put(
        "/api/v1/bodies/guild/register/people/HR-7",
        PERSON,
        content_type="application/json",
        headers=auth(reader),
    )
    assert put.status_code == 403 and "register:write" in put.json()["detail"]
    assert not Person.objects.exists()
    # A write scope implies the read scope of its area, and nothing of the other area.
    writer = make(personas, body, ["cases:write"])
    assert (
        client.get(f"/api/v1/bodies/guild/cases/{case.reference}", headers=auth(writer)).status_code
        == 200
    )
    row = ApiToken.objects.get(prefix=writer.split("_")[1])
    assert row.scopes == ["cases:read", "cases:write"]
    response = client.get(
        "/api/v1/bodies/guild/register/memberships/X/record", headers=auth(writer)
    )
    assert response.status_code == 403


# --- every staff operation in the schema ----------------------------------------------------------


def _operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def _url(path: str, reference: str) -> str:
    url = path.replace("{org}", "guild").replace("{reference}", reference)
    return re.sub(r"\{[a-z_]+\}", "1", url)


def test_every_staff_operation_declares_its_scope_and_refuses_a_token_without_it(
    client, personas, body, case
):
    staff = [
        (p, m, op) for p, m, op in _operations(client) if "StaffToken" in str(op.get("security"))
    ]
    assert len(staff) >= 15  # the register's and the cases' staff endpoints
    seen = set()
    for path, method, operation in staff:
        scope = operation["x-token-scope"]
        area, verb = scope.split(":")
        seen.add(scope)
        # Reads are GET, everything else writes.
        assert verb == ("read" if method == "get" else "write"), (method, path, scope)
        assert operation["security"] == [{"StaffToken": [scope]}], (method, path)
        assert f"`{scope}`" in operation["description"], (method, path)
        assert {"401", "403"} <= set(operation["responses"]), (method, path)
        # Every scope but this one and those that imply it (`IMPLIES`).
        lacking = [s for s in STAFF_SCOPES if scope not in effective_scopes([s])]
        assert f"{area}:write" not in lacking
        events = Event.objects.count()
        response = client.generic(
            method.upper(),
            _url(path, case.reference),
            "{}",
            content_type="application/json",
            headers=auth(make(personas, body, lacking)),
        )
        assert response.status_code == 403, (method, path, response.content)
        assert response.json()["detail"] == f"this token lacks the scope {scope}"
        assert Event.objects.count() == events + 1  # the token's creation only
        # The control: with exactly its scope, the token is let through (whatever comes next).
        allowed = client.generic(
            method.upper(),
            _url(path, case.reference),
            "{}",
            content_type="application/json",
            headers=auth(make(personas, body, [scope])),
        )
        assert allowed.status_code not in (401, 403), (method, path, allowed.content)
    assert seen == set(STAFF_SCOPES)


def test_the_schema_documents_the_bearer_schemes(client):
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["StaffToken"]["type"] == "http" and schemes["StaffToken"]["scheme"] == "bearer"
    assert "cases:read" in schemes["StaffToken"]["description"]
    assert schemes["MemberToken"]["scheme"] == "bearer"
    me = schema["paths"]["/api/v1/me"]["get"]
    assert me["x-token-scope"] == "member"
    public = schema["paths"]["/api/v1/bodies/{org}/complaints"]["post"]
    assert "security" not in public and "x-token-scope" not in public


# --- expiry and revocation ------------------------------------------------------------------------


def test_expired_and_revoked_tokens_are_refused_saying_which(client, personas, body):
    path = "/api/v1/bodies/guild/register/memberships/X/record"
    secret = make(personas, body, SYNC)
    row = ApiToken.objects.get(prefix=secret.split("_")[1])
    assert client.get(path, headers=auth(secret)).status_code == 404  # let through: no such record
    row.refresh_from_db()
    assert row.last_used_at is not None

    ApiToken.objects.filter(pk=row.pk).update(expires_on=today())
    response = client.get(path, headers=auth(secret))
    assert response.status_code == 401
    assert response.json()["detail"] == f"this token expired on {today():%Y-%m-%d}"
    ApiToken.objects.filter(pk=row.pk).update(expires_on=today() + dt.timedelta(days=1))
    assert client.get(path, headers=auth(secret)).status_code == 404

    token_revoke(token=row)
    response = client.get(path, headers=auth(secret))
    assert response.status_code == 401 and "revoked on" in response.json()["detail"]
    # A wrong secret for a real prefix is answered as no token at all: nothing about the token.
    unknown = client.get(path, headers=auth("omb_000000000000_nothing")).json()
    assert client.get(path, headers=auth(secret + "x")).json() == unknown
    assert "revoked" not in unknown["detail"] and "expired" not in unknown["detail"]


def test_a_member_token_expires_too(client, personas, body):
    person = Person.objects.create(
        organization=body, external_id="m1", given_name="Ann", family_name="Lee"
    )
    person.user = personas["signed_in_no_role"]
    person.save(update_fields=["user"])
    row, secret = token_create(
        user=personas["signed_in_no_role"], organization=body, name="sheet", scope="member"
    )
    assert row.scopes == ["member"] and row.expires_on == today() + dt.timedelta(days=90)
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_on=today())
    response = client.get("/api/v1/me", headers=auth(secret))
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_creation_checks_scopes_and_expiry(personas, body, settings):
    settings.OMBUDS_API_TOKEN_MAX_DAYS = 365
    row, _ = token_create(
        user=personas["body_staff"], organization=body, name="x", scopes=["register:write"]
    )
    assert row.scopes == SYNC and row.expires_on == today() + dt.timedelta(days=90)
    for scopes, reason in [
        ([], "at least one scope"),
        (["cases:delete"], "no staff scope 'cases:delete'"),
        (["member"], "no staff scope 'member'"),
    ]:
        with pytest.raises(TokenError, match=reason):
            token_create(user=personas["body_staff"], organization=body, name="x", scopes=scopes)
    for days, reason in [(0, "after today"), (-3, "after today"), (366, "at most 365 days")]:
        with pytest.raises(TokenError, match=reason):
            make(personas, body, SYNC, expires_on=today() + dt.timedelta(days=days))
    assert make(personas, body, SYNC, expires_on=today() + dt.timedelta(days=365))
    with pytest.raises(TokenError, match="one scope member"):
        token_create(
            user=personas["body_staff"], organization=body, name="x", scope="member", scopes=SYNC
        )


def test_creating_and_revoking_are_audited_without_the_secret(personas, body):
    row, secret = token_create(
        user=personas["body_staff"], organization=body, name="sync", scopes=SYNC
    )
    made = Event.objects.get(action="api_token.created")
    assert made.data["scopes"] == SYNC and made.data["expires_on"] == row.expires_on.isoformat()
    assert made.actor == personas["body_staff"]
    assert token_revoke(token=row, acting_user=personas["body_admin"]) is True
    assert token_revoke(token=row, acting_user=personas["body_admin"]) is False
    revoked = Event.objects.get(action="api_token.revoked")
    assert revoked.actor == personas["body_admin"]
    secret_part = secret.split("_", 2)[2]
    for event in Event.objects.all():
        assert secret_part not in str(event.data)
    assert verify().ok


def test_the_migration_keeps_what_existing_tokens_could_do_for_a_year(personas, body):
    staff, _ = token_create(user=personas["body_staff"], organization=body, name="old", scopes=SYNC)
    ApiToken.objects.filter(pk=staff.pk).update(scopes=[], expires_on=dt.date(2000, 1, 1))
    migration = importlib.import_module("ombuds.register.migrations.0012_apitoken_scopes_expiry")
    migration.scopes_and_expiry(apps, None)
    staff.refresh_from_db()
    # The four scopes there were then; those added since are given to new tokens only.
    assert staff.scopes == ["register:read", "register:write", "cases:read", "cases:write"]
    assert staff.expires_on == today() + dt.timedelta(days=365)


def test_an_owner_who_loses_the_staff_role_loses_the_token(personas, body):
    secret = make(personas, body, SYNC)
    personas["body_staff"].body_roles.all().delete()
    with pytest.raises(TokenRefused) as refused:
        token_authenticate(secret, scope="register:read")
    assert refused.value.status == 401 and "no longer" in refused.value.detail


# --- the command ----------------------------------------------------------------------------------


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("apitoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_makes_lists_and_revokes_scoped_tokens(personas, body):
    expires = today() + dt.timedelta(days=200)
    out, err = _run(
        "create", "guild", "sam", "--name", "nightly sync",
        "--scope", "register:read", "--scope", "register:write",
        "--expires", f"{expires:%Y-%m-%d}",
    )  # fmt: skip
    secret = out.strip()
    row = token_authenticate(secret, scope="register:write")
    assert row.scopes == SYNC and row.expires_on == expires and row.name == "nightly sync"
    assert "register:read register:write" in err and f"{expires:%Y-%m-%d}" in err
    assert Event.objects.get(action="api_token.created").actor_label == "command line"
    with pytest.raises(TokenRefused):
        token_authenticate(secret, scope="cases:read")

    listing, _ = _run("list", "guild")
    line = next(x for x in listing.splitlines() if row.prefix in x)
    assert "live" in line and "register:read,register:write" in line and "nightly sync" in line
    assert f"{expires:%Y-%m-%d}" in line and "sam" in line and "never" not in line

    with pytest.raises(CommandError, match="has no token"):
        _run("revoke", "other", row.prefix)
    out, _ = _run("revoke", "guild", row.prefix)
    assert f"revoked {row.prefix}" in out
    listing, _ = _run("list", "guild")
    assert "revoked" in next(x for x in listing.splitlines() if row.prefix in x)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["create", "guild", "sam", "--name", "x"], "say what the token may do with --scope"),
        (["create", "guild", "sam", "--name", "x", "--scope", "cases:read", "--expires", "soon"],
         "not a date"),
        (["create", "guild", "sam", "--name", "x", "--scope", "cases:read", "--expires",
          "2999-01-01"], "at most"),
        (["create", "guild", "nobody", "--name", "x", "--scope", "cases:read"], "no user"),
        (["create", "nowhere", "sam", "--name", "x", "--scope", "cases:read"], "no body"),
        (["create", "guild", "carl", "--name", "x", "--scope", "cases:read"], "no staff role"),
        (["list"], "say which body"),
    ],
)  # fmt: skip
def test_the_command_refuses_with_a_reason(personas, body, args, reason):
    with pytest.raises(CommandError, match=reason):
        _run(*args)
    assert not ApiToken.objects.exists()


# --- the staff page -------------------------------------------------------------------------------


PAGE = "/staff/guild/api-tokens/"


def test_the_staff_page_makes_a_scoped_token(client, personas, body):
    assert client.get(PAGE).status_code == 302
    client.force_login(personas["committee_member"])
    assert client.get(PAGE).status_code == 403
    client.force_login(personas["body_staff"])
    page = client.get(PAGE)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "has no API token" in page.content.decode()

    bad = client.post(PAGE, {"name": "", "expires_on": "2999-01-01"})
    text = bad.content.decode()
    assert bad.status_code == 400 and not ApiToken.objects.exists()
    for message in ("Say what the token is for.", "Choose at least one thing", "at most 365 days"):
        assert message in text
    assert (
        "after today" in client.post(PAGE, {"expires_on": f"{today():%Y-%m-%d}"}).content.decode()
    )

    expires = today() + dt.timedelta(days=30)
    response = client.post(
        PAGE, {"name": "HR sync", "scopes": SYNC, "expires_on": f"{expires:%Y-%m-%d}"}
    )
    assert response.status_code == 200
    row = ApiToken.objects.get()
    assert row.scopes == SYNC and row.expires_on == expires and row.user == personas["body_staff"]
    text = response.content.decode()
    secret = text.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert token_authenticate(secret, scope="register:write") == row
    again = client.get(PAGE).content.decode()
    assert secret not in again and f"omb_{row.prefix}_" in again
    assert "<code>register:write</code>" in again and expires.strftime("%-d %b %Y") in again


def test_staff_revoke_their_own_tokens_and_administrators_any(client, personas, body):
    theirs, _ = token_create(user=personas["body_staff"], organization=body, name="a", scopes=SYNC)
    admins, _ = token_create(user=personas["body_admin"], organization=body, name="b", scopes=SYNC)
    client.force_login(personas["body_staff"])
    assert client.post(f"{PAGE}{admins.pk}/revoke").status_code == 404
    assert client.get(f"{PAGE}{theirs.pk}/revoke").status_code == 405
    assert client.post(f"{PAGE}{theirs.pk}/revoke").status_code == 302
    theirs.refresh_from_db()
    admins.refresh_from_db()
    assert theirs.revoked_at is not None and admins.revoked_at is None
    # Another body's administrator finds no such page; this body's administrator revokes any.
    client.force_login(personas["other_body_admin"])
    assert client.post(f"{PAGE}{admins.pk}/revoke").status_code == 403
    client.force_login(personas["body_admin"])
    mine = BodyRole.objects.filter(user=personas["body_admin"], organization=body).exists()
    assert mine and client.post(f"{PAGE}{admins.pk}/revoke").status_code == 302
    admins.refresh_from_db()
    assert admins.revoked_at is not None
    assert Event.objects.filter(action="api_token.revoked").count() == 2
