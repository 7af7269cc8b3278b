"""membership_transition: a membership's status changes only as its lifecycle allows, each change
dated, reasoned and recorded once."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.register.lifecycle import MEMBERSHIP_TRANSITIONS, TransitionRefused
from ombuds.register.models import Membership, StatusEvent
from ombuds.register.services import apply_due_transitions, membership_transition

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 3)
REQUIREMENTS = {
    "until": dt.date(2025, 9, 1),
    "decision_ref": "BD-2025-3",
    "renewal_date": dt.date(2026, 3, 1),
}
SUSPENSION = {"until": REQUIREMENTS["until"], "decision_ref": REQUIREMENTS["decision_ref"]}
MANUAL_ROWS = [t for t in MEMBERSHIP_TRANSITIONS if not t.automatic]
MANUAL_PAIRS = {(t.source, t.target) for t in MANUAL_ROWS}
STATUSES = Membership.Status.values


def _snapshot(membership: Membership) -> tuple:
    m = Membership.objects.get(pk=membership.pk)
    return (
        m.status,
        m.start_date,
        m.renewal_date,
        m.suspended_until,
        m.updated_at,
        m.events.count(),
    )


def _transition(membership, to_status, **kwargs):
    return membership_transition(
        membership=membership,
        to_status=to_status,
        effective_date=kwargs.pop("effective_date", ON),
        reason=kwargs.pop("reason", "Decided by the board"),
        **kwargs,
    )


@pytest.mark.parametrize("row", MANUAL_ROWS, ids=[f"{t.source}->{t.target}" for t in MANUAL_ROWS])
def test_every_manual_move_succeeds_from_its_source_and_records_one_event(
    row, make_membership, staff_user
):
    membership = make_membership(row.source)
    given = {name: REQUIREMENTS[name] for name in row.requires}

    changed = _transition(
        membership, row.target, acting_user=staff_user, expected_status=row.source, **given
    )

    assert changed.status == row.target
    assert Membership.objects.get(pk=membership.pk).status == row.target
    [event] = StatusEvent.objects.filter(membership=membership)
    assert (
        event.from_status,
        event.to_status,
        event.effective_date,
        event.reason,
        event.decision_ref,
        event.actor,
        event.automatic,
        event.credential_id,
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


@pytest.mark.parametrize(
    ("source", "target"),
    [p for p in itertools.permutations(STATUSES, 2) if p not in MANUAL_PAIRS],
    ids=lambda value: value,
)
def test_a_move_the_table_does_not_list_is_refused_and_changes_nothing(
    source, target, make_membership
):
    membership = make_membership(source)
    before = _snapshot(membership)
    with pytest.raises(TransitionRefused, match="cannot"):
        _transition(membership, target, **REQUIREMENTS)
    assert _snapshot(membership) == before
    assert not StatusEvent.objects.exists()


@pytest.mark.parametrize("final", ["expelled", "resigned"])
def test_an_expelled_or_resigned_membership_never_changes(final, make_membership):
    membership = make_membership(final)
    with pytest.raises(TransitionRefused, match=f"{final} is final"):
        _transition(membership, "active")


@pytest.mark.parametrize(("source", "target"), [("active", "grace"), ("grace", "lapsed")])
def test_staff_cannot_start_the_grace_period_or_lapse_a_membership_by_hand(
    source, target, make_membership
):
    with pytest.raises(TransitionRefused, match="automatically on its date"):
        _transition(make_membership(source), target)


def test_admission_sets_the_start_date_to_the_effective_date(make_membership):
    membership = _transition(make_membership("applicant"), "active")
    membership.refresh_from_db()
    assert membership.start_date == ON


def test_reinstating_a_member_keeps_the_original_start_date(make_membership):
    membership = _transition(
        make_membership("lapsed"), "active", renewal_date=REQUIREMENTS["renewal_date"]
    )
    membership.refresh_from_db()
    assert membership.start_date == dt.date(2020, 7, 1)


def test_a_suspension_records_its_end_and_ending_it_clears_it(make_membership):
    membership = _transition(make_membership("active"), "suspended", **SUSPENSION)
    membership.refresh_from_db()
    assert membership.suspended_until == REQUIREMENTS["until"]
    _transition(membership, "active", effective_date=dt.date(2025, 4, 1))
    membership.refresh_from_db()
    assert (membership.status, membership.suspended_until) == ("active", None)


def test_a_renewal_date_given_with_a_move_that_does_not_renew_is_refused(make_membership):
    membership = make_membership("active")
    with pytest.raises(TransitionRefused, match="only when the membership becomes active"):
        _transition(membership, "resigned", renewal_date=dt.date(2026, 3, 1))
    assert Membership.objects.get(pk=membership.pk).status == "active"


@pytest.mark.parametrize(
    ("given", "missing"),
    [({"decision_ref": "BD-3"}, "until"), ({"until": dt.date(2025, 9, 1)}, "decision_ref")],
)
def test_a_suspension_needs_its_end_and_its_decision(given, missing, make_membership):
    membership = make_membership("active")
    with pytest.raises(TransitionRefused, match=f"requires {missing}$"):
        _transition(membership, "suspended", **given)
    assert Membership.objects.get(pk=membership.pk).status == "active"


def test_an_expulsion_needs_its_decision(make_membership):
    with pytest.raises(TransitionRefused, match="requires decision_ref"):
        _transition(make_membership("active"), "expelled")


def test_a_suspension_must_end_after_it_starts(make_membership):
    with pytest.raises(TransitionRefused, match="must end after it starts"):
        _transition(make_membership("active"), "suspended", until=ON, decision_ref="BD-3")


def test_a_change_needs_a_reason(make_membership):
    membership = make_membership("active")
    with pytest.raises(TransitionRefused, match="needs a reason"):
        _transition(membership, "resigned", reason=" ")
    assert not membership.events.exists()


def test_a_stale_change_is_refused(make_membership):
    membership = make_membership("active")
    _transition(membership, "resigned")
    with pytest.raises(TransitionRefused, match="is now resigned, not active: someone changed it"):
        _transition(membership, "suspended", expected_status="active", **SUSPENSION)
    assert membership.events.count() == 1


def test_a_change_dated_in_the_future_is_refused(make_membership):
    membership = make_membership("active")
    with pytest.raises(TransitionRefused, match="is in the future"):
        _transition(
            membership, "resigned", effective_date=timezone.localdate() + dt.timedelta(days=2)
        )


def test_a_membership_has_one_holder_a_person_or_an_agency(make_membership):
    membership = make_membership("active")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(person=None)


def test_a_renewed_membership_stays_active_until_its_next_renewal_date(make_membership):
    membership = make_membership("grace", renewal_date=dt.date(2025, 1, 31))
    _transition(
        membership, "active", effective_date=dt.date(2025, 2, 15), renewal_date=dt.date(2026, 1, 31)
    )
    apply_due_transitions(today=dt.date(2025, 2, 16))
    assert Membership.objects.get(pk=membership.pk).status == "active"
