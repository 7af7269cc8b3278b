"""Issue a credential as a verifiable credential, then verify the SAME file as the register changes:
suspended, reinstated, revoked; and files that are changed, signed by another key, or whose status
list cannot be had each get their own honest answer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.credentials import documents, jose, selectors, services, statuslist, verification
from ombuds.register.models import CredentialProgram
from ombuds.register.services import credential_transition

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate  # called when a test runs, not when the module is collected


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.OMBUDS_BASE_URL = "http://127.0.0.1:9"  # nothing listens: a fetch fails at once


def _check(body, token: str) -> verification.Result:
    return selectors.verify_for_body(body, token)


def _move(credential, to_status, **extra):
    credential.refresh_from_db()
    return credential_transition(
        credential=credential,
        to_status=to_status,
        effective_date=TODAY(),
        reason="Decided by the ethics committee",
        **extra,
    )


def test_the_same_file_follows_the_register_suspended_reinstated_revoked(body, make_credential):
    credential = make_credential()
    token = services.credential_vc_issue(credential=credential).token
    assert _check(body, token).outcome == verification.VALID

    _move(credential, "suspended", until=dt.date(2099, 1, 1), decision_ref="EC-1")
    result = _check(body, token)
    assert result.outcome == verification.SUSPENDED and "suspended" in result.reason

    _move(credential, "active")
    assert _check(body, token).outcome == verification.VALID

    _move(credential, "revoked", decision_ref="EC-2")
    assert _check(body, token).outcome == verification.REVOKED


def test_the_credential_says_what_open_badges_3_asks(body, make_credential):
    credential = make_credential()
    issued = services.credential_vc_issue(credential=credential)
    header, payload = jose.header(issued.token), jose.unverified_payload(issued.token)
    assert header["alg"] == "EdDSA" and header["kid"] == documents.kid(
        "guild", issued.signing_key_id
    )
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["iss"] == payload["issuer"]["id"] == "did:web:127.0.0.1%3A9:guild"
    assert payload["jti"] == payload["id"] == f"urn:uuid:{issued.vc_id}"
    assert payload["validFrom"] == "2025-01-15T00:00:00Z"
    assert payload["validUntil"] == "2099-01-14T23:59:59Z"
    subject = payload["credentialSubject"]
    assert subject["achievement"]["name"] == "Certified Guild Practitioner"
    assert {i["identityHash"] for i in subject["identifier"]} == {
        credential.holder.full_name,
        credential.number,
    }
    entries = {e["statusPurpose"]: e for e in payload["credentialStatus"]}
    assert set(entries) == {"suspension", "revocation"}
    assert {e["statusListIndex"] for e in entries.values()} == {str(issued.status_index)}
    assert entries["revocation"]["statusListCredential"] == (
        "http://127.0.0.1:9/guild/credentials/status/revocation"
    )


def test_issuing_again_keeps_the_index_and_new_dates_sign_a_new_copy(body, make_credential):
    credential = make_credential()
    first = services.credential_vc_issue(credential=credential)
    assert services.credential_vc_issue(credential=credential).token == first.token
    credential.expires_on = dt.date(2099, 6, 30)
    credential.save(update_fields=["expires_on"])
    again = services.credential_vc_issue(credential=credential)
    assert again.status_index == first.status_index and again.token != first.token
    assert jose.unverified_payload(again.token)["validUntil"].startswith("2099-06-30")


@pytest.mark.parametrize("status", ["candidate", "suspended", "revoked", "expired", "lapsed"])
def test_a_credential_that_is_not_active_is_not_issued(make_credential, status):
    with pytest.raises(services.IssueRefused, match="cannot be issued"):
        services.credential_vc_issue(credential=make_credential(status))


def _tamper(token: str, change) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(jose.b64url_decode(payload))
    change(claims)
    return f"{header}.{jose.b64url(json.dumps(claims).encode())}.{signature}"


CHANGES = {
    "holder's name": lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Eve"),
    "expiry": lambda c: c.update(validUntil="2199-01-14T23:59:59Z"),
    "status index": lambda c: [e.update(statusListIndex="1") for e in c["credentialStatus"]],
    "achievement": lambda c: c["credentialSubject"]["achievement"].update(name="Master"),
}


@pytest.mark.parametrize("field", CHANGES)
def test_any_field_changed_makes_the_signature_invalid(body, make_credential, field):
    token = services.credential_vc_issue(credential=make_credential()).token
    result = _check(body, _tamper(token, CHANGES[field]))
    assert result.outcome == verification.SIGNATURE_INVALID
    assert "changed after it was signed" in result.reason


def test_a_credential_of_another_body_is_not_issued_by_this_body(body, other_body, make_credential):
    program = CredentialProgram.objects.create(
        organization=other_body, code="x", name="Other", abbreviation="X"
    )
    theirs = make_credential(program=program)
    token = services.credential_vc_issue(credential=theirs).token
    result = _check(body, token)
    assert result.outcome == verification.NOT_ISSUED_HERE
    assert "not this body's" in result.reason


def test_a_copy_signed_by_another_key_in_this_bodys_name_is_refused(body, make_credential):
    token = services.credential_vc_issue(credential=make_credential()).token
    forged = jose.sign(jose.unverified_payload(token), jose.new_private_key(), jose.header(token))
    assert _check(body, forged).outcome == verification.SIGNATURE_INVALID
    other = Organization.objects.create(slug="forger", name="Forger")
    key = services.signing_key_current(other)
    foreign = jose.sign(
        jose.unverified_payload(token),
        jose.private_key_from_seed(jose.b64url_decode(key.private_seed)),
        {"kid": documents.kid("forger", key.pk)},
    )
    assert _check(body, foreign).outcome == verification.NOT_ISSUED_HERE


def test_after_a_key_rotation_old_credentials_still_verify(body, make_credential):
    token = services.credential_vc_issue(credential=make_credential()).token
    services.signing_key_rotate(organization=body)
    assert _check(body, token).outcome == verification.VALID
    assert len(services.published_keys(body)) == 2


def test_an_expired_credential_says_expired(body, make_credential):
    credential = make_credential()
    token = services.credential_vc_issue(credential=credential).token
    later = timezone.now().replace(year=2099, month=2, day=1)
    assert selectors.verify_for_body(body, token, now=later).outcome == verification.EXPIRED


def test_an_unreachable_status_list_is_could_not_check(body, make_credential):
    token = services.credential_vc_issue(credential=make_credential()).token

    def unreachable(url):
        raise verification.StatusListUnavailable(f"{url} could not be fetched (timed out)")

    result = verification.verify(
        token, keys=selectors.body_keys(body), fetch_status_list=unreachable, now=timezone.now()
    )
    assert result.outcome == verification.COULD_NOT_CHECK and "timed out" in result.reason


def test_a_status_list_signed_by_someone_else_is_could_not_check(body, make_credential):
    token = services.credential_vc_issue(credential=make_credential()).token
    fake = jose.sign(
        documents.jwt_claims(documents.status_list("guild", "revocation", statuslist.encode([]))),
        jose.new_private_key(),
        {"kid": documents.kid("guild", 1)},
    )
    result = verification.verify(
        token,
        keys=selectors.body_keys(body),
        fetch_status_list=lambda url: fake,
        now=timezone.now(),
    )
    assert result.outcome == verification.COULD_NOT_CHECK


def test_the_status_list_is_at_least_16_kib_and_follows_the_register(body, make_credential):
    credential = make_credential()
    index = services.credential_vc_issue(credential=credential).status_index
    _move(credential, "suspended", until=dt.date(2099, 1, 1), decision_ref="EC-1")
    token = services.status_list_token(body, "suspension")
    subject = jose.unverified_payload(token)["credentialSubject"]
    bits = statuslist.decode(subject["encodedList"])
    assert len(bits) * 8 >= 131_072 and statuslist.bit(bits, index)
    assert subject["statusPurpose"] == "suspension"
    _move(credential, "active")
    subject = jose.unverified_payload(services.status_list_token(body, "suspension"))
    assert not statuslist.bit(statuslist.decode(subject["credentialSubject"]["encodedList"]), index)


@pytest.mark.parametrize("text", ["", "hello", "a.b.c", "{}", '{"proof": {}}', "{not json"])
def test_what_is_not_a_signed_credential_is_unreadable(body, text):
    assert _check(body, text).outcome == verification.UNREADABLE


def test_bulk_issue_issues_every_active_credential_once(body, make_credential):
    active = [make_credential() for _ in range(3)]
    make_credential("suspended")
    report = services.credentials_vc_issue_all(organization=body)
    assert (report.issued, report.unchanged) == (3, 0)
    assert services.credentials_vc_issue_all(organization=body).unchanged == 3
    indexes = {c.verifiable.status_index for c in active}
    assert len(indexes) == 3
