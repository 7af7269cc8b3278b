"""What credential_transition and membership_transition share: one lifecycle implementation, tested
once for each subject. What is a credential's or a membership's own stays in
test_credential_transition.py and test_membership_transition.py."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import StatusEvent
from ombuds.register.services import credential_transition, membership_transition
from ombuds.register.subjects import CREDENTIAL, MEMBERSHIP, LifecycleSubject

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 3)
SUBJECTS = [CREDENTIAL, MEMBERSHIP]
SERVICES = {"credential": credential_transition, "membership": membership_transition}
# Everything a move may require, for each subject (the due date by the subject's own name).
REQUIREMENTS = {
    "credential": {
        "until": dt.date(2025, 9, 1),
        "decision_ref": "EC-2025-7",
        "expires_on": dt.date(2028, 3, 3),
    },
    "membership": {
        "until": dt.date(2025, 9, 1),
        "decision_ref": "BD-2025-3",
        "renewal_date": dt.date(2026, 3, 1),
    },
}
# A manual move from active that requires nothing.
PLAIN_MOVE = {"credential": "inactive", "membership": "resigned"}
# The moves only the daily task takes.
AUTOMATIC_MOVES = [
    (CREDENTIAL, "active", "expired"),
    (CREDENTIAL, "expired", "lapsed"),
    (MEMBERSHIP, "active", "grace"),
    (MEMBERSHIP, "grace", "lapsed"),
]


def _manual(subject: LifecycleSubject):
    return [t for t in subject.transitions if not t.automatic]


def _ids(value) -> str:
    return value.name if isinstance(value, LifecycleSubject) else str(value)


@pytest.fixture(params=SUBJECTS, ids=lambda s: s.name)
def subject(request) -> LifecycleSubject:
    return request.param


@pytest.fixture
def make(make_credential, make_membership):
    """make(subject, status, **dates) → a credential or membership in that state."""
    factories = {"credential": make_credential, "membership": make_membership}
    return lambda subject, status="active", **dates: factories[subject.name](status, **dates)


def _transition(subject: LifecycleSubject, record, to_status, **kwargs):
    return SERVICES[subject.name](
        **{subject.name: record},
        to_status=to_status,
        effective_date=kwargs.pop("effective_date", ON),
        reason=kwargs.pop("reason", "Decided by the board"),
        **kwargs,
    )


def _snapshot(subject: LifecycleSubject, record) -> tuple:
    record = subject.model.objects.get(pk=record.pk)
    return (
        record.status,
        getattr(record, subject.start_field),
        getattr(record, subject.due_field),
        record.suspended_until,
        record.updated_at,
        record.events.count(),
    )


# --- every allowed move ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "row"),
    [(s, row) for s in SUBJECTS for row in _manual(s)],
    ids=[f"{s.name}:{row.source}->{row.target}" for s in SUBJECTS for row in _manual(s)],
)
def test_every_manual_move_succeeds_from_its_source_and_records_one_event(
    subject, row, make, staff_user
):
    record = make(subject, row.source)
    given = {name: REQUIREMENTS[subject.name][name] for name in row.requires}

    changed = _transition(
        subject,
        record,
        row.target,
        reason="  Decided by the board  ",
        acting_user=staff_user,
        expected_status=row.source,
        **given,
    )

    assert changed.status == row.target
    assert subject.model.objects.get(pk=record.pk).status == row.target
    [event] = StatusEvent.objects.filter(**{subject.name: record})
    other = "membership" if subject is CREDENTIAL else "credential"
    assert (
        event.from_status,
        event.to_status,
        event.effective_date,
        event.reason,
        event.decision_ref,
        event.actor,
        event.automatic,
        getattr(event, f"{other}_id"),
    ) == (
        row.source,
        row.target,
        ON,
        "Decided by the board",
        given.get("decision_ref", ""),
        staff_user,
        False,
        None,
    )


def test_a_suspension_records_its_end_and_ending_it_clears_it(subject, make):
    record = _transition(
        subject, make(subject, "active"), "suspended", until=dt.date(2025, 9, 1), decision_ref="D-7"
    )
    record.refresh_from_db()
    assert record.suspended_until == dt.date(2025, 9, 1)

    _transition(subject, record, "active", effective_date=dt.date(2025, 4, 1))
    record.refresh_from_db()
    assert (record.status, record.suspended_until) == ("active", None)


# --- every refused move ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "source", "target"),
    [
        (s, source, target)
        for s in SUBJECTS
        for source, target in itertools.permutations(s.statuses, 2)
        if (source, target) not in {(t.source, t.target) for t in _manual(s)}
    ],
    ids=_ids,
)
def test_a_move_the_table_does_not_list_is_refused_and_changes_nothing(
    subject, source, target, make, staff_user
):
    record = make(subject, source)
    before = _snapshot(subject, record)

    with pytest.raises(TransitionRefused, match="cannot"):
        # Everything any move could require is given: the table alone refuses.
        _transition(subject, record, target, acting_user=staff_user, **REQUIREMENTS[subject.name])

    assert _snapshot(subject, record) == before
    assert not StatusEvent.objects.exists()


@pytest.mark.parametrize(("subject", "source", "target"), AUTOMATIC_MOVES, ids=_ids)
def test_staff_cannot_take_a_move_of_the_daily_task_by_hand(subject, source, target, make):
    record = make(subject, source)
    with pytest.raises(TransitionRefused) as refused:
        _transition(subject, record, target)
    assert str(refused.value).startswith(f"{source} cannot become {target} by hand")
    assert "automatically on its date by the daily task" in str(refused.value)
    assert not record.events.exists()


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"decision_ref": "D-7"}, "until"),
        ({"until": dt.date(2025, 9, 1)}, "decision_ref"),
        ({"until": dt.date(2025, 9, 1), "decision_ref": "   "}, "decision_ref"),
        ({}, "decision_ref, until"),
    ],
)
def test_a_suspension_needs_its_end_and_its_decision(subject, given, missing, make):
    record = make(subject, "active")
    with pytest.raises(TransitionRefused, match=f"requires {missing}$"):
        _transition(subject, record, "suspended", **given)
    record.refresh_from_db()
    assert (record.status, record.suspended_until) == ("active", None)


@pytest.mark.parametrize("until", [ON, ON - dt.timedelta(days=1)])
def test_a_suspension_must_end_after_it_starts(subject, until, make):
    record = make(subject, "active")
    with pytest.raises(TransitionRefused, match="must end after it starts"):
        _transition(subject, record, "suspended", until=until, decision_ref="D-7")
    assert subject.model.objects.get(pk=record.pk).status == "active"


def test_a_due_date_is_not_changed_on_the_side_of_another_move(subject, make):
    record = make(subject, "active")
    before = _snapshot(subject, record)
    with pytest.raises(TransitionRefused, match=f"only when the {subject.name} becomes active"):
        _transition(
            subject, record, PLAIN_MOVE[subject.name], **{subject.due_field: dt.date(2030, 1, 1)}
        )
    assert _snapshot(subject, record) == before


@pytest.mark.parametrize("reason", ["", " ", "   \n"])
def test_a_change_needs_a_reason(subject, reason, make):
    record = make(subject, "active")
    with pytest.raises(TransitionRefused, match="needs a reason"):
        _transition(subject, record, PLAIN_MOVE[subject.name], reason=reason)
    assert not record.events.exists()


def test_a_stale_change_is_refused(subject, make):
    record = make(subject, "active")
    # Someone else suspended it after this person loaded the page.
    _transition(subject, record, "suspended", until=dt.date(2025, 9, 1), decision_ref="D-7")

    with pytest.raises(TransitionRefused) as refused:
        _transition(subject, record, PLAIN_MOVE[subject.name], expected_status="active")

    assert str(refused.value) == (
        f"{subject.name} {record.number} is now suspended, not active: "
        "someone changed it meanwhile; reload and try again"
    )
    assert subject.model.objects.get(pk=record.pk).status == "suspended"
    assert record.events.count() == 1


@pytest.mark.parametrize("days", [1, 2])
def test_a_change_dated_in_the_future_is_refused(subject, days, make):
    record = make(subject, "active")
    ahead = timezone.localdate() + dt.timedelta(days=days)
    with pytest.raises(TransitionRefused, match="is in the future"):
        _transition(subject, record, PLAIN_MOVE[subject.name], effective_date=ahead)
    assert subject.model.objects.get(pk=record.pk).status == "active"


def test_the_status_and_its_event_are_written_together_or_not_at_all(subject, make, monkeypatch):
    record = make(subject, "active")
    before = _snapshot(subject, record)

    def fail(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(StatusEvent.objects, "create", fail)
    with pytest.raises(RuntimeError):
        _transition(subject, record, PLAIN_MOVE[subject.name])
    assert _snapshot(subject, record) == before
