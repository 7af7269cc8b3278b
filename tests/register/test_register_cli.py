"""`ombuds register import|export|verify|tick`: the register services on the command line, with
one-line errors and exit code 1 when something cannot be done."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.register import services
from ombuds.register.models import Credential, CredentialProgram, Person, StatusEvent

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected

PEOPLE = "external_id,given_name,family_name\nP-1,Imre,Talbot\nP-2,Odile,Brandt\n"


def credentials_csv() -> str:
    """Made when a test runs: a date written when the module was collected is yesterday's for a
    test that runs after midnight."""
    return (
        "external_id,number,program,holder,status,issued_on,expires_on\n"
        f"C-1,CPX-1,cpx,P-1,active,2023-01-10,{TODAY() + dt.timedelta(days=300)}\n"
        "C-2,CPX-2,cpx,P-2,candidate,,\n"
    )


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("register", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def program(body):
    return CredentialProgram.objects.create(
        organization=body, code="cpx", name="Certified Practitioner of Examples", abbreviation="CPX"
    )


@pytest.fixture
def files(tmp_path):
    def write(name: str, text: str):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def registered(body, program, files):
    run("import", files("people.csv", PEOPLE), "--org", "guild")
    run("import", files("credentials.csv", credentials_csv()), "--org", "guild")
    return body


def test_import_prints_what_it_did_and_a_second_import_changes_nothing(body, program, files):
    out, _ = run("import", files("people.csv", PEOPLE), "--org", "guild")
    assert out.strip() == "people: 2 rows: 2 created, 0 updated, 0 unchanged"
    out, _ = run("import", files("people.csv", PEOPLE), "--org", "guild")
    assert out.strip() == "people: 2 rows: 0 created, 0 updated, 2 unchanged"


def test_similar_agency_names_are_warned_of_on_stderr_and_imported(body, files):
    first = "external_id,legal_name\nA-1,Northwind Collections LLC\n"
    run("import", files("a.csv", first), "--org", "guild")
    renamed = (
        "external_id,legal_name\nA-1,Northwind Collections LLC\nA-2,Northwind Collection Inc\n"
    )
    out, err = run("import", files("b.csv", renamed), "--org", "guild")
    assert out.strip() == "agencies: 2 rows: 1 created, 0 updated, 1 unchanged"
    assert err.strip() == (
        "warning: line 3, column legal_name: a client could confuse this agency's name with "
        "Northwind Collections LLC (CSEC 4.2)"
    )


def test_dry_run_writes_nothing(body, files):
    out, _ = run("import", files("people.csv", PEOPLE), "--org", "guild", "--dry-run")
    assert out.strip() == (
        "dry run, nothing written: people, 2 rows would be: 2 created, 0 updated, 0 unchanged"
    )
    assert not Person.objects.exists()


def test_bad_rows_exit_1_with_a_summary_and_each_row_on_stderr(body, program, files):
    run("import", files("people.csv", PEOPLE), "--org", "guild")
    path = files(
        "credentials.csv",
        credentials_csv() + "C-3,CPX-3,cpx,P-9,active,,\nC-4,CPX-4,cpx,P-1,retired,,\n",
    )
    err = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("register", "import", path, "--org", "guild", stdout=StringIO(), stderr=err)
    assert str(excinfo.value) == (
        f"{path}: credentials: 2 bad lines, 2 errors; nothing was written"
    )
    assert err.getvalue().splitlines() == [
        "line 4, column holder: no person with external id 'P-9' in GOE: import the people first",
        "line 5, column status: unknown status 'retired'; one of: candidate, active, expired, "
        "lapsed, inactive, suspended, revoked, surrendered",
    ]
    assert not Credential.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "/nonexistent/people.csv", "--org", "guild"), "no such file"),
        (("import", "{people}", "--org", "nobody"), "no body with slug 'nobody'"),
        (("export", "--org", "nobody"), "no body with slug 'nobody'"),
        (("verify", "CPX-404"), "no credential with number 'CPX-404'"),
    ],
)
def test_what_cannot_be_done_is_one_line_and_a_command_error(body, files, args, message):
    args = [a.replace("{people}", files("people.csv", PEOPLE)) for a in args]
    with pytest.raises(CommandError, match=message) as excinfo:
        run(*args)
    assert "\n" not in str(excinfo.value)


def test_a_latin1_file_is_refused_with_its_byte_offset(body, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(PEOPLE.replace("Odile", "Zoë").encode("latin-1"))
    err = StringIO()
    with pytest.raises(CommandError, match="cannot import this file: line 3: not UTF-8: byte 0xEB"):
        call_command("register", "import", str(path), "--org", "guild", stderr=err)
    assert "offset" in err.getvalue()


def test_export_prints_csv_that_imports_back_unchanged(registered, files):
    out, _ = run("export", "--org", "guild")
    assert out.splitlines()[0] == (
        "external_id,number,program,holder,status,issued_on,expires_on,suspended_until,"
        "conditions,decision_ref"
    )
    assert out.splitlines()[1].startswith("C-1,CPX-1,cpx,P-1,active,2023-01-10,")
    result, _ = run("import", files("export.csv", out), "--org", "guild")
    assert result.strip() == "credentials: 2 rows: 0 created, 0 updated, 2 unchanged"
    people, _ = run("export", "--org", "guild", "--kind", "people")
    assert people.splitlines() == [
        "external_id,given_name,family_name,email,phone,city,region,country",
        "P-1,Imre,Talbot,,,,,",
        "P-2,Odile,Brandt,,,,,",
    ]


def test_export_writes_formula_like_values_as_text_and_they_import_back(body, files):
    run(
        "import",
        files(
            "people.csv", "external_id,given_name,family_name,phone\nP-1,Imre,Talbot,'+1 555 0100\n"
        ),
        "--org",
        "guild",
    )
    assert Person.objects.get(external_id="P-1").phone == "+1 555 0100"
    out, _ = run("export", "--org", "guild", "--kind", "people")
    assert out.splitlines()[1] == "P-1,Imre,Talbot,,'+1 555 0100,,,"
    result, _ = run("import", files("export.csv", out), "--org", "guild")
    assert result.strip() == "people: 1 rows: 0 created, 0 updated, 1 unchanged"


def test_verify_prints_the_public_facts_of_a_credential(registered):
    out, _ = run("verify", "cpx-1")  # case and spaces do not matter
    lines = out.splitlines()
    assert lines[0] == "CPX-1  Active"
    assert "Holder:      Imre Talbot" in lines
    assert "Body:        Guild of Examples" in lines
    assert "Credential:  Certified Practitioner of Examples" in lines
    assert "Issued:      2023-01-10" in lines
    assert "Sanctions:   none published" in lines


def test_verify_json_includes_dates_and_public_sanctions(registered, published):
    credential = Credential.objects.get(number="CPX-1")
    services.sanction_record(
        organization=registered,
        record=credential,
        decision=services.SanctionDecision(
            kind="reprimand",
            decided_on=dt.date(2024, 6, 1),
            summary="Misled a client about fees.",
            provisions=[published.provisions.get(citation="2.1")],
        ),
        publication=services.SanctionPublication("public"),
    )
    services.sanction_record(
        organization=registered,
        record=credential,
        decision=services.SanctionDecision(
            kind="fine", decided_on=dt.date(2024, 7, 1), summary="Kept private."
        ),
        publication=services.SanctionPublication("private"),
    )
    data = json.loads(run("verify", "cpx-1", "--json")[0])
    assert data["holder"] == "Imre Talbot"
    assert data["status"] == "active"
    assert data["issued_on"] == "2023-01-10"
    assert [(s["kind"], s["summary"], s["citations"]) for s in data["sanctions"]] == [
        ("reprimand", "Misled a client about fees.", ["GOE 2.1"])
    ]


def test_tick_applies_the_transitions_that_are_due_and_prints_the_counts(registered):
    Credential.objects.filter(number="CPX-1").update(expires_on=TODAY() - dt.timedelta(days=1))
    out, _ = run("tick")
    assert out.strip().startswith("expired: 1, lapsed: 0, reinstated: 0")
    assert Credential.objects.get(number="CPX-1").status == "expired"
    assert StatusEvent.objects.filter(to_status="expired", automatic=True).count() == 1
    out, _ = run("tick")
    assert out.strip().startswith("expired: 0,")


def test_verify_of_an_unknown_number_exits_1_with_one_line(tmp_path):
    env = {**os.environ, "OMBUDS_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "ombuds", "migrate", "-v", "0"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    result = subprocess.run(
        [sys.executable, "-m", "ombuds", "register", "verify", "NOPE"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "CommandError: no credential with number 'NOPE'"
