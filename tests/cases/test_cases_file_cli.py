"""`ombuds cases file --org SLUG FILE.json`: a complaint filed from the public API's JSON, through
the same checks and the same service; the reference printed, and for an anonymous complaint the
receipt code and a generated passphrase, once; every refusal one line, exiting non-zero."""

from __future__ import annotations

import io
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ombuds.audit.models import Event
from ombuds.cases import services
from ombuds.cases.models import Case

pytestmark = pytest.mark.django_db

NAMED = {
    "what_happened": "They kept my payments for three months.",
    "respondent_name": "Faithful Support Recovery LLC",
    "complainant_name": "Pat Doe",
    "complainant_email": "pat@example.org",
    "complainant_relation": "client",
    "provisions": ["1.1(a)"],
}
ANONYMOUS = {
    "what_happened": "They shouted at me on the phone.",
    "respondent_name": "Rogue Collections Inc",
    "anonymous": True,
}


def write(tmp_path: Path, data) -> str:
    path = tmp_path / "complaint.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("cases", "file", *args, stdout=out)
    return out.getvalue().splitlines()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_named_complaint_is_filed_and_its_reference_printed(csec, tmp_path):
    (line,) = run("--org", "csec", write(tmp_path, NAMED))
    case = Case.objects.get()
    assert line == f"{case.reference}: filed (CSEC)"
    assert case.channel == Case.Channel.LETTER
    assert case.respondent_agency == csec.member_agency  # linked as the API links it
    assert [p.citation for p in case.allegations.get().provisions.all()] == ["1.1(a)"]
    assert Event.objects.filter(action="case.filed").count() == 1


def test_an_anonymous_complaint_prints_its_receipt_code_and_passphrase_once(csec, tmp_path):
    path = write(tmp_path, {**ANONYMOUS, "submission_key": "letter-2026-14"})
    lines = run("--org", "csec", "--as", csec.chair.username, path)
    case = Case.objects.get()
    assert lines[0] == f"{case.reference}: filed (CSEC)"
    code = lines[1].removeprefix("receipt code: ")
    passphrase = lines[2].removeprefix("passphrase: ")
    assert code == case.receipt_code and len(passphrase) >= 10
    assert services.followup_case(code, passphrase) == case
    assert case.created_by == csec.chair
    # Run again: its passphrase would be another, so it is not the same complaint; refused, and
    # nothing filed twice (a named complaint's retry gives back its case: below).
    assert "already used" in refused("--org", "csec", "--as", csec.chair.username, path)
    assert Case.objects.count() == 1


def test_a_retry_with_the_same_key_gives_back_the_first_case(csec, tmp_path):
    path = write(tmp_path, {**NAMED, "submission_key": "batch-1/7"})
    (first,) = run("--org", "csec", "--as", csec.staff.username, path)
    (again,) = run("--org", "csec", "--as", csec.staff.username, path)
    case = Case.objects.get()
    assert (first, again) == (
        f"{case.reference}: filed (CSEC)",
        f"{case.reference}: already filed (CSEC)",
    )
    # The same key entered by someone else, or through the public API, is their own.
    run("--org", "csec", "--as", csec.chair.username, path)
    assert Case.objects.count() == 2


def test_it_reads_stdin(csec, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(NAMED)))
    (line,) = run("--org", "csec", "-")
    assert line.endswith(": filed (CSEC)")


@pytest.mark.parametrize(
    ("change", "reasons"),
    [
        ({"what_happened": " ", "complainant_name": ""}, ["Say what happened.", "Give your name"]),
        ({"provisions": ["1.1(a)", "9.9"]}, ["Not in the code in force: 9.9."]),
        ({"complainant_email": "not-an-address"}, ["is not an email address"]),
        ({"respondent_kind": "robot"}, ["respondent_kind: Input should be 'agency' or 'person'"]),
        ({"what_happened": "x" * 20_001}, ["what_happened: String should have at most"]),
        ({"happened_on": "2999-01-01"}, ["cannot be in the future"]),
    ],
)
def test_refused_input_is_one_line_with_every_reason(csec, tmp_path, change, reasons):
    message = refused("--org", "csec", write(tmp_path, {**NAMED, **change}))
    for reason in reasons:
        assert reason in message
    assert not Case.objects.exists()


def test_the_api_refuses_the_same_things(client, csec):
    # The same JSON the command refuses above, sent to the API: refused there too.
    answer = client.post(
        "/api/v1/bodies/csec/complaints",
        json.dumps({**NAMED, "provisions": ["9.9"], "complainant_email": "not-an-address"}),
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "Not in the code in force: 9.9." in answer.json()["detail"]
    assert "is not an email address" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "The complaint must be a JSON object."),
        ('{"respondent_name": "X"}', "what_happened: Field required."),
    ],
)
def test_bad_json_is_refused_in_one_line(csec, tmp_path, text, reason):
    assert reason in refused("--org", "csec", write(tmp_path, text))


def test_an_unknown_body_user_or_file_is_refused(csec, tmp_path):
    path = write(tmp_path, NAMED)
    assert refused("--org", "nobody", path) == "no body 'nobody'"
    assert refused("--org", "csec", "--as", "ghost", path) == "no user 'ghost'"
    assert "cannot read it" in refused("--org", "csec", str(tmp_path / "missing.json"))


@pytest.mark.parametrize("role", ["investigator", "committee"])
def test_someone_who_does_not_take_complaints_in_is_refused(csec, tmp_path, role):
    user = getattr(csec, role)
    message = refused("--org", "csec", "--as", user.username, write(tmp_path, NAMED))
    assert message == (
        f"{user.username!r} does not take in complaints for CSEC "
        "(the chair, administrators and staff do)"
    )
    assert not Case.objects.exists()


def test_staff_of_another_body_is_refused(csec, espcc, tmp_path):
    message = refused("--org", "csec", "--as", espcc.chair.username, write(tmp_path, NAMED))
    assert "does not take in complaints for CSEC" in message
    assert not Case.objects.exists()
