"""Status changes of credentials and memberships: one implementation, described by a subject.

`lifecycle_transition` locks the record, refuses a stale or disallowed change, applies the dates
the move sets, and writes the status event with its audit entry, all in one transaction.
`credential_transition` and `membership_transition` are the same call with the subject's keyword.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.core.dates import add_months
from ombuds.register.lifecycle import TransitionRefused, check_transition
from ombuds.register.models import Credential, Membership
from ombuds.register.services.cycles import cycle_end_with_credential, cycle_start_if_due
from ombuds.register.services.events import acting, status_event_record
from ombuds.register.subjects import CREDENTIAL, MEMBERSHIP, LifecycleSubject


def _refuse_future(effective_date: dt.date, *, automatic: bool) -> None:
    # The scheduled task dates its changes itself (and tests run it for another day); a person
    # recording a change dated ahead would make the register show it before it is in force.
    if not automatic and effective_date > timezone.localdate():
        raise TransitionRefused(
            f"the effective date {effective_date} is in the future: record the change on that date"
        )


def _not_before_history(events, effective_date: dt.date, *, automatic: bool) -> dt.date:
    """A change is never dated before the latest one on record, so the history reads in order.
    A person is told; the daily task (which dates changes itself) moves its date up to that day."""
    latest = events.order_by("-effective_date").values_list("effective_date", flat=True).first()
    if latest is None or effective_date >= latest:
        return effective_date
    if automatic:
        return latest
    raise TransitionRefused(
        f"the effective date {effective_date} is before the latest change on record ({latest})"
    )


def _checked_move(
    subject: LifecycleSubject,
    record: Credential | Membership,
    *,
    to_status: str,
    effective_date: dt.date,
    reason: str,
    decision_ref: str,
    until: dt.date | None,
    due_date: dt.date | None,
    expected_status: str | None,
    automatic: bool,
    scheduled: bool = False,
) -> dt.date:
    """What every status change of a (locked) credential or membership must pass: the status the
    person saw, a reason, the lifecycle's table and its requirements, no future date, no date
    before the history, and a new expiry or renewal date only with a move to active, after the
    change. Returns the effective date (the daily task's moved up to the latest on record)."""
    subject.refuse_stale(record, expected_status)
    if not reason.strip():
        raise TransitionRefused("a status change needs a reason")
    given = {
        name
        for name, value in (
            ("until", until),
            ("decision_ref", decision_ref.strip()),
            (subject.due_field, due_date),
        )
        if value
    }
    check_transition(
        subject.transitions, record.status, to_status, automatic=automatic, given=given
    )
    _refuse_future(effective_date, automatic=automatic or scheduled)
    effective_date = _not_before_history(record.events, effective_date, automatic=automatic)
    if until is not None and until <= effective_date:
        raise TransitionRefused("a suspension must end after it starts")
    if due_date is not None and to_status != "active":
        # The event would not show it: a date changed on the side is not on the record.
        raise TransitionRefused(
            f"a new {subject.due_label} is set only when the {subject.name} becomes active"
        )
    if due_date is not None and due_date <= effective_date:
        article = "new" if subject is CREDENTIAL else "next"
        raise TransitionRefused(
            f"the {article} {subject.due_label} must come after the {subject.due_occasion}"
        )
    if (
        subject is CREDENTIAL
        and due_date is not None
        and record.issued_on
        and due_date <= record.issued_on
    ):
        raise TransitionRefused(
            f"the new expiry date must come after the issue date ({record.issued_on})"
        )
    return effective_date


def _move_dates(
    subject: LifecycleSubject,
    record: Credential | Membership,
    *,
    source: str,
    to_status: str,
    effective_date: dt.date,
    until: dt.date | None,
    due_date: dt.date | None,
) -> list[str]:
    """Set the dates the move sets besides the status; the names of the fields it changed.

    A suspension carries its end; leaving one clears it. The first move to active starts the
    record (a certification's issue date, a membership's start date); a newly certified holder is
    due after one cycle of the program. A new due date is taken with a move to active only.
    """
    fields = []
    if to_status == "suspended":
        record.suspended_until = until
        fields.append("suspended_until")
    elif source == "suspended":
        record.suspended_until = None
        fields.append("suspended_until")
    starts = to_status == "active" and getattr(record, subject.start_field) is None
    if subject is CREDENTIAL:
        starts = starts and source == "candidate"
        certified = to_status == "active" and source == "candidate"
        if certified and due_date is None and record.expires_on is None:
            # A newly certified holder is due at the end of one cycle of the program.
            due_date = add_months(effective_date, record.program.cycle_months)
    if starts:
        setattr(record, subject.start_field, effective_date)
        fields.append(subject.start_field)
    if due_date is not None and to_status == "active":
        setattr(record, subject.due_field, due_date)
        fields.append(subject.due_field)
    return fields


@transaction.atomic
def lifecycle_transition(
    *,
    subject: LifecycleSubject,
    record: Credential | Membership,
    to_status: str,
    effective_date: dt.date,
    reason: str,
    acting_user: Any = None,
    decision_ref: str = "",
    until: dt.date | None = None,
    due_date: dt.date | None = None,
    expected_status: str | None = None,
    automatic: bool = False,
    scheduled: bool = False,
) -> Credential | Membership:
    """Move a credential or membership to a new status as its lifecycle allows, and record it.

    Locks the row first; ``expected_status`` (the status the person saw) refuses a stale change.
    Suspension needs ``until`` and a decision reference; reinstating a credential from expired or
    lapsed needs its new expiry date, renewing or reinstating a membership its next renewal date
    (``due_date``), taken only by a move to active. A manual change cannot be dated in the future:
    the register would show it before it is in force (``scheduled``: a sanction the daily work
    applies, dated by it, on its day). The status event and its audit entry (old
    and new status) are written in the same transaction. Raises TransitionRefused, changing nothing.
    """
    record = subject.lock(record.pk)
    effective_date = _checked_move(
        subject,
        record,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        decision_ref=decision_ref,
        until=until,
        due_date=due_date,
        expected_status=expected_status,
        automatic=automatic,
        scheduled=scheduled,
    )
    source = record.status
    record.status = to_status
    fields = _move_dates(
        subject,
        record,
        source=source,
        to_status=to_status,
        effective_date=effective_date,
        until=until,
        due_date=due_date,
    )
    record.save(update_fields=["status", "updated_at", *fields])
    status_event_record(
        record=record,
        from_status=source,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason.strip(),
        decision_ref=decision_ref.strip(),
        automatic=automatic,
        actor=acting(acting_user),
    )
    if subject is CREDENTIAL and to_status == "active":
        # Certified, reinstated or back from a suspension or leave: a cycle runs to the expiry date.
        cycle_start_if_due(record, starts_on=effective_date, acting_user=acting_user)
    elif subject is CREDENTIAL and to_status in ("revoked", "surrendered"):
        cycle_end_with_credential(record, acting_user=acting_user)
    return record


def credential_transition(
    *, credential: Credential, expires_on: dt.date | None = None, **change: Any
) -> Credential:
    """`lifecycle_transition` of a credential; ``expires_on`` is its new expiry date."""
    return lifecycle_transition(
        subject=CREDENTIAL, record=credential, due_date=expires_on, **change
    )


def membership_transition(
    *, membership: Membership, renewal_date: dt.date | None = None, **change: Any
) -> Membership:
    """`lifecycle_transition` of a membership; ``renewal_date`` is its next renewal date."""
    return lifecycle_transition(
        subject=MEMBERSHIP, record=membership, due_date=renewal_date, **change
    )
