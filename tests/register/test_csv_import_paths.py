"""The credentials import by sets (`csv.staged`) against the row-by-row importer it replaces
(`lifecycle_import`, still there for memberships): on the same files and the same register, the same
report (every line, column and message, the counts), the same records written, the same status
events and the same audit event. The file of bad rows holds every kind of bad row the import
reports. The CSV texts are invented for these tests."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import transaction
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.register.csv import import_csv, importing
from ombuds.register.models import Credential, CredentialProgram, Person, StatusEvent

pytestmark = pytest.mark.django_db

# Days from the day the test runs.
LONG_AGO, PAST, YESTERDAY, SOON, NEXT_YEAR = -900, -30, -1, 60, 365


def day(offset: int = 0) -> str:
    """The date `offset` days from the day the test runs, as a CSV cell. Not a date taken when the
    module is collected: a run that passes midnight would hold yesterday's date against the
    import's today."""
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


HEADER = "external_id,number,program,holder,status,issued_on,expires_on,suspended_until,conditions,decision_ref\n"


def existing_file() -> str:
    """The register before each file: people P-1..P-12, and credentials E-1..E-8."""
    return HEADER + "".join(
        f"{ref},CPX-E{n},cpx,P-{n},{status},{day(LONG_AGO)},{day(NEXT_YEAR)},{until},,{decision}\n"
        for n, (ref, status, until, decision) in enumerate(
            [
                ("E-1", "active", "", ""),
                ("E-2", "active", "", ""),
                ("E-3", "active", "", ""),
                ("E-4", "active", "", ""),
                ("E-5", "active", "", ""),
                ("E-6", "revoked", "", "EC-6"),
                ("E-7", "active", "", ""),
                ("E-8", "active", "", ""),
            ],
            start=1,
        )
    )


def bad_file(e8: int) -> str:
    """Every kind of bad row the import reports, between good ones."""
    rows = [
        "N-1,CPX-N1,cpx,P-9,candidate,,,,'=note,",  # good (a formula-escaped value)
        f"E-2,CPX-E2,cpx,P-2,active,{day(LONG_AGO)},{day(NEXT_YEAR)},,,",  # unchanged
        f"E-3,CPX-E3,cpx,P-3,active,{day(LONG_AGO)},{day(NEXT_YEAR)},,Supervised,",  # a field change
        ",CPX-N2,cpx,P-10,candidate,,,,,",  # no external id
        f"{'X' * 101},CPX-N3,cpx,P-10,candidate,,,,,",  # external id too long
        "N-4,,cpx,P-10,candidate,,,,,",  # no number
        f"N-5,{'9' * 51},cpx,P-10,candidate,,,,,",  # number too long
        "N-6,CPX-N6,nope,P-10,candidate,,,,,",  # unknown program
        "N-7,CPX-N7,cpx,,candidate,,,,,",  # no holder
        "N-8,CPX-N8,cpx,P-10,alive,,,,,",  # unknown status
        "N-9,CPX-N9,cpx,P-10,active,2024-13-01,,,,",  # not a date
        f"N-10,CPX-N10,cpx,P-10,candidate,,,,,{'D' * 201}",  # decision too long
        "N-1,CPX-N11,cpx,P-11,candidate,,,,,",  # external id already on an earlier line
        "N-12,CPX-N1,cpx,P-11,candidate,,,,,",  # number already on an earlier line
        "N-13,CPX-N13,cpx,P-404,candidate,,,,,",  # unknown holder
        "ombuds:999999,CPX-N14,cpx,P-11,candidate,,,,,",  # unknown ombuds:N
        "ombuds:abc,CPX-N15,cpx,P-11,candidate,,,,,",  # unknown, not of the ombuds:N form
        "N-16,CPX-E1,cpx,P-11,candidate,,,,,",  # number of another credential
        "N-17,CPX/17,cpx,P-11,candidate,,,,,",  # a number that cannot be public
        f"N-18,CPX-N18,cpx,P-11,suspended,{day(LONG_AGO)},{day(NEXT_YEAR)},,,EC-18",  # no end of suspension
        f"N-19,CPX-N19,cpx,P-11,candidate,,,{day(SOON)},,",  # an end of suspension, not suspended
        f"N-20,CPX-N20,cpx,P-11,inactive,{day(NEXT_YEAR)},{day(SOON)},,,",  # expiry before issue
        "N-21,CPX-N21,cpx,P-11,active,,,,,",  # active without expiry
        f"N-22,CPX-N22,cpx,P-11,active,{day(LONG_AGO)},{day(PAST)},,,",  # active past its expiry
        f"N-23,CPX-N23,cpx,P-11,expired,{day(LONG_AGO)},{day(NEXT_YEAR)},,,",  # expired before its expiry
        f"N-24,CPX-N24,cpx,P-11,suspended,{day(LONG_AGO)},{day(NEXT_YEAR)},{day(PAST)},,EC-24",  # ended
        f"N-25,CPX-N25,cpx,P-11,candidate,{day(NEXT_YEAR)},,,,",  # a candidate issued ahead
        f"E-4,CPX-E44,cpx,P-4,active,{day(LONG_AGO)},{day(NEXT_YEAR)},,,",  # a number changed
        f"E-5,CPX-E5,cpx,P-11,active,{day(LONG_AGO)},{day(NEXT_YEAR)},,,",  # a holder changed
        f"E-6,CPX-E6,cpx,P-6,active,{day(LONG_AGO)},{day(NEXT_YEAR)},,,",  # revoked -> active
        f"E-1,CPX-E1,cpx,P-1,suspended,{day(LONG_AGO)},{day(NEXT_YEAR)},{day(PAST)},,EC-1",  # ends already
        f"ombuds:{e8},CPX-E8,cpx,P-8,suspended,{day(LONG_AGO)},{day(NEXT_YEAR)},{day(SOON)},,",  # no decision
        "N-33,CPX-N33,cpx,P-12,candidate,,,,,",  # two live credentials for P-12 ...
        "N-34,CPX-N34,cpx,P-12,candidate,,,,,",  # ... in the file
        "N-35,CPX-N35,cpx,P-7,candidate,,,,,",  # P-7 holds E-7, which the file does not name
        "N-36,CPX-N36,cpx,P-10",  # too few values
        "",  # a blank line
        ",,,,,,,,,",  # an empty row
        'N-38,CPX-N38,cpx,P-10,candidate,,,,"never closed,',  # an unclosed quote
    ]
    return HEADER + "\n".join(rows) + "\n"


def good_file(e8: int, p8: int) -> str:
    rows = [
        f"E-1,CPX-E1,cpx,P-1,suspended,{day(LONG_AGO)},{day(NEXT_YEAR)},{day(SOON)},,EC-1",  # a status change
        f"E-2,CPX-E2,cpx,P-2,active,{day(LONG_AGO)},{day(NEXT_YEAR)},,,",  # unchanged
        f"E-3,CPX-E3,cpx,P-3,active,{day(LONG_AGO)},{day(NEXT_YEAR)},,Supervised,",  # a field change
        f"E-4,CPX-E4,cpx,P-4,surrendered,{day(LONG_AGO)},{day(NEXT_YEAR)},,,EC-4",  # frees P-4 ...
        f"N-4,CPX-N4,cpx,P-4,active,{day(PAST)},{day(NEXT_YEAR)},,,",  # ... for a new one
        # By its id, and its holder by theirs: unchanged.
        f"ombuds:{e8},cpx-e8,cpx,ombuds:{p8},active,{day(LONG_AGO)},{day(NEXT_YEAR)},,,",
        "N-1,cpx n1,cpx,P-12,candidate,,,,'=note,",  # a formula-escaped value
        f"N-2,CPX-N2,cpx,P-9,suspended,{day(LONG_AGO)},{day(NEXT_YEAR)},{day(SOON)},,EC-N2",
        f"N-3,CPX-N3,cpx,P-10,lapsed,{day(LONG_AGO)},{day(PAST)},,,",
        "N-5,CPX-N5,cpx,P-11,revoked,,,,,EC-N5",
        "N-6,CPX-N6,cpx,P-11,candidate,,,,,",
    ]
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture
def program(body):
    return CredentialProgram.objects.create(
        organization=body, code="cpx", name="Certified Practitioner of Examples", abbreviation="CPX"
    )


@pytest.fixture
def register(body, program):
    """The people and credentials every file below is imported over; P-8 and E-8 have no
    external id of their own (they are named ombuds:N)."""
    people = "external_id,given_name,family_name\n" + "".join(
        f"P-{n},Given{n},Family{n}\n" for n in range(1, 13)
    )
    assert run(body, people).ok
    assert run(body, existing_file()).ok
    p8 = Person.objects.get(organization=body, external_id="P-8")
    e8 = Credential.objects.get(program=program, external_id="E-8")
    Person.objects.filter(pk=p8.pk).update(external_id="")
    Credential.objects.filter(pk=e8.pk).update(external_id="")
    return {"e8": e8.pk, "p8": p8.pk}


def run(body, text: str, **kwargs):
    return import_csv(organization=body, data=text.encode(), dry_run=False, **kwargs)


def outcome(body, text: str, *, dry_run: bool, staged: bool, monkeypatch, user=None):
    """What one import reports and leaves, rolled back afterwards so both paths start alike."""
    monkeypatch.setattr(
        importing, "STAGED_KINDS", frozenset({"credentials"}) if staged else frozenset()
    )
    events_before = set(StatusEvent.objects.values_list("pk", flat=True))
    audit_before = set(Event.objects.values_list("pk", flat=True))
    with transaction.atomic():
        report = import_csv(
            organization=body, data=io.BytesIO(text.encode()), dry_run=dry_run, acting_user=user
        )
        credentials = sorted(
            Credential.objects.filter(program__organization=body).values_list(
                "program_id",
                "number",
                "external_id",
                "holder_id",
                "status",
                "issued_on",
                "expires_on",
                "suspended_until",
                "conditions",
                "created_by_id",
            )
        )
        events = [
            _event(e)
            for e in StatusEvent.objects.exclude(pk__in=events_before)
            .select_related("credential")
            .order_by("pk")
        ]
        audits = [
            (e.action, e.subject_type, e.subject_id, e.actor_id, e.data)
            for e in Event.objects.exclude(pk__in=audit_before).order_by("pk")
        ]
        transaction.set_rollback(True)
    return {
        "report": (
            report.kind,
            report.rows,
            report.created,
            report.updated,
            report.unchanged,
            [str(e) for e in report.errors],
            [(e.line, e.column, e.reason) for e in report.errors],
            report.summary(),
        ),
        "credentials": credentials,
        "events": events,
        "audit": audits,
    }


def _event(e: StatusEvent) -> tuple:
    return (
        e.credential.number,
        e.from_status,
        e.to_status,
        e.effective_date,
        e.reason,
        e.decision_ref,
        e.automatic,
        e.actor_id,
    )


def both(body, text, monkeypatch, *, dry_run=False, user=None):
    old = outcome(body, text, dry_run=dry_run, staged=False, monkeypatch=monkeypatch, user=user)
    new = outcome(body, text, dry_run=dry_run, staged=True, monkeypatch=monkeypatch, user=user)
    return old, new


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_file_of_every_kind_of_bad_row_is_reported_alike_and_writes_nothing(
    body, register, monkeypatch, dry_run
):
    old, new = both(body, bad_file(register["e8"]), monkeypatch, dry_run=dry_run)
    assert new == old
    errors = new["report"][6]
    # Every bad row is named; the good ones, the first of two live ones and blank lines are not.
    assert {line for line, _c, _r in errors} == set(range(5, 34)) | {35, 36, 37, 40}
    assert new["events"] == [] and new["audit"] == []


def test_a_good_file_writes_the_same_records_events_and_audit(
    body, register, monkeypatch, django_user_model
):
    user = django_user_model.objects.create_user("staff-importer")
    old, new = both(body, good_file(register["e8"], register["p8"]), monkeypatch, user=user)
    assert new == old
    assert new["report"][1:5] == (11, 6, 3, 2)
    today = timezone.localdate()
    assert ("CPX-N2", "", "suspended", today, "Imported", "EC-N2", False, user.pk) in new["events"]
    assert ("CPX-E1", "active", "suspended", today, "CSV import", "EC-1", False, user.pk) in new[
        "events"
    ]


def test_a_second_import_of_the_same_file_changes_nothing_alike(body, register, monkeypatch):
    text = good_file(register["e8"], register["p8"])
    assert run(body, text).ok
    old, new = both(body, text, monkeypatch)
    assert new == old
    assert new["report"][2:5] == (0, 0, 11)


# The cells PostgreSQL checks and converts itself (`staged_cells`) beside those it leaves to Python
# (spaces around a value, a formula's escape, a date of another form, non-ASCII letters), and the
# days on which a status and its dates stop agreeing: both importers must see them alike.
def plain_and_not_file(p8: int) -> str:
    rows = [
        f"n-40,cpx-n40,CPX,P-9,Active,2024-02-29,{day(NEXT_YEAR)},,Supervised (weekly).,",
        " N-41 , CPX-N41 ,cpx , P-10 ,candidate ,,,,  spaced  ,",
        "N-42,CPX-N42,cpx,P-11,revoked,,,,'=SUM(1),EC-42",
        f"N-43,CPX-N43,cpx,P-12,inactive,{day(LONG_AGO)},{day(NEXT_YEAR)},,Bedingungen: Überwachung,EC/43",
        f"N-44,CPX-N44,cpx,ombuds:{p8},revoked,,,,,EC-44",
        f"N-45,CPX-N45,cpx,P-6,suspended,{day(LONG_AGO)},{day(NEXT_YEAR)},{day(SOON)},ends with a space ,EC-45",
        f"N-46,cpx_n.46-a,cpx,P-1,surrendered,{day(LONG_AGO)},{day(PAST)},,,",
        f"N-47,CPX-N47,cpx,P-2,revoked,{day(LONG_AGO)},{day(YESTERDAY)},,,EC-47",
    ]
    return HEADER + "\n".join(rows) + "\n"


def bad_cells_file() -> str:
    rows = [
        "N-50,CPX-N50,cpx,P-9,candidate,2023-02-29,,,,",  # no such day
        "N-51,CPX-N51,cpx,P-9,candidate,0000-01-01,,,,",  # no year 0
        "N-52,CPX-N52,cpx,P-9,candidate,2024-1-01,,,,",  # not of the form
        "N-53,CPX-N53,cpx,P-9,candidate,２０２４-01-01,,,,",  # digits, not ASCII ones
        "N-54,CPX-Ñ54,cpx,P-9,candidate,,,,,",  # a number that cannot be public
        "N-55,CPX-N55,cpx,P-9,actıve,,,,,",  # not a status
        "N-56,CPX-N56,cpx,P-9,candidate,2024-04-31,,,,",  # no such day
        f"N-57,CPX-N57,cpx,P-9,active,{day(LONG_AGO)},{day(YESTERDAY)},,,",  # past its expiry yesterday
        f"N-58,CPX-N58,cpx,P-9,expired,{day(LONG_AGO)},{day()},,,",  # expires today
        f"N-59,CPX-N59,cpx,P-10,active,{day(LONG_AGO)},{day()},,,",  # good: expires today
        f"N-60,CPX-N60,cpx,P-11,suspended,{day(LONG_AGO)},{day(NEXT_YEAR)},{day()},,EC",  # ends
        "N-61,cpx-n61 ,cpx,P-12,candidate,,,,,",  # good once its space is gone
        "N-62,CPX-N62,cpx,P-12,candidate,,,,,",  # P-12's second live credential
        f"N-63,CPX-N63,CPX ,P-10,candidate,,,{day()},,",  # a suspension's end
        f"N-64,{'N' * 50},cpx,P-10,candidate,,,,,",  # 50 characters: good, but P-10 again
        "N-65,CPX-N65,cpx,P-10,Candidate,,,,Ends with Ω,",  # P-10 again
    ]
    return HEADER + "\n".join(rows) + "\n"


def test_cells_checked_in_sql_or_in_python_write_alike(body, register, monkeypatch):
    old, new = both(body, plain_and_not_file(register["p8"]), monkeypatch)
    assert new == old
    assert new["report"][5] == [] and new["report"][2] == 8


@pytest.mark.parametrize("dry_run", [False, True])
def test_cells_checked_in_sql_or_in_python_are_reported_alike(body, register, monkeypatch, dry_run):
    old, new = both(body, bad_cells_file(), monkeypatch, dry_run=dry_run)
    assert new == old
    bad = {line for line, _c, _r in new["report"][6]}
    assert {2, 3, 4, 6, 7, 8, 9, 10, 12, 14, 15, 16, 17} <= bad
    assert not {11, 13} & bad  # good rows: expiring today, a number with a space after it
