"""credential_transition: staff (and the API, the pages, the import) change a credential's status only
as the lifecycle allows, each change dated, reasoned and recorded once; and the database holds the
credential invariants even for code that bypasses the service. The moves both subjects share are
tested once for each in test_lifecycle_transition.py; what is a credential's own is here."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Credential, StatusEvent
from ombuds.register.services import credential_transition

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 3)
REQUIREMENTS = {
    "until": dt.date(2025, 9, 1),
    "decision_ref": "EC-2025-7",
    "expires_on": dt.date(2028, 3, 3),
}
STATUSES = Credential.Status.values


def _snapshot(credential: Credential) -> tuple:
    credential = Credential.objects.get(pk=credential.pk)
    return (
        credential.status,
        credential.issued_on,
        credential.expires_on,
        credential.suspended_until,
        credential.updated_at,
        credential.events.count(),
    )


def _transition(credential, to_status, **kwargs):
    return credential_transition(
        credential=credential,
        to_status=to_status,
        effective_date=kwargs.pop("effective_date", ON),
        reason=kwargs.pop("reason", "Decided by the board"),
        **kwargs,
    )


# --- every allowed move ------------------------------------------------------------------------


def test_certifying_a_candidate_sets_the_issue_date_to_the_effective_date(make_credential):
    credential = _transition(make_credential("candidate"), "active", expires_on=dt.date(2028, 3, 3))
    credential.refresh_from_db()
    assert (credential.issued_on, credential.expires_on) == (ON, dt.date(2028, 3, 3))


def test_revoking_a_suspended_credential_clears_the_suspension_end(make_credential):
    credential = _transition(make_credential("suspended"), "revoked", decision_ref="EC-9")
    credential.refresh_from_db()
    assert (credential.status, credential.suspended_until) == ("revoked", None)


@pytest.mark.parametrize("source", ["expired", "lapsed"])
def test_reinstatement_sets_the_new_expiry_date(source, make_credential):
    credential = make_credential(source, expires_on=dt.date(2024, 12, 31))
    _transition(credential, "active", expires_on=dt.date(2028, 3, 3))
    credential.refresh_from_db()
    assert (credential.status, credential.expires_on) == ("active", dt.date(2028, 3, 3))


def test_a_change_dated_today_is_accepted(make_credential):
    today = timezone.localdate()
    credential = _transition(
        make_credential("active", expires_on=None), "inactive", effective_date=today
    )
    assert credential.events.get().effective_date == today


def test_without_a_signed_in_user_the_event_has_no_actor(make_credential):
    credential = _transition(make_credential("active"), "inactive", acting_user=AnonymousUser())
    assert credential.events.get().actor is None


# --- every refused move ------------------------------------------------------------------------


@pytest.mark.parametrize("target", [s for s in STATUSES if s != "revoked"])
def test_a_revoked_credential_never_changes(target, make_credential):
    credential = make_credential("revoked")
    before = _snapshot(credential)
    for automatic in (False, True):
        with pytest.raises(TransitionRefused, match="revoked credential cannot change"):
            _transition(credential, target, automatic=automatic, **REQUIREMENTS)
    assert _snapshot(credential) == before


def test_a_status_cannot_be_set_to_what_it_already_is(make_credential):
    with pytest.raises(TransitionRefused, match="already active"):
        _transition(make_credential("active"), "active")


@pytest.mark.parametrize("source", ["expired", "lapsed"])
def test_reinstatement_from_expired_or_lapsed_needs_a_new_expiry_date(source, make_credential):
    credential = make_credential(source)
    with pytest.raises(TransitionRefused, match="requires expires_on"):
        _transition(credential, "active")
    assert Credential.objects.get(pk=credential.pk).status == source


@pytest.mark.parametrize("expires_on", [ON, ON - dt.timedelta(days=1)])
def test_the_new_expiry_date_must_come_after_the_reinstatement(expires_on, make_credential):
    credential = make_credential("expired")
    with pytest.raises(TransitionRefused, match="must come after the reinstatement"):
        _transition(credential, "active", expires_on=expires_on)


def test_the_new_expiry_date_must_come_after_the_issue_date(make_credential):
    credential = make_credential("expired", issued_on=dt.date(2025, 5, 1))
    with pytest.raises(TransitionRefused, match=r"after the issue date \(2025-05-01\)"):
        _transition(credential, "active", expires_on=dt.date(2025, 4, 1))


def test_the_lock_reads_the_current_status_not_the_callers_copy(make_credential):
    credential = make_credential("active")
    Credential.objects.filter(pk=credential.pk).update(status="inactive")
    # The caller's object still says active; the service goes by the row.
    _transition(credential, "surrendered")
    assert credential.events.get().from_status == "inactive"


# --- the database holds the invariants, whatever code writes ------------------------------------


def test_a_suspended_credential_without_an_end_cannot_be_saved(make_credential):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_credential("suspended", suspended_until=None)
    credential = make_credential("active")
    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.filter(pk=credential.pk).update(status="suspended")


def test_one_holder_has_one_live_credential_per_program(make_credential):
    first = make_credential("active")
    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.create(
            program=first.program, holder=first.holder, number="CGP-9999", status="candidate"
        )


@pytest.mark.parametrize("ended", ["revoked", "surrendered"])
def test_a_revoked_or_surrendered_credential_leaves_room_for_a_new_application(
    ended, make_credential
):
    old = make_credential(ended)
    new = Credential.objects.create(
        program=old.program, holder=old.holder, number="CGP-9999", status="candidate"
    )
    assert new.pk


@pytest.mark.parametrize("expires_on", [dt.date(2022, 7, 1), dt.date(2022, 6, 30)])
def test_a_credential_cannot_expire_on_or_before_its_issue(expires_on, make_credential):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_credential("active", issued_on=dt.date(2022, 7, 1), expires_on=expires_on)


def test_a_status_event_belongs_to_one_credential_or_one_membership(make_credential):
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusEvent.objects.create(to_status="active", effective_date=ON, reason="Orphan")


def test_a_change_cannot_be_dated_before_the_latest_on_record(make_credential):
    credential = make_credential("active")
    StatusEvent.objects.create(
        credential=credential,
        from_status="candidate",
        to_status="active",
        effective_date=dt.date(2024, 5, 1),
        reason="Certified",
    )
    with pytest.raises(
        TransitionRefused, match=r"before the latest change on record \(2024-05-01\)"
    ):
        credential_transition(
            credential=credential,
            to_status="inactive",
            effective_date=dt.date(2000, 1, 1),
            reason="Leave",
        )
    credential.refresh_from_db()
    assert credential.status == "active"
