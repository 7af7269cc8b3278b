"""apply_due_transitions: expiry, lapse and ends of suspension happen on their date, through the daily
task, whoever looks or not; running it twice changes nothing; a record someone changed meanwhile is
left as they left it.

The dates, pinned here: a credential expiring on D is active on D and expired from D + 1; with a
90-day grace period it is still expired on D + 90 and lapsed from D + 91. A suspension until S ends
on S. A membership due for renewal on R is in grace from R + 1 and lapsed from R + 61.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombuds.register import services
from ombuds.register.models import Credential, CredentialProgram, Membership, StatusEvent
from ombuds.register.services import MEMBERSHIP_GRACE_DAYS, apply_due_transitions
from ombuds.register.tasks import apply_due_transitions_task

pytestmark = pytest.mark.django_db

D = dt.date(2025, 6, 30)  # the factories' expiry and renewal date
DAY = dt.timedelta(days=1)
NOTHING = {
    "expired": 0,
    "lapsed": 0,
    "reinstated": 0,
    "grace": 0,
    "membership_lapsed": 0,
    "membership_reinstated": 0,
}
# Finding what is due: one query for the programs' grace periods and one per kind of change (six).
FIND_QUERIES = 7
# Each change: savepoint, lock, latest event date, update, event, release; and its entry on the audit
# log: savepoint, lock the chain's head, the body's current data key (its details are sealed),
# insert, move the head, release.
QUERIES_PER_CHANGE = 12
# Once: the body's data key, made by its first sealed value (savepoint, lock, look, insert, release).
FIRST_KEY_QUERIES = 5


def _status(obj) -> str:
    return type(obj).objects.get(pk=obj.pk).status


def _run(today: dt.date, **expected) -> None:
    assert apply_due_transitions(today=today) == {**NOTHING, **expected}


# --- credentials -------------------------------------------------------------------------------


def test_a_credential_is_active_on_its_expiry_date_and_expired_the_day_after(make_credential):
    credential = make_credential("active", expires_on=D)

    _run(D)
    assert _status(credential) == "active"
    assert not credential.events.exists()

    _run(D + DAY, expired=1)
    assert _status(credential) == "expired"
    event = credential.events.get()
    assert (event.from_status, event.to_status, event.effective_date) == (
        "active",
        "expired",
        D + DAY,
    )
    assert (event.automatic, event.actor, event.decision_ref) == (True, None, "")
    assert event.reason == "Reached its expiry date without recertification"


def test_an_expired_credential_lapses_the_day_after_its_programs_grace_period(make_credential):
    credential = make_credential("expired", expires_on=D)

    _run(D + 90 * DAY)
    assert _status(credential) == "expired"

    _run(D + 91 * DAY, lapsed=1)
    assert _status(credential) == "lapsed"
    event = credential.events.get()
    assert (event.from_status, event.to_status, event.effective_date, event.automatic) == (
        "expired",
        "lapsed",
        D + 91 * DAY,
        True,
    )
    assert event.reason == "Not reinstated within the 90-day grace period"


def test_each_program_has_its_own_grace_period(make_credential, program):
    short = CredentialProgram.objects.create(
        organization=program.organization, code="short", name="Short", grace_days=10
    )
    long_grace = make_credential("expired", expires_on=D)
    short_grace = make_credential("expired", program=short, expires_on=D)

    _run(D + 11 * DAY, lapsed=1)

    assert (_status(long_grace), _status(short_grace)) == ("expired", "lapsed")
    assert short_grace.events.get().effective_date == D + 11 * DAY


def test_a_suspension_ends_on_its_end_date(make_credential):
    credential = make_credential("suspended", suspended_until=D)

    _run(D - DAY)
    assert _status(credential) == "suspended"

    _run(D, reinstated=1)
    credential.refresh_from_db()
    assert (credential.status, credential.suspended_until) == ("active", None)
    event = credential.events.get()
    assert (event.from_status, event.to_status, event.effective_date, event.automatic) == (
        "suspended",
        "active",
        D,
        True,
    )


def test_a_task_that_missed_days_catches_up_with_each_change_on_its_own_date(make_credential):
    credential = make_credential("active", expires_on=D)

    _run(D + 200 * DAY, expired=1, lapsed=1)

    assert _status(credential) == "lapsed"
    assert [(e.to_status, e.effective_date) for e in credential.events.all()] == [
        ("expired", D + DAY),
        ("lapsed", D + 91 * DAY),
    ]


def test_a_suspension_that_outlasts_the_expiry_date_ends_in_expiry_the_same_day(make_credential):
    credential = make_credential("suspended", expires_on=D, suspended_until=D + 30 * DAY)

    _run(D + 30 * DAY, reinstated=1)

    assert _status(credential) == "expired"
    # One step, dated the end of the suspension: never a day of being active in between.
    assert list(credential.events.values_list("from_status", "to_status", "effective_date")) == [
        ("suspended", "expired", D + 30 * DAY)
    ]


def test_an_inactive_credential_expires_the_day_after_its_expiry_date(make_credential):
    credential = make_credential("inactive", expires_on=D)
    _run(D, expired=0)
    _run(D + DAY, expired=1)
    assert _status(credential) == "expired"


@pytest.mark.parametrize(
    ("status", "dates"),
    [
        ("candidate", {}),
        ("active", {"expires_on": None}),
        ("inactive", {"expires_on": None}),
        ("revoked", {}),
        ("surrendered", {}),
        ("lapsed", {}),
    ],
)
def test_records_with_nothing_due_are_left_alone(status, dates, make_credential):
    credential = make_credential(status, **dates)
    _run(D + 1000 * DAY)
    assert _status(credential) == status
    assert not credential.events.exists()


# --- memberships -------------------------------------------------------------------------------


def test_a_membership_enters_grace_the_day_after_its_renewal_date_and_lapses_after_it(
    make_membership,
):
    membership = make_membership("active", renewal_date=D)

    _run(D)
    assert _status(membership) == "active"

    _run(D + DAY, grace=1)
    assert _status(membership) == "grace"

    _run(D + MEMBERSHIP_GRACE_DAYS * DAY)
    assert _status(membership) == "grace"

    _run(D + (MEMBERSHIP_GRACE_DAYS + 1) * DAY, membership_lapsed=1)
    assert _status(membership) == "lapsed"
    assert [
        (e.from_status, e.to_status, e.effective_date, e.automatic) for e in membership.events.all()
    ] == [
        ("active", "grace", D + DAY, True),
        ("grace", "lapsed", D + 61 * DAY, True),
    ]


def test_a_membership_suspension_ends_on_its_end_date(make_membership):
    membership = make_membership("suspended", suspended_until=D, renewal_date=None)

    _run(D - DAY)
    assert _status(membership) == "suspended"

    _run(D, membership_reinstated=1)
    membership.refresh_from_db()
    assert (membership.status, membership.suspended_until) == ("active", None)
    assert membership.events.get().effective_date == D


def test_a_membership_without_a_renewal_date_stays_active(make_membership):
    membership = make_membership("active", renewal_date=None)
    _run(D + 1000 * DAY)
    assert _status(membership) == "active"


# --- idempotence, concurrency, counts ----------------------------------------------------------


def _register(make_credential, make_membership) -> None:
    """One record of each kind due on D + 100, and one not due."""
    make_credential("active", expires_on=D + 99 * DAY)  # expires
    make_credential("expired", expires_on=D)  # lapses (grace ended on D + 90)
    make_credential("suspended", suspended_until=D + 100 * DAY, expires_on=D + 900 * DAY)
    make_credential("active", expires_on=D + 100 * DAY)  # still valid today
    make_membership("active", renewal_date=D + 50 * DAY)  # grace
    make_membership("grace", renewal_date=D + 30 * DAY)  # lapses (grace ended on D + 90)
    make_membership("suspended", suspended_until=D + 100 * DAY, renewal_date=D + 900 * DAY)


def test_the_counts_say_what_changed(make_credential, make_membership):
    _register(make_credential, make_membership)

    counts = apply_due_transitions(today=D + 100 * DAY)

    assert counts == {
        "expired": 1,
        "lapsed": 1,
        "reinstated": 1,
        "grace": 1,
        "membership_lapsed": 1,
        "membership_reinstated": 1,
    }
    assert StatusEvent.objects.filter(automatic=True).count() == 6


def test_running_twice_the_same_day_changes_nothing(make_credential, make_membership):
    _register(make_credential, make_membership)
    apply_due_transitions(today=D + 100 * DAY)
    credentials = list(Credential.objects.values_list("pk", "status", "updated_at"))
    memberships = list(Membership.objects.values_list("pk", "status", "updated_at"))
    events = StatusEvent.objects.count()

    assert apply_due_transitions(today=D + 100 * DAY) == NOTHING

    assert list(Credential.objects.values_list("pk", "status", "updated_at")) == credentials
    assert list(Membership.objects.values_list("pk", "status", "updated_at")) == memberships
    assert StatusEvent.objects.count() == events


def test_a_credential_changed_between_the_query_and_the_change_is_skipped(
    make_credential, monkeypatch, staff_user
):
    credential = make_credential("active", expires_on=D)
    real = services.credential_transition

    def staff_got_there_first(**kwargs):
        # Between the task's query and its lock, staff made the credential inactive.
        real(
            credential=kwargs["credential"],
            to_status="inactive",
            effective_date=D,
            reason="At the holder's request",
            acting_user=staff_user,
        )
        return real(**kwargs)

    monkeypatch.setattr(services.due, "credential_transition", staff_got_there_first)

    _run(D + DAY)  # counts nothing: the staff change stands

    assert _status(credential) == "inactive"
    assert [(e.to_status, e.automatic) for e in credential.events.all()] == [("inactive", False)]


def test_a_membership_changed_between_the_query_and_the_change_is_skipped(
    make_membership, monkeypatch
):
    membership = make_membership("active", renewal_date=D)
    real = services.membership_transition

    def member_resigned_first(**kwargs):
        real(
            membership=kwargs["membership"],
            to_status="resigned",
            effective_date=D,
            reason="Resigned",
        )
        return real(**kwargs)

    monkeypatch.setattr(services.due, "membership_transition", member_resigned_first)

    _run(D + DAY)

    assert _status(membership) == "resigned"
    assert [e.to_status for e in membership.events.all()] == ["resigned"]


def test_the_daily_task_runs_the_same_service(make_credential):
    # The task runs for today, in real time.
    credential = make_credential("active", expires_on=timezone.localdate() - DAY)
    assert apply_due_transitions_task.call()["expired"] == 1
    assert _status(credential) == "expired"


# --- queries ------------------------------------------------------------------------------------


def test_finding_what_is_due_takes_the_same_queries_for_one_program_or_many(
    make_credential, program
):
    make_credential("expired", expires_on=D)
    with CaptureQueriesContext(connection) as one_program:
        apply_due_transitions(today=D + DAY)

    for n in range(10):
        other = CredentialProgram.objects.create(
            organization=program.organization, code=f"p{n}", name=f"P{n}", grace_days=30 + n
        )
        make_credential("expired", program=other, expires_on=D + 900 * DAY)  # not due
    with CaptureQueriesContext(connection) as eleven_programs:
        apply_due_transitions(today=D + DAY)

    assert len(one_program) == len(eleven_programs) == FIND_QUERIES


def test_queries_are_bounded_per_change(
    make_credential, make_membership, django_assert_max_num_queries
):
    for _ in range(5):
        _register(make_credential, make_membership)
    changes = 5 * 6

    budget = FIND_QUERIES + QUERIES_PER_CHANGE * changes + FIRST_KEY_QUERIES
    with django_assert_max_num_queries(budget):
        counts = apply_due_transitions(today=D + 100 * DAY)

    assert sum(counts.values()) == changes
