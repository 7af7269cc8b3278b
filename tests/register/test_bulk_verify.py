"""Bulk verification for employers: a CSV of names and numbers in, a CSV of standings out; a file it
cannot read is refused on the form with the reason, and nothing else happens."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ombuds.register import public
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)
from ombuds.register.public import agency_name_matches, person_name_matches

pytestmark = pytest.mark.django_db

URL = "/guild/register/bulk/"


@pytest.fixture
def register(body, other_body):
    """Ann Marie Smíth (active), Bo Jones (suspended), an agency member, and another body's Cy."""
    cgp = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )

    def credential(program, number, given, family, status="active", **fields):
        holder = Person.objects.create(
            organization=program.organization, given_name=given, family_name=family
        )
        return Credential.objects.create(
            program=program,
            holder=holder,
            number=number,
            status=status,
            issued_on=dt.date(2023, 2, 1),
            expires_on=dt.date(2026, 1, 31),
            **fields,
        )

    credential(cgp, "CGP-0001", "Ann Marie", "Smíth")
    credential(
        cgp, "CGP-0002", "Bo", "Jones", status="suspended", suspended_until=dt.date(2030, 1, 1)
    )
    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    agency = Agency.objects.create(
        organization=body, legal_name="Lantern Recovery, LLC", trade_names=["Lantern Kids"]
    )
    Membership.objects.create(
        organization=body,
        membership_type=kind,
        agency=agency,
        number="GOE-2001",
        status="active",
        renewal_date=dt.date(2026, 12, 31),
    )
    theirs = CredentialProgram.objects.create(
        organization=other_body, code="ocp", name="Other Practitioner", abbreviation="OCP"
    )
    credential(theirs, "OCP-0001", "Cy", "Else")


def upload(client, content: str | bytes, name: str = "staff.csv", **extra):
    data = content.encode() if isinstance(content, str) else content
    return client.post(URL, {"file": SimpleUploadedFile(name, data, "text/csv")}, **extra)


def rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_form_explains_the_file(client, body):
    html = client.get(URL).content.decode()
    assert '<label for="id_file">CSV file</label>' in html
    assert 'enctype="multipart/form-data"' in html
    assert "at most 500 rows" in html


def test_a_csv_of_names_and_numbers_comes_back_with_each_rows_standing(client, register):
    response = upload(
        client,
        "name,number\r\n"
        "Ann Smith,CGP-0001\r\n"
        "Ann Smith,\r\n"
        '"Smith, Ann",cgp 0001\r\n'
        "Bo Jones,CGP-0002\r\n"
        "Bob Jonas,CGP-0002\r\n"
        "Di Nobody,CGP-9999\r\n"
        "Cy Else,OCP-0001\r\n"
        "Lantern Kids,GOE-2001\r\n"
        "\r\n",
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="guild-register-check-')
    got = rows(response)
    assert list(got[0]) == [
        "line",
        "name",
        "number",
        "result",
        "credential",
        "status",
        "expires_on",
        "verification_url",
    ]
    assert [(r["line"], r["result"]) for r in got] == [
        ("2", "found"),
        ("3", "no number"),
        ("4", "found"),
        ("5", "found"),
        ("6", "name mismatch"),
        ("7", "not found"),
        ("8", "not found"),  # another body's credential is not in this register
        ("9", "found"),
    ]
    ann = got[0]
    assert ann["credential"] == "Certified Guild Practitioner"
    assert ann["status"] == "Active" and ann["expires_on"] == "2026-01-31"
    assert ann["verification_url"] == "http://testserver/guild/register/CGP-0001/"
    assert got[3]["status"] == "Suspended"
    assert got[7]["credential"] == "Member agency" and got[7]["expires_on"] == "2026-12-31"
    assert got[7]["verification_url"] == "http://testserver/guild/register/members/GOE-2001/"


def test_a_name_mismatch_says_nothing_of_the_record_it_did_not_match(client, register):
    (row,) = rows(upload(client, "name,number\nEve Guess,CGP-0001\n"))
    assert row["result"] == "name mismatch"
    assert row["status"] == row["expires_on"] == row["verification_url"] == row["credential"] == ""
    assert "Smíth" not in row.values()


def test_columns_may_be_in_any_order_among_others_and_separated_by_semicolons(client, register):
    got = rows(upload(client, "Employee ID;Number;Name\n17;CGP-0001;Ann Smith\n"))
    assert [r["result"] for r in got] == ["found"]


def test_a_byte_order_mark_is_ignored(client, register):
    got = rows(upload(client, "\ufeffname,number\nAnn Smith,CGP-0001\n".encode()))
    assert got[0]["result"] == "found"


def test_cells_that_a_spreadsheet_would_run_are_made_text(client, register):
    (row,) = rows(upload(client, 'name,number\n"=HYPERLINK(""http://x"")",CGP-0001\n'))
    assert row["name"] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"name,number\nJos\xe9 Ruiz,CGP-0001\n", "The file is not UTF-8 text."),
        (b"", "The submitted file is empty."),
        (b"   \n", "The file is empty."),
        (b"name,id\nAnn,CGP-0001\n", "`number` is missing (found: name, id)"),
        (b"who,what\n", "`name` and `number` are missing"),
        (b"name,number\n", "a header row but no rows to check"),
        (b'name,number\n"Ann,CGP-0001\n', "cannot be read as CSV"),
        (b"PK\x03\x04\x14\x00\x06\x00", "binary data"),
    ],
)
def test_a_file_it_cannot_read_is_refused_on_the_form(client, register, content, reason):
    response = upload(client, content)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'href="#id_file"' in html
    assert reason in html.replace("&#x27;", "'").replace("&quot;", '"'), html


def test_no_file_is_refused(client, register):
    response = client.post(URL, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_rows_and_size_are_limited(client, register, settings):
    settings.OMBUDS_REGISTER_BULK_MAX_ROWS = 3
    ok = "name,number\n" + "Ann Smith,CGP-0001\n" * 3
    assert upload(client, ok).status_code == 200
    response = upload(client, ok + "Bo Jones,CGP-0002\n")
    assert response.status_code == 400
    assert "more than 3 rows" in response.content.decode()
    settings.OMBUDS_REGISTER_BULK_MAX_BYTES = 1024
    response = upload(client, "name,number\n" + "x" * 2048 + ",1\n")
    assert response.status_code == 400
    assert "the limit is 1 KB" in response.content.decode()


def test_uploads_are_rate_limited(client, register, settings):
    settings.OMBUDS_REGISTER_BULK_UPLOADS_PER_HOUR = 2
    for _ in range(2):
        assert upload(client, "name,number\nAnn Smith,CGP-0001\n").status_code == 200
    response = upload(client, "name,number\nAnn Smith,CGP-0001\n")
    assert response.status_code == 429
    assert "up to 2 file uploads from one network in an hour" in response.content.decode()
    assert int(response["Retry-After"]) <= 3601


def test_a_full_file_runs_a_bounded_number_of_queries(
    client, body, register, settings, django_assert_max_num_queries
):
    program = CredentialProgram.objects.get(code="cgp")
    people = Person.objects.bulk_create(
        Person(organization=body, given_name="Pat", family_name=f"Holder{n}") for n in range(450)
    )
    Credential.objects.bulk_create(
        Credential(program=program, holder=p, number=f"CGP-{1000 + n}", status="active")
        for n, p in enumerate(people)
    )
    lines = [f"Pat Holder{n},CGP-{1000 + n}" for n in range(500)]
    # The check's own queries; the rate limit's few are counted in test_rate_limits.
    settings.OMBUDS_REGISTER_BULK_UPLOADS_PER_HOUR = 0
    with django_assert_max_num_queries(5):
        response = upload(client, "name,number\n" + "\n".join(lines))
    got = rows(response)
    assert len(got) == 500
    assert sum(r["result"] == "found" for r in got) == 450


@pytest.mark.parametrize(
    ("written", "matches"),
    [
        ("Ann Smith", True),
        ("SMITH, ANN", True),
        ("ann-marie smith", True),
        ("Marie Smíth", True),
        ("A. Smith", False),
        ("Ann Smyth", False),
        ("Smith", False),
        ("", False),
    ],
)
def test_person_names_agree_on_the_family_name_and_a_given_name(written, matches):
    assert person_name_matches("Ann Marie", "Smith", written) is matches


def test_agency_names_agree_on_the_legal_or_a_trade_name():
    names = ["Lantern Recovery, LLC", "Lantern Kids"]
    assert agency_name_matches(names, "lantern recovery")
    assert agency_name_matches(names, "Lantern Kids Inc.")
    assert not agency_name_matches(names, "Lantern")
    assert not agency_name_matches(names, "LLC")


@pytest.mark.parametrize("typed", ["cgp 0001", "CGP 0001", "cgp-0001", "Cgp-0001"])
def test_a_number_bulk_finds_is_found_by_every_verify_path(client, body, register, typed):
    (row,) = rows(upload(client, f"name,number\nAnn Smith,{typed}\n"))
    assert row["result"] == "found"
    assert row["verification_url"] == "http://testserver/guild/register/CGP-0001/"
    # The verification page, the API and `ombuds register verify` read the number alike.
    page = client.get(f"/guild/register/{typed.replace(' ', '%20')}/", follow=True)
    assert page.status_code == 200 and "Ann Marie Smíth" in page.content.decode()
    api = client.get(f"/api/v1/bodies/guild/register/credentials/{typed.replace(' ', '%20')}")
    assert api.status_code == 200 and api.json()["number"] == "CGP-0001"
    assert public.credential_verify(typed, organization=body).number == "CGP-0001"
