"""`import_csv`: every bad row reported at once, nothing half-written, a second import changes nothing,
and status changes only as the lifecycle allows. The CSV texts are invented for these tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.core.dates import add_months
from ombuds.register.csv import (
    ImportReport,
    RowError,
    import_csv,
    importers,
    importing,
    lifecycle_import,
    staged,
)
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    StatusEvent,
)
from ombuds.register.public import credential_verify

pytestmark = pytest.mark.django_db


def day(offset: int = 0) -> str:
    """The date `offset` days from the day the test runs, as a CSV cell. Not a date taken when the
    module is collected: a run that passes midnight would hold yesterday's date against the
    import's today."""
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


PEOPLE = """external_id,given_name,family_name,email,city,country
P-1,Imre,Talbot,imre@example.org,Lakeside,us
P-2,Odile,Brandt,,Hillview,US
P-3,Casimir,Yuen,casimir@example.org,Lakeside,US
"""


def credentials_csv() -> str:
    return f"""external_id,number,program,holder,status,issued_on,expires_on,suspended_until,conditions,decision_ref
C-1,cpx 0001,cpx,P-1,active,2023-01-10,{day(365)},,,
C-2,CPX-0002,cpx,P-2,candidate,,,,,
C-3,CPX-0003,cpx,P-3,active,2022-05-01,{day(365)},,Works under supervision,
"""


@pytest.fixture
def program(body):
    return CredentialProgram.objects.create(
        organization=body, code="cpx", name="Certified Practitioner of Examples", abbreviation="CPX"
    )


@pytest.fixture
def types(body):
    return {
        "agency": MembershipType.objects.create(
            organization=body, code="agency", name="Member agency", kind="organization"
        ),
        "individual": MembershipType.objects.create(
            organization=body, code="individual", name="Individual member", kind="individual"
        ),
    }


def run(body, text: str | bytes, *, dry_run: bool = False, **kwargs) -> ImportReport:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_csv(organization=body, data=data, dry_run=dry_run, **kwargs)


@pytest.fixture
def people(body):
    report = run(body, PEOPLE)
    assert report.ok, report.errors
    return {p.external_id: p for p in Person.objects.filter(organization=body)}


@pytest.fixture
def credentials(body, program, people):
    report = run(body, credentials_csv())
    assert report.ok, report.errors
    return {c.external_id: c for c in Credential.objects.filter(program=program)}


def reasons(report) -> list[tuple[int | None, str | None]]:
    return [(e.line, e.column) for e in report.errors]


# --- people and agencies ------------------------------------------------------------------------


def test_people_are_created_with_normalised_country_codes(body):
    report = run(body, PEOPLE)
    assert report.ok
    assert (report.kind, report.rows, report.created, report.updated, report.unchanged) == (
        "people",
        3,
        3,
        0,
        0,
    )
    imre = Person.objects.get(organization=body, external_id="P-1")
    assert (imre.full_name, imre.email, imre.city, imre.country) == (
        "Imre Talbot",
        "imre@example.org",
        "Lakeside",
        "US",
    )


def test_a_changed_row_updates_its_record_and_leaves_absent_columns_alone(body, people):
    report = run(
        body, "external_id,given_name,family_name\nP-1,Imre,Talbot-Reyes\nP-2,Odile,Brandt\n"
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    imre = Person.objects.get(pk=people["P-1"].pk)
    assert imre.family_name == "Talbot-Reyes"
    assert imre.email == "imre@example.org"  # no email column: left as it was
    assert Person.objects.filter(organization=body).count() == 3  # P-3 is not in the file: kept


def test_people_rows_are_checked_for_required_values_emails_and_lengths(body):
    text = (
        "external_id,given_name,family_name,email,country\n"
        "P-1,,Talbot,imre@example.org,US\n"
        ",Odile,Brandt,,US\n"
        f"P-3,Casimir,{'Y' * 151},not-an-email,USA\n"
    )
    report = run(body, text)
    assert reasons(report) == [
        (2, "given_name"),
        (3, "external_id"),
        (4, "family_name"),
        (4, "email"),
        (4, "country"),
    ]
    assert "a value is required" in report.errors[0].reason
    assert "at most 150" in report.errors[2].reason
    assert not Person.objects.exists()


def test_agencies_read_trade_names_and_registration_numbers(body):
    text = (
        "external_id,legal_name,trade_names,registration_numbers,city,website\n"
        'A-1,Lantern Finders LLC,Lantern; Lantern Recovery,"State of Ohio: OH-17; County: 22",Easton,lantern.example.org\n'
        'A-2,Quill & Ledger Inc,"[""Quill; Ledger""]","[{""authority"": ""Board"", ""number"": ""Q:1""}]",,\n'
    )
    report = run(body, text)
    assert report.ok, report.errors
    lantern = Agency.objects.get(external_id="A-1")
    assert lantern.trade_names == ["Lantern", "Lantern Recovery"]
    assert lantern.registration_numbers == [
        {"authority": "State of Ohio", "number": "OH-17"},
        {"authority": "County", "number": "22"},
    ]
    assert lantern.website == "https://lantern.example.org"
    quill = Agency.objects.get(external_id="A-2")
    assert quill.trade_names == ["Quill; Ledger"]
    assert quill.registration_numbers == [{"authority": "Board", "number": "Q:1"}]


# --- credentials --------------------------------------------------------------------------------


def test_credential_numbers_are_stored_upper_case_without_spaces(body, credentials):
    assert credentials["C-1"].number == "CPX0001"
    assert credential_verify("cpx 0001").holder == "Imre Talbot"


def test_each_new_record_gets_one_imported_status_event(body, credentials):
    events = StatusEvent.objects.filter(credential__in=credentials.values())
    assert sorted(events.values_list("from_status", "to_status", "reason")) == [
        ("", "active", "Imported"),
        ("", "active", "Imported"),
        ("", "candidate", "Imported"),
    ]
    assert {e.effective_date for e in events} == {timezone.localdate()}


def test_importing_the_same_file_twice_changes_nothing(body, credentials):
    events = StatusEvent.objects.count()
    stamps = dict(Credential.objects.values_list("pk", "updated_at"))
    report = run(body, credentials_csv())
    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert StatusEvent.objects.count() == events
    assert dict(Credential.objects.values_list("pk", "updated_at")) == stamps


def test_a_status_change_goes_through_the_lifecycle_and_records_an_event(
    body, credentials, staff_user
):
    text = credentials_csv().replace("C-1,cpx 0001,cpx,P-1,active", "C-1,cpx 0001,cpx,P-1,inactive")
    report = run(body, text, acting_user=staff_user)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    credential = Credential.objects.get(pk=credentials["C-1"].pk)
    assert credential.status == "inactive"
    event = credential.events.order_by("pk").last()
    assert (event.from_status, event.to_status, event.reason, event.actor) == (
        "active",
        "inactive",
        "CSV import",
        staff_user,
    )


def test_certifying_a_candidate_sets_its_dates_as_the_lifecycle_does_and_stays_idempotent(
    body, credentials
):
    text = credentials_csv().replace(
        "C-2,CPX-0002,cpx,P-2,candidate", "C-2,CPX-0002,cpx,P-2,active"
    )
    report = run(body, text)
    assert (report.updated, report.unchanged) == (1, 2)
    credential = Credential.objects.get(pk=credentials["C-2"].pk)
    assert credential.status == "active"
    assert credential.issued_on == timezone.localdate()
    assert credential.expires_on == add_months(timezone.localdate(), 36)  # one cycle of the program
    events = StatusEvent.objects.count()
    report = run(body, text)  # its empty date cells leave the dates the certification set
    assert (report.updated, report.unchanged) == (0, 3)
    assert StatusEvent.objects.count() == events


def test_other_columns_of_an_existing_credential_are_updated_without_a_status_event(
    body, credentials
):
    events = StatusEvent.objects.count()
    text = (
        credentials_csv()
        .replace("C-3,CPX-0003,cpx,P-3,active,2022-05-01", "C-3,CPX-0003,cpx,P-3,active,2022-06-01")
        .replace("Works under supervision", "")
    )
    report = run(body, text)
    assert report.ok, report.errors
    assert (report.updated, report.unchanged) == (1, 2)
    c3 = Credential.objects.get(pk=credentials["C-3"].pk)
    assert (c3.issued_on, c3.conditions) == (dt.date(2022, 6, 1), "")
    assert StatusEvent.objects.count() == events


def test_a_credential_never_passes_to_another_holder(body, credentials):
    text = credentials_csv().replace("C-2,CPX-0002,cpx,P-2,", "C-2,CPX-0002,cpx,P-3,")
    report = run(body, text)
    assert [str(e) for e in report.errors] == [
        "line 3, column holder: the holder of an existing credential cannot change: it is P-2"
    ]


def test_a_suspension_needs_an_end_date_after_today_and_a_decision(body, credentials):
    text = credentials_csv().replace(
        f"C-1,cpx 0001,cpx,P-1,active,2023-01-10,{day(365)},,,",
        f"C-1,cpx 0001,cpx,P-1,suspended,2023-01-10,{day(365)},{day()},,",
    )
    report = run(body, text)
    assert reasons(report) == [(2, "decision_ref"), (2, "suspended_until")]
    assert "needs decision_ref" in report.errors[0].reason
    assert "must end after today" in report.errors[1].reason

    ok = text.replace(f"{day()},,", f"{day(365)},,EC-2024-7")
    report = run(body, ok)
    assert report.ok, report.errors
    credential = Credential.objects.get(pk=credentials["C-1"].pk)
    assert (credential.status, credential.suspended_until.isoformat()) == ("suspended", day(365))
    assert credential.events.last().decision_ref == "EC-2024-7"


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        ("candidate", "suspended", "candidate cannot become suspended"),
        ("active", "expired", "active cannot become expired"),
        ("active", "candidate", "active cannot become candidate"),
    ],
)
def test_a_status_change_the_lifecycle_does_not_allow_is_a_row_error(
    body, credentials, before, after, reason
):
    row = next(line for line in credentials_csv().splitlines() if f",{before}," in line)
    text = credentials_csv().replace(row, row.replace(f",{before},", f",{after},"))
    report = run(body, text, dry_run=True)
    line = credentials_csv().splitlines().index(row) + 1
    assert reasons(report) == [(line, "status")]
    assert reason in report.errors[0].reason
    report = run(body, text)
    assert not report.ok
    assert dict(Credential.objects.values_list("external_id", "status")) == {
        c.external_id: c.status for c in credentials.values()
    }


def test_a_revoked_credential_cannot_come_back_through_an_import(body, credentials):
    Credential.objects.filter(pk=credentials["C-3"].pk).update(status="revoked")
    report = run(body, credentials_csv())
    assert reasons(report) == [(4, "status")]
    assert "takes a new application" in report.errors[0].reason


def test_reinstating_an_expired_credential_needs_a_new_expiry_date(body, credentials):
    old_expiry = day(-10)
    Credential.objects.filter(pk=credentials["C-1"].pk).update(
        status="expired", expires_on=old_expiry
    )
    row = f"C-1,cpx 0001,cpx,P-1,active,2023-01-10,{old_expiry},,,"
    report = run(
        body,
        credentials_csv().replace(f"C-1,cpx 0001,cpx,P-1,active,2023-01-10,{day(365)},,,", row),
    )
    assert reasons(report) == [(2, "expires_on")]
    report = run(body, credentials_csv())
    assert report.ok, report.errors
    assert Credential.objects.get(pk=credentials["C-1"].pk).status == "active"


def test_dry_run_reports_every_bad_row_at_once_and_writes_nothing(body, program, people):
    text = (
        "external_id,number,program,holder,status,issued_on,expires_on,suspended_until\n"
        "C-1,CPX-1,cpx,P-1,actve,,,\n"  # 2: unknown status
        "C-2,CPX-2,cpx,P-2,active,2024-02-30,,\n"  # 3: bad date
        "C-3,,cpx,P-3,active,,,\n"  # 4: missing number
        "C-4,CPX-4,xyz,P-1,active,,,\n"  # 5: unknown program
        "C-5,CPX-5,cpx,P-404,active,,,\n"  # 6: unknown holder
        "C-6,CPX-6,cpx,P-3,inactive,2024-05-01,2024-01-01,\n"  # 7: dates in the wrong order
        "C-7,CPX-6,cpx,P-2,candidate,,,\n"  # 8: number already on line 7
        f"C-8,CPX-8,cpx,P-1,suspended,,{day(365)},\n"  # 9: a suspension without its end
    )
    report = run(body, text, dry_run=True)
    assert [str(e).split(":")[0] for e in report.errors] == [
        "line 2, column status",
        "line 3, column issued_on",
        "line 4, column number",
        "line 5, column program",
        "line 6, column holder",
        "line 7, column expires_on",
        "line 8, column number",
        "line 9, column suspended_until",
    ]
    assert "unknown status 'actve'" in report.errors[0].reason
    assert "'2024-02-30' is not a date; write it as YYYY-MM-DD" in report.errors[1].reason
    assert "no credential program 'xyz'" in report.errors[3].reason
    assert "no person with external id 'P-404'" in report.errors[4].reason
    assert "is not after issued_on" in report.errors[5].reason
    assert "already on line 7" in report.errors[6].reason
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert report.summary() == "credentials: 8 bad lines, 8 errors; nothing was written"
    assert not Credential.objects.exists()


def test_a_dry_run_of_a_good_file_says_what_it_would_do_and_writes_nothing(body, program, people):
    report = run(body, credentials_csv(), dry_run=True)
    assert report.ok
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.summary().startswith("dry run, nothing written")
    assert not Credential.objects.exists()
    assert not StatusEvent.objects.exists()


def test_one_bad_row_among_good_ones_writes_nothing(body, program, people):
    text = credentials_csv() + "C-4,CPX-0004,cpx,P-404,active,,,,,\n"
    report = run(body, text)
    assert [str(e) for e in report.errors] == [
        "line 5, column holder: no person with external id 'P-404' in GOE: import the people first"
    ]
    assert not Credential.objects.exists()
    assert not StatusEvent.objects.exists()


def test_the_import_is_atomic_when_a_write_fails_midway(body, credentials, monkeypatch):
    text = credentials_csv().replace(
        "C-2,CPX-0002,cpx,P-2,candidate", "C-2,CPX-0002,cpx,P-2,active"
    )
    text += "".join(f"N-{n},CPX-N{n},cpx,P-{n},candidate,,,,,\n" for n in (4, 5, 6))
    run(body, "external_id,given_name,family_name\nP-4,Ana,Ek\nP-5,Bo,Ek\nP-6,Cy,Ek\n")
    before = (Credential.objects.count(), StatusEvent.objects.count())

    # The status change of C-2 and the new credentials are written, then their status events fail.
    def failing(self, cursor, stamp):
        assert Credential.objects.filter(external_id__startswith="N-").count() == 3
        raise RuntimeError("disk full")

    monkeypatch.setattr(staged.StagedCredentialImporter, "insert_events", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        run(body, text)
    assert (Credential.objects.count(), StatusEvent.objects.count()) == before
    assert Credential.objects.get(external_id="C-2").status == "candidate"


def test_a_change_the_service_refuses_while_writing_is_reported_on_its_row(
    body, credentials, monkeypatch
):
    def refuse(**kwargs):
        raise TransitionRefused("credential CPX0001 is now suspended, not active")

    monkeypatch.setattr(lifecycle_import, "lifecycle_transition", refuse)
    text = credentials_csv().replace("C-1,cpx 0001,cpx,P-1,active", "C-1,cpx 0001,cpx,P-1,inactive")
    text += "C-4,CPX-0004,cpx,P-404,revoked,,,,,\n".replace("P-404", "P-2")
    report = run(body, text)
    assert [str(e) for e in report.errors] == [
        "line 2, column status: credential CPX0001 is now suspended, not active"
    ]
    assert (report.created, report.updated) == (0, 0)
    assert not Credential.objects.filter(external_id="C-4").exists()


def test_duplicate_numbers_in_the_file_and_in_the_register_are_refused(body, credentials):
    text = (
        "external_id,number,program,holder,status\n"
        "C-9,CPX 0001,cpx,P-1,revoked\n"  # C-1's number, in the register
        "C-10,CPX-0010,cpx,P-2,revoked\n"
        "C-11,cpx-0010,cpx,P-3,revoked\n"  # line 3's number once normalised
        "C-1,CPX-0099,cpx,P-1,active\n"  # an existing credential's number cannot change
    )
    report = run(body, text)
    assert reasons(report) == [(2, "number"), (4, "number"), (5, "number")]
    assert "already the number of another CPX credential (external id C-1)" in (
        report.errors[0].reason
    )
    assert "'CPX-0010' is already on line 3" in report.errors[1].reason
    assert "cannot change: it is CPX0001" in report.errors[2].reason


def test_a_holder_cannot_have_two_live_credentials_of_one_program(body, credentials):
    text = "external_id,number,program,holder,status\nC-9,CPX-0009,cpx,P-1,candidate\n"
    report = run(body, text)
    assert reasons(report) == [(2, "holder")]
    assert "already holds a live CPX credential (CPX0001)" in report.errors[0].reason
    # Surrendering the old one in the same file frees the holder for the new one.
    text = (
        "external_id,number,program,holder,status\n"
        "C-1,CPX0001,cpx,P-1,surrendered\n"
        "C-9,CPX-0009,cpx,P-1,candidate\n"
    )
    report = run(body, text)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (1, 1)


def test_ombuds_ids_name_records_without_an_external_id(body, program, people):
    Person.objects.filter(pk=people["P-2"].pk).update(external_id="")
    text = (
        "external_id,number,program,holder,status\n"
        f"C-1,CPX-1,cpx,ombuds:{people['P-2'].pk},candidate\n"
        "ombuds:999999,CPX-2,cpx,P-1,candidate\n"
    )
    report = run(body, text)
    assert reasons(report) == [(3, "external_id")]
    assert "ids of the form ombuds:N" in report.errors[0].reason
    report = run(body, text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n")
    assert report.ok
    assert Credential.objects.get().holder_id == people["P-2"].pk


def test_progress_is_reported_while_checking_and_writing(body, program, people, monkeypatch):
    monkeypatch.setattr(importers, "PROGRESS_EVERY", 2)
    calls = []
    run(body, credentials_csv(), progress=lambda *args: calls.append(args))
    assert calls == [("checking", 2, 3), ("checking", 3, 3), ("writing", 3, 3)]


# --- memberships --------------------------------------------------------------------------------


def test_memberships_name_a_person_or_an_agency_as_their_type_requires(body, people, types):
    run(body, "external_id,legal_name\nA-1,Lantern Finders LLC\n")
    text = (
        "external_id,number,membership_type,person,agency,status,start_date,renewal_date,suspended_until,decision_ref\n"
        "M-1,GOE-1,agency,,A-1,active,2020-01-01,2027-01-01,,\n"
        "M-2,GOE-2,individual,P-1,,applicant,,,,\n"
        "M-3,GOE-3,agency,P-2,,active,,,,\n"  # an agency membership for a person
        "M-4,GOE-4,individual,P-1,A-1,active,,,,\n"  # both
        "M-5,GOE-5,individual,,,active,,,,\n"  # neither
        "M-6,GOE-6,individual,P-3,,lapsed,2021-01-01,2020-01-01,,\n"  # renewal before start
    )
    report = run(body, text)
    assert reasons(report) == [(4, "person"), (5, "person"), (6, "person"), (7, "renewal_date")]
    assert "agency memberships are for agencies" in report.errors[0].reason
    ok = "\n".join(text.splitlines()[:3]) + "\n"
    report = run(body, ok)
    assert report.ok, report.errors
    assert Membership.objects.get(external_id="M-1").agency.legal_name == "Lantern Finders LLC"
    assert list(
        StatusEvent.objects.filter(membership__isnull=False).values_list("to_status", flat=True)
    ) == ["active", "applicant"]


def test_membership_status_changes_go_through_the_membership_lifecycle(body, people, types):
    header = "external_id,number,membership_type,person,status\n"
    assert run(body, header + "M-2,GOE-2,individual,P-1,applicant\n").ok
    report = run(body, header + "M-2,GOE-2,individual,P-1,expelled\n")
    assert reasons(report) == [(2, "status")]
    assert "applicant cannot become expelled" in report.errors[0].reason
    report = run(body, header + "M-2,GOE-2,individual,P-1,active\n")
    assert (report.updated, report.unchanged) == (1, 0)
    membership = Membership.objects.get(external_id="M-2")
    assert (membership.status, membership.start_date) == ("active", timezone.localdate())
    assert membership.events.last().reason == "CSV import"


def test_renewing_a_membership_in_grace_needs_its_next_renewal_date(body, people, types):
    header = "external_id,number,membership_type,person,status,renewal_date\n"
    past = day(-10)
    assert run(body, header + f"M-1,GOE-1,individual,P-1,active,{day(365)}\n").ok
    Membership.objects.filter(external_id="M-1").update(status="grace", renewal_date=past)
    report = run(body, header + f"M-1,GOE-1,individual,P-1,active,{past}\n")
    assert reasons(report) == [(2, "renewal_date")]
    assert "needs renewal_date" in report.errors[0].reason
    report = run(body, header + f"M-1,GOE-1,individual,P-1,active,{day(365)}\n")
    assert report.ok, report.errors
    membership = Membership.objects.get(external_id="M-1")
    assert (membership.status, membership.renewal_date.isoformat()) == ("active", day(365))
    assert membership.events.last().from_status == "grace"


def test_an_existing_membership_keeps_its_member_and_its_type(body, people, types):
    """A membership carries its history and sanctions: an import cannot hand it to another member
    or turn it into another type of membership."""
    run(body, "external_id,legal_name\nA-1,Lantern Finders LLC\n")
    header = "external_id,number,membership_type,person,agency,status,renewal_date\n"
    assert run(body, header + f"M-1,GOE-1,individual,P-1,,active,{day(365)}\n").ok
    Person.objects.filter(pk=people["P-1"].pk).update(external_id="")
    walk_in = f"ombuds:{people['P-1'].pk}"
    events = StatusEvent.objects.count()

    report = run(body, header + f"M-1,GOE-1,individual,P-2,,active,{day(365)}\n")
    assert [str(e) for e in report.errors] == [
        "line 2, column person: the member of an existing membership cannot change: "
        f"it is the person {walk_in}"
    ]
    report = run(body, header + f"M-1,GOE-1,agency,,A-1,active,{day(365)}\n")
    assert [str(e) for e in report.errors] == [
        "line 2, column membership_type: the membership type of an existing membership cannot "
        "change: it is individual",
        "line 2, column agency: the member of an existing membership cannot change: "
        f"it is the person {walk_in}",
    ]
    MembershipType.objects.create(
        organization=body, code="board", name="Board member", kind="board"
    )
    report = run(body, header + f"M-1,GOE-1,board,{walk_in},,active,{day(365)}\n")
    assert reasons(report) == [(2, "membership_type")]

    membership = Membership.objects.get(external_id="M-1")
    assert (membership.person_id, membership.agency_id, membership.membership_type) == (
        people["P-1"].pk,
        None,
        types["individual"],
    )
    assert StatusEvent.objects.count() == events
    report = run(body, header + f"M-1,GOE-1,individual,{walk_in},,active,{day(365)}\n")
    assert (report.ok, report.unchanged) == (True, 1)


@pytest.mark.parametrize(
    ("number", "stored"),
    [
        ("CPX/1", None),  # would be a path in the verification address
        ("cpx 1/2", None),
        ("CPX#1", None),
        ("CPX?1", None),
        ("-CPX1", None),  # must start with a letter or digit
        ("_CPX1", None),
        ("CPX%201", None),
        ("CPXÉ1", None),
        ("cpx 0001", "CPX0001"),
        ("cpx.1_a-b", "CPX.1_A-B"),
    ],
)
def test_a_new_credential_number_must_fit_in_a_public_address(
    body, program, people, number, stored
):
    text = f"external_id,number,program,holder,status\nC-1,{number},cpx,P-1,candidate\n"
    report = run(body, text)
    if stored is None:
        assert reasons(report) == [(2, "number")]
        assert "must be 1 to 50 letters, digits, '.', '-' or '_'" in report.errors[0].reason
        assert not Credential.objects.exists()
    else:
        assert report.ok, report.errors
        assert Credential.objects.get().number == stored


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("GOE/1", False),
        ("GOE 1", False),  # trimmed at the ends only: a space inside stays, and is refused
        ("GOE#1", False),
        (".GOE1", False),
        ("goe-1.a_b", True),  # the case is kept
        ("  GOE-2  ", True),
    ],
)
def test_a_new_membership_number_must_fit_in_a_public_address(body, people, types, number, ok):
    text = (
        f"external_id,number,membership_type,person,status\nM-1,{number},individual,P-1,applicant\n"
    )
    report = run(body, text)
    if ok:
        assert report.ok, report.errors
        assert Membership.objects.get().number == number.strip()
    else:
        assert reasons(report) == [(2, "number")]
        assert f"membership number {number!r} must be letters, digits" in report.errors[0].reason
        assert not Membership.objects.exists()


def test_a_number_entered_before_the_rule_still_imports_back(body, program, people, types):
    """The number of an existing record cannot change, so its row is not refused for it: the
    register exports and imports back as it is."""
    Credential.objects.create(
        program=program, holder=people["P-1"], number="CPX/7", external_id="C-7", status="candidate"
    )
    Membership.objects.create(
        organization=body,
        membership_type=types["individual"],
        person=people["P-1"],
        number="GOE/7",
        external_id="M-7",
        status="applicant",
    )
    report = run(body, "external_id,number,program,holder,status\nC-7,CPX/7,cpx,P-1,candidate\n")
    assert (report.ok, report.unchanged) == (True, 1)
    text = "external_id,number,membership_type,person,status\nM-7,GOE/7,individual,P-1,applicant\n"
    report = run(body, text)
    assert (report.ok, report.unchanged) == (True, 1)


def test_a_leading_quote_that_keeps_a_spreadsheet_from_reading_a_formula_is_removed(body):
    text = (
        "external_id,given_name,family_name,phone,city,region\n"
        "P-1,'=Imre,'-,'+1 555 0100,'@home,'\tTab\n"  # each written as text, as export does
        "P-2,'Odile,O'Brandt,-5,'',''=x\n"  # not before a formula character: kept as it is
    )
    report = run(body, text)
    assert report.ok, report.errors
    imre = Person.objects.get(external_id="P-1")
    assert (imre.given_name, imre.family_name, imre.phone, imre.city, imre.region) == (
        "=Imre",
        "-",
        "+1 555 0100",
        "@home",
        "\tTab",
    )
    odile = Person.objects.get(external_id="P-2")
    assert (odile.given_name, odile.family_name, odile.phone, odile.city, odile.region) == (
        "'Odile",
        "O'Brandt",
        "-5",
        "''",
        "'=x",  # one quote removed, as export adds one to a value starting '=
    )


# Dates relative to the day of the import, for new records whose status must agree with them: days
# from the day the test runs (see `day`), None for an empty cell.
ISSUED, YESTERDAY, TODAY, TOMORROW, NEXT_YEAR = -400, -1, 0, 1, 365


def cell(offset: int | None) -> str:
    return "" if offset is None else day(offset)


@pytest.mark.parametrize(
    ("status", "issued_on", "expires_on", "suspended_until", "errors"),
    [
        (
            "active",
            ISSUED,
            None,
            None,
            [("expires_on", "a new active credential needs its expiry")],
        ),
        ("active", ISSUED, YESTERDAY, None, [("expires_on", "expired or lapsed, not active")]),
        ("active", ISSUED, TODAY, None, []),  # valid through its expiry date
        (
            "expired",
            ISSUED,
            None,
            None,
            [("expires_on", "a new expired credential needs its expiry")],
        ),
        ("expired", ISSUED, TODAY, None, [("expires_on", "is past its expiry date")]),
        ("expired", ISSUED, YESTERDAY, None, []),
        (
            "lapsed",
            ISSUED,
            None,
            None,
            [("expires_on", "a new lapsed credential needs its expiry")],
        ),
        ("lapsed", ISSUED, NEXT_YEAR, None, [("expires_on", "is past its expiry date")]),
        ("lapsed", ISSUED, YESTERDAY, None, []),
        ("suspended", ISSUED, NEXT_YEAR, TODAY, [("suspended_until", "has ended")]),
        ("suspended", ISSUED, YESTERDAY, TOMORROW, [("expires_on", "not suspended")]),
        (
            "suspended",
            ISSUED,
            None,
            TOMORROW,
            [("expires_on", "a new suspended credential needs its expiry")],
        ),
        ("suspended", ISSUED, TODAY, TOMORROW, []),
        ("candidate", TOMORROW, None, None, [("issued_on", "cannot be ahead")]),
        ("candidate", TODAY, None, None, []),
        ("candidate", None, None, None, []),
        ("inactive", ISSUED, None, None, []),
    ],
)
def test_a_new_credential_s_status_must_agree_with_its_dates(
    body, program, people, status, issued_on, expires_on, suspended_until, errors
):
    text = (
        "external_id,number,program,holder,status,issued_on,expires_on,suspended_until\n"
        f"C-1,CPX-1,cpx,P-1,{status},{cell(issued_on)},{cell(expires_on)},{cell(suspended_until)}\n"
    )
    report = run(body, text, dry_run=True)
    assert reasons(report) == [(2, column) for column, _ in errors]
    for error, (_column, reason) in zip(report.errors, errors, strict=True):
        assert reason in error.reason


def test_an_existing_credential_is_not_held_to_the_rules_for_new_ones(body, credentials):
    """An active credential whose expiry date has passed is the daily task's to expire, not a
    reason to refuse its row."""
    Credential.objects.filter(pk=credentials["C-1"].pk).update(expires_on=day(-1))
    text = credentials_csv().replace(day(365), day(-1), 1)
    report = run(body, text)
    assert (report.ok, report.unchanged) == (True, 3), report.errors


@pytest.mark.parametrize(
    ("status", "renewal_date", "suspended_until", "errors"),
    [
        (
            "active",
            None,
            None,
            [("renewal_date", "a new active membership needs its renewal date")],
        ),
        ("active", YESTERDAY, None, [("renewal_date", "in grace or lapsed, not active")]),
        ("active", TODAY, None, []),
        ("grace", None, None, [("renewal_date", "a new grace membership needs its renewal date")]),
        ("grace", TODAY, None, [("renewal_date", "is past its renewal date")]),
        ("grace", YESTERDAY, None, []),
        ("suspended", NEXT_YEAR, TODAY, [("suspended_until", "has ended")]),
        ("suspended", NEXT_YEAR, TOMORROW, []),
        ("applicant", None, None, []),
    ],
)
def test_a_new_membership_s_status_must_agree_with_its_dates(
    body, people, types, status, renewal_date, suspended_until, errors
):
    text = (
        "external_id,number,membership_type,person,status,start_date,renewal_date,suspended_until\n"
        f"M-1,GOE-1,individual,P-1,{status},2020-01-01,{cell(renewal_date)},{cell(suspended_until)}\n"
    )
    report = run(body, text, dry_run=True)
    assert reasons(report) == [(2, column) for column, _ in errors]
    for error, (_column, reason) in zip(report.errors, errors, strict=True):
        assert reason in error.reason


# --- the file itself ----------------------------------------------------------------------------


def test_a_utf8_file_with_a_byte_order_mark_is_read(body):
    report = run(body, "\ufeff" + PEOPLE.replace("Odile", "Odile-Zoë"))
    assert report.ok, report.errors
    assert Person.objects.filter(given_name="Odile-Zoë").exists()


def test_a_latin1_file_is_refused_with_the_byte_offset(body):
    data = PEOPLE.replace("Odile", "Zoë").encode("latin-1")
    offset = data.index("ë".encode("latin-1"))
    report = run(body, data)
    assert report.errors == [
        RowError(
            3,
            None,
            f"not UTF-8: byte 0xEB at offset {offset} cannot be read; save the file as CSV UTF-8",
        )
    ]
    assert report.summary().startswith("cannot import this file: line 3: not UTF-8")
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        ("external_id,given_name\n".encode("utf-16"), "UTF-16"),
        (b"external_id,given_name,family_name\nP-1,A\x00,B\n", "NUL byte at offset 40"),
    ],
)
def test_files_that_are_not_csv_text_are_refused(body, data, reason):
    report = run(body, data)
    assert len(report.errors) == 1
    assert reason in report.errors[0].reason


def test_an_unbalanced_quote_is_reported_on_the_line_it_opens(body):
    text = (
        'external_id,given_name,family_name\nP-1,Imre,Talbot\nP-2,"Odile,Brandt\nP-3,Casimir,Yuen\n'
    )
    report = run(body, text)
    assert [str(e) for e in report.errors] == ["line 3: a quoted value opened here is never closed"]
    assert not Person.objects.exists()


def test_rows_with_the_wrong_number_of_values_are_reported_each(body):
    text = (
        "external_id,given_name,family_name\n"
        "P-1,Imre,Talbot,extra\n"
        'P-2,"Odile" x,Brandt\n'
        "P-3,Casimir\n"
        "\n"
        "P-4,Ana,Ek\n"
        ",,\n"
    )
    report = run(body, text)
    assert [str(e) for e in report.errors] == [
        "line 2: 4 values where the header has 3 columns",
        "line 3: a closing quote must be followed by a comma or the end of the line",
        "line 4: 2 values where the header has 3 columns",
    ]


def test_an_unknown_header_names_the_columns_that_tell_the_kinds_apart(body):
    report = run(body, "name,licence\nImre,CPX-1\n")
    assert report.kind is None
    assert len(report.errors) == 1
    assert report.errors[0].line == 1
    assert "unknown header (name, licence)" in report.errors[0].reason
    assert "legal_name (agencies), given_name (people)" in report.errors[0].reason


def test_unknown_repeated_and_missing_columns_are_refused(body, program):
    report = run(
        body, "external_id,number,program,status,colour,status\nC-1,X,cpx,active,red,active\n"
    )
    assert reasons(report) == [(1, "colour"), (1, "status"), (1, "holder")]
    assert "unknown column for credentials" in report.errors[0].reason
    assert "appears twice" in report.errors[1].reason
    assert "missing" in report.errors[2].reason


def test_an_empty_register_file_with_only_a_header_imports_nothing(body):
    report = run(body, "external_id,given_name,family_name\n")
    assert report.ok
    assert report.summary() == "people: 0 rows: 0 created, 0 updated, 0 unchanged"


@pytest.fixture
def staff_user(personas):
    return personas["body_staff"]


def test_a_large_import_refreshes_the_planner_statistics_and_still_succeeds(body, monkeypatch):
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 1)  # as a 10,000-row import would
    report = import_csv(
        organization=body,
        data=b"external_id,given_name,family_name\nA-1,Ada,Novak\nA-2,Uma,Reyes\n",
        dry_run=False,
    )
    assert report.ok and report.created == 2


def test_an_import_that_changes_a_persons_email_puts_the_old_and_new_email_on_the_chain(
    body, people, staff_user
):
    person = Person.objects.get(organization=body, external_id="P-1")
    text = PEOPLE.replace("imre@example.org", "imre.talbot@example.org")
    report = run(body, text, acting_user=staff_user)
    assert report.ok and report.updated == 1

    event = Event.objects.filter(action="register.imported").latest("seq")
    assert event.actor == staff_user
    assert event.data["changes"] == [
        {
            "id": person.pk,
            "external_id": "P-1",
            "field": "email",
            "old": "imre@example.org",
            "new": "imre.talbot@example.org",
        }
    ]
    assert len(event.data["sha256"]) == 64
