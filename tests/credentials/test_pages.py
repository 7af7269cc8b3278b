"""The doors: the certificate page never certifies an invalid credential, the PDF, the published
keys and lists, the public verification page (open, rate-limited), the holder's own download and
the staff's issue; and `ombuds credentials` offline, with its exit codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ombuds.credentials import services, verification
from ombuds.register.services import credential_transition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.OMBUDS_BASE_URL = "http://127.0.0.1:9"  # nothing listens: a fetch fails at once


# --- the certificate -----------------------------------------------------------------------------


def test_a_valid_credential_is_certified_with_a_pdf(client, make_credential):
    credential = make_credential()
    page = client.get(f"/guild/register/{credential.number}/certificate")
    assert "This certifies that" in page.content.decode()
    pdf = client.get(f"/guild/credentials/{credential.number}/certificate.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "status", ["candidate", "suspended", "revoked", "expired", "lapsed", "inactive", "surrendered"]
)
def test_an_invalid_credential_is_never_printed_as_a_certificate(client, make_credential, status):
    credential = make_credential(status)
    page = client.get(f"/guild/register/{credential.number}/certificate").content.decode()
    assert "This certifies" not in page and "holds the credential" not in page
    assert "is not valid" in page and "Not valid: on" in page
    pdf = client.get(f"/guild/credentials/{credential.number}/certificate.pdf")
    assert pdf.status_code == 302 and pdf["Location"].endswith("/certificate")


def test_an_active_credential_past_its_expiry_date_is_not_certified(client, make_credential):
    credential = make_credential(expires_on=dt.date(2025, 6, 30))
    page = client.get(f"/guild/register/{credential.number}/certificate").content.decode()
    assert "This certifies" not in page and "past its expiry date" in page


# --- what is published ---------------------------------------------------------------------------


def test_keys_and_lists_are_published_and_the_list_has_an_etag(client, make_credential):
    services.credential_vc_issue(credential=make_credential())
    did = client.get("/guild/did.json").json()
    assert did["id"] == "did:web:127.0.0.1%3A9:guild" and did["verificationMethod"]
    assert client.get("/guild/credentials/jwks.json").json()["keys"][0]["crv"] == "Ed25519"
    listed = client.get("/guild/credentials/status/revocation")
    assert listed.status_code == 200 and listed.content.startswith(b"eyJ")
    again = client.get("/guild/credentials/status/revocation", HTTP_IF_NONE_MATCH=listed["ETag"])
    assert again.status_code == 304
    assert client.get("/guild/credentials/status/other").status_code == 404


# --- the public verification page ----------------------------------------------------------------


def test_anyone_may_verify_by_pasting_or_uploading(client, make_credential):
    token = services.credential_vc_issue(credential=make_credential()).token
    pasted = client.post("/guild/credentials/verify", {"token": token})
    assert (
        pasted.status_code == 200 and '<h2 id="result-title">Valid</h2>' in pasted.content.decode()
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.jwt", token.encode(), content_type="application/jwt")
    uploaded = client.post("/guild/credentials/verify", {"file": upload})
    assert 'result-title">Valid<' in uploaded.content.decode()


def test_the_verification_page_shows_every_error_at_once(client, body):
    response = client.post("/guild/credentials/verify", {})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()


def test_the_verification_page_is_rate_limited(client, body, settings):
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 2
    codes = [client.post("/guild/credentials/verify", {"token": "x"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# --- the holder's download and the staff's issue -------------------------------------------------


def test_the_holder_downloads_only_their_own(client, django_user_model, make_credential):
    holder = django_user_model.objects.create_user("hana", "h@example.org", "pw")
    mine = make_credential(user=holder)
    theirs = make_credential()
    client.force_login(holder)
    home = client.get("/me/").content.decode()
    assert f"/me/credentials/{mine.pk}/verifiable" in home
    response = client.post(f"/me/credentials/{mine.pk}/verifiable")
    assert response.status_code == 200 and response.content.startswith(b"eyJ")
    assert "attachment" in response["Content-Disposition"]
    assert client.post(f"/me/credentials/{theirs.pk}/verifiable").status_code == 404
    assert client.get(f"/me/credentials/{mine.pk}/verifiable").status_code == 405


def test_anonymous_visitors_are_sent_to_sign_in(client, make_credential):
    response = client.post(f"/me/credentials/{make_credential().pk}/verifiable")
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("public", 302),
        ("signed_in_no_role", 403),
        ("committee_member", 403),
        ("other_body_admin", 403),
        ("body_staff", 200),
        ("body_admin", 200),
        ("superuser", 200),
    ],
)
def test_only_the_bodys_staff_issue(client, personas, make_credential, persona, expected):
    credential = make_credential()
    if personas[persona]:
        client.force_login(personas[persona])
    response = client.post(f"/staff/guild/credentials/{credential.number}/issue")
    assert response.status_code == expected


# --- the command line ----------------------------------------------------------------------------


def _verify(tmp_path, token, *, keys=True, lists=True, client=None) -> tuple[int, str]:
    (tmp_path / "c.jwt").write_text(token)
    args = ["verify", str(tmp_path / "c.jwt")]
    if keys:
        (tmp_path / "did.json").write_text(json.dumps(client.get("/guild/did.json").json()))
        args += ["--keys", str(tmp_path / "did.json")]
    if lists:
        for purpose in ("suspension", "revocation"):
            path = tmp_path / f"{purpose}.jwt"
            path.write_text(client.get(f"/guild/credentials/status/{purpose}").content.decode())
            args += ["--status-list", str(path)]
    from io import StringIO

    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("credentials", *args, stdout=out)
    return exit_.value.code, out.getvalue()


def test_the_command_verifies_offline_and_exits_with_the_outcomes_code(
    tmp_path, client, make_credential
):
    credential = make_credential()
    token = services.credential_vc_issue(credential=credential).token
    code, out = _verify(tmp_path, token, client=client)
    assert code == 0 and out.startswith("Valid:")
    credential_transition(
        credential=credential,
        to_status="suspended",
        effective_date=timezone.localdate(),
        reason="2.3 incident",
        until=dt.date(2099, 1, 1),
        decision_ref="EC-9",
    )
    code, out = _verify(tmp_path, token, client=client)
    assert code == verification.EXIT_CODES["suspended"] == 6 and out.startswith("Suspended:")
    code, out = _verify(tmp_path, token[:-4] + "AAAA", client=client)
    assert code == 3 and out.startswith("Signature invalid:")


def test_the_command_says_could_not_check_when_the_list_is_unreachable(
    tmp_path, client, make_credential
):
    token = services.credential_vc_issue(credential=make_credential()).token
    code, out = _verify(tmp_path, token, lists=False, client=client)
    assert code == 9 and out.startswith("Could not check:") and "could not be fetched" in out
    code, out = _verify(tmp_path, token, keys=False, lists=False, client=client)
    assert code == 9 and "key could not be had" in out


def test_the_command_refuses_a_missing_file_in_one_line(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("credentials", "verify", str(tmp_path / "missing.jwt"))


def test_the_command_issues_one_or_all(make_credential, capsys):
    credential = make_credential()
    make_credential()
    call_command("credentials", "issue", "--org", "guild", "--number", credential.number)
    assert capsys.readouterr().out.startswith("eyJ")
    call_command("credentials", "issue", "--org", "guild", "--all")
    assert "1 issued, 1 unchanged" in capsys.readouterr().out
    with pytest.raises(CommandError, match="cannot be issued"):
        call_command(
            "credentials", "issue", "--org", "guild", "--number", make_credential("revoked").number
        )
