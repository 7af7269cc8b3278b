"""credential_transition: staff (and the API, the pages, the import) change a credential's status only
as the lifecycle allows, each change dated, reasoned and recorded once; and the database holds the
credential invariants even for code that bypasses the service."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.register.lifecycle import CREDENTIAL_TRANSITIONS, TransitionRefused
from ombuds.register.models import Credential, StatusEvent
from ombuds.register.services import credential_transition

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 3)
REQUIREMENTS = {
    "until": dt.date(2025, 9, 1),
    "decision_ref": "EC-2025-7",
    "expires_on": dt.date(2028, 3, 3),
}
MANUAL_ROWS = [t for t in CREDENTIAL_TRANSITIONS if not t.automatic]
MANUAL_PAIRS = {(t.source, t.target) for t in MANUAL_ROWS}
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


@pytest.mark.parametrize("row", MANUAL_ROWS, ids=[f"{t.source}->{t.target}" for t in MANUAL_ROWS])
def test_every_manual_move_succeeds_from_its_source_and_records_one_event(
    row, make_credential, staff_user
):
    credential = make_credential(row.source)
    given = {name: REQUIREMENTS[name] for name in row.requires}

    changed = _transition(
        credential,
        row.target,
        reason="  Decided by the board  ",
        acting_user=staff_user,
        expected_status=row.source,
        **given,
    )

    assert changed.status == row.target
    assert Credential.objects.get(pk=credential.pk).status == row.target
    [event] = StatusEvent.objects.filter(credential=credential)
    assert (
        event.from_status,
        event.to_status,
        event.effective_date,
        event.reason,
        event.decision_ref,
        event.actor,
        event.automatic,
        event.membership_id,
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


def test_certifying_a_candidate_sets_the_issue_date_to_the_effective_date(make_credential):
    credential = _transition(make_credential("candidate"), "active", expires_on=dt.date(2028, 3, 3))
    credential.refresh_from_db()
    assert (credential.issued_on, credential.expires_on) == (ON, dt.date(2028, 3, 3))


def test_a_suspension_records_its_end_and_ending_it_clears_it(make_credential):
    credential = _transition(
        make_credential("active"), "suspended", until=dt.date(2025, 9, 1), decision_ref="EC-7"
    )
    credential.refresh_from_db()
    assert credential.suspended_until == dt.date(2025, 9, 1)

    _transition(credential, "active", effective_date=dt.date(2025, 4, 1))
    credential.refresh_from_db()
    assert (credential.status, credential.suspended_until) == ("active", None)


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


@pytest.mark.parametrize(
    ("source", "target"),
    [p for p in itertools.permutations(STATUSES, 2) if p not in MANUAL_PAIRS],
    ids=lambda value: value,
)
def test_a_move_the_table_does_not_list_is_refused_and_changes_nothing(
    source, target, make_credential, staff_user
):
    credential = make_credential(source)
    before = _snapshot(credential)

    with pytest.raises(TransitionRefused, match="cannot"):
        # Everything any move could require is given: the table alone refuses.
        _transition(credential, target, acting_user=staff_user, **REQUIREMENTS)

    assert _snapshot(credential) == before
    assert not StatusEvent.objects.exists()


@pytest.mark.parametrize("target", [s for s in STATUSES if s != "revoked"])
def test_a_revoked_credential_never_changes(target, make_credential):
    credential = make_credential("revoked")
    before = _snapshot(credential)
    for automatic in (False, True):
        with pytest.raises(TransitionRefused, match="revoked credential cannot change"):
            _transition(credential, target, automatic=automatic, **REQUIREMENTS)
    assert _snapshot(credential) == before


@pytest.mark.parametrize(("source", "target"), [("active", "expired"), ("expired", "lapsed")])
def test_staff_cannot_expire_or_lapse_a_credential_by_hand(source, target, make_credential):
    credential = make_credential(source)
    with pytest.raises(TransitionRefused) as refused:
        _transition(credential, target)
    assert str(refused.value).startswith(f"{source} cannot become {target} by hand")
    assert "automatically on its date by the daily task" in str(refused.value)
    assert not credential.events.exists()


def test_a_status_cannot_be_set_to_what_it_already_is(make_credential):
    with pytest.raises(TransitionRefused, match="already active"):
        _transition(make_credential("active"), "active")


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"decision_ref": "EC-7"}, "until"),
        ({"until": dt.date(2025, 9, 1)}, "decision_ref"),
        ({"until": dt.date(2025, 9, 1), "decision_ref": "   "}, "decision_ref"),
        ({}, "decision_ref, until"),
    ],
)
def test_a_suspension_needs_its_end_and_its_decision(given, missing, make_credential):
    credential = make_credential("active")
    with pytest.raises(TransitionRefused, match=f"requires {missing}$"):
        _transition(credential, "suspended", **given)
    credential.refresh_from_db()
    assert (credential.status, credential.suspended_until) == ("active", None)


@pytest.mark.parametrize("source", ["expired", "lapsed"])
def test_reinstatement_from_expired_or_lapsed_needs_a_new_expiry_date(source, make_credential):
    credential = make_credential(source)
    with pytest.raises(TransitionRefused, match="requires expires_on"):
        _transition(credential, "active")
    assert Credential.objects.get(pk=credential.pk).status == source


@pytest.mark.parametrize("until", [ON, ON - dt.timedelta(days=1)])
def test_a_suspension_must_end_after_it_starts(until, make_credential):
    credential = make_credential("active")
    with pytest.raises(TransitionRefused, match="must end after it starts"):
        _transition(credential, "suspended", until=until, decision_ref="EC-7")
    assert Credential.objects.get(pk=credential.pk).status == "active"


@pytest.mark.parametrize("expires_on", [ON, ON - dt.timedelta(days=1)])
def test_the_new_expiry_date_must_come_after_the_reinstatement(expires_on, make_credential):
    credential = make_credential("expired")
    with pytest.raises(TransitionRefused, match="must come after the reinstatement"):
        _transition(credential, "active", expires_on=expires_on)


def test_the_new_expiry_date_must_come_after_the_issue_date(make_credential):
    credential = make_credential("expired", issued_on=dt.date(2025, 5, 1))
    with pytest.raises(TransitionRefused, match=r"after the issue date \(2025-05-01\)"):
        _transition(credential, "active", expires_on=dt.date(2025, 4, 1))


def test_an_expiry_date_is_not_changed_on_the_side_of_another_move(make_credential):
    credential = make_credential("active")
    with pytest.raises(TransitionRefused, match="only when the credential becomes active"):
        _transition(credential, "inactive", expires_on=dt.date(2030, 1, 1))
    assert _snapshot(credential)[2] == credential.expires_on


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_change_needs_a_reason(reason, make_credential):
    credential = make_credential("active")
    with pytest.raises(TransitionRefused, match="needs a reason"):
        _transition(credential, "inactive", reason=reason)
    assert not credential.events.exists()


def test_a_stale_change_is_refused(make_credential):
    credential = make_credential("active")
    # Someone else suspended it after this person loaded the page.
    _transition(credential, "suspended", until=dt.date(2025, 9, 1), decision_ref="EC-7")

    with pytest.raises(TransitionRefused) as refused:
        _transition(credential, "inactive", expected_status="active")

    assert str(refused.value) == (
        f"credential {credential.number} is now suspended, not active: "
        "someone changed it meanwhile; reload and try again"
    )
    assert Credential.objects.get(pk=credential.pk).status == "suspended"
    assert credential.events.count() == 1


def test_the_lock_reads_the_current_status_not_the_callers_copy(make_credential):
    credential = make_credential("active")
    Credential.objects.filter(pk=credential.pk).update(status="inactive")
    # The caller's object still says active; the service goes by the row.
    _transition(credential, "surrendered")
    assert credential.events.get().from_status == "inactive"


def test_a_change_dated_in_the_future_is_refused(make_credential):
    credential = make_credential("active")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(TransitionRefused, match="is in the future"):
        _transition(credential, "inactive", effective_date=tomorrow)
    assert Credential.objects.get(pk=credential.pk).status == "active"


def test_the_status_and_its_event_are_written_together_or_not_at_all(make_credential, monkeypatch):
    credential = make_credential("active")
    before = _snapshot(credential)

    def fail(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(StatusEvent.objects, "create", fail)
    with pytest.raises(RuntimeError):
        _transition(credential, "inactive")
    assert _snapshot(credential) == before


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
    import datetime as dt

    from ombuds.register.lifecycle import TransitionRefused
    from ombuds.register.models import StatusEvent
    from ombuds.register.services import credential_transition

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
