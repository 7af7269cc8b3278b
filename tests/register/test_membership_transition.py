"""membership_transition: what is a membership's own (the moves both subjects share are tested once
for each in test_lifecycle_transition.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Membership
from ombuds.register.services import apply_due_transitions, membership_transition

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 3)
REQUIREMENTS = {
    "until": dt.date(2025, 9, 1),
    "decision_ref": "BD-2025-3",
    "renewal_date": dt.date(2026, 3, 1),
}


def _transition(membership, to_status, **kwargs):
    return membership_transition(
        membership=membership,
        to_status=to_status,
        effective_date=kwargs.pop("effective_date", ON),
        reason=kwargs.pop("reason", "Decided by the board"),
        **kwargs,
    )


@pytest.mark.parametrize("final", ["expelled", "resigned"])
def test_an_expelled_or_resigned_membership_never_changes(final, make_membership):
    membership = make_membership(final)
    with pytest.raises(TransitionRefused, match=f"{final} is final"):
        _transition(membership, "active")


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


def test_an_expulsion_needs_its_decision(make_membership):
    with pytest.raises(TransitionRefused, match="requires decision_ref"):
        _transition(make_membership("active"), "expelled")


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
