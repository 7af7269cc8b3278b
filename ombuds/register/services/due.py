"""The automatic transitions, each taken on its date by the daily task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import models
from django.utils import timezone

from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Credential, CredentialProgram, Membership
from ombuds.register.services.transitions import (
    credential_transition,
    lifecycle_transition,
    membership_transition,
)
from ombuds.register.subjects import CREDENTIAL, MEMBERSHIP, LifecycleSubject

MEMBERSHIP_GRACE_DAYS = 60
_DAY = dt.timedelta(days=1)


def _each(objects: models.QuerySet, apply: Callable[[Any], Any]) -> int:
    """Apply a change to each record; the number changed. Each change is its own transaction."""
    done = 0
    for obj in objects.iterator(chunk_size=1000):
        try:
            apply(obj)
        except TransitionRefused:
            continue  # changed by someone else since the query: their change stands
        done += 1
    return done


# What a record becomes when its suspension ends after its due date passed meanwhile.
_OVERDUE_STATUS = {CREDENTIAL.name: "expired", MEMBERSHIP.name: "grace"}


def _suspension_ended(subject: LifecycleSubject) -> Callable[[Any], None]:
    """The end of a suspension on its date, for either subject: active again, or, when the expiry
    or renewal date passed meanwhile, expired or in grace."""

    def end(record: Credential | Membership) -> None:
        due = getattr(record, subject.due_field)
        overdue = due is not None and due < record.suspended_until
        lifecycle_transition(
            subject=subject,
            record=record,
            to_status=_OVERDUE_STATUS[subject.name] if overdue else "active",
            effective_date=record.suspended_until,
            automatic=True,
            expected_status="suspended",
            reason=f"The suspension ended after the {subject.due_label}"
            if overdue
            else "The suspension ended",
        )

    return end


def _expire(c: Credential) -> None:
    credential_transition(
        credential=c,
        to_status="expired",
        effective_date=c.expires_on + _DAY,
        automatic=True,
        expected_status=c.status,
        reason="Reached its expiry date while inactive"
        if c.status == "inactive"
        else "Reached its expiry date without recertification",
    )


def _lapse(c: Credential) -> None:
    credential_transition(
        credential=c,
        to_status="lapsed",
        automatic=True,
        expected_status="expired",
        effective_date=c.expires_on + (c.program.grace_days + 1) * _DAY,
        reason=f"Not reinstated within the {c.program.grace_days}-day grace period",
    )


def _lapse_due(today: dt.date) -> models.QuerySet:
    """Expired credentials past their program's grace period: one query for every program (grace
    periods are few, programs may be many)."""
    grace_periods = CredentialProgram.objects.order_by().values_list("grace_days", flat=True)
    due = models.Q(pk__in=[])
    for grace_days in grace_periods.distinct():
        due |= models.Q(program__grace_days=grace_days, expires_on__lt=today - grace_days * _DAY)
    return Credential.objects.filter(due, status="expired").select_related("program")


def _grace(m: Membership) -> None:
    membership_transition(
        membership=m,
        to_status="grace",
        effective_date=m.renewal_date + _DAY,
        automatic=True,
        expected_status="active",
        reason="Renewal date passed",
    )


def _lapse_membership(m: Membership) -> None:
    membership_transition(
        membership=m,
        to_status="lapsed",
        automatic=True,
        expected_status="grace",
        effective_date=m.renewal_date + (MEMBERSHIP_GRACE_DAYS + 1) * _DAY,
        reason=f"Not renewed within {MEMBERSHIP_GRACE_DAYS} days",
    )


def apply_due_transitions(*, today: dt.date | None = None) -> dict[str, int]:
    """Take every automatic transition whose date has come: expiry, lapse, end of suspension, and the
    membership grace period and lapse. Idempotent: a second run the same day finds nothing to do.

    The dates: a credential that expires on D is valid through D and expired from D + 1; it lapses
    the day after its program's grace period, D + grace_days + 1. A suspension until D ends on D.
    A membership whose renewal date R passes is in grace from R + 1 and lapsed from
    R + MEMBERSHIP_GRACE_DAYS + 1. Each event carries that date, even when the task runs late.

    Each change is its own transaction (a failure on one record never rolls back the others), and a
    record someone changed meanwhile is skipped, not overwritten. Finding what is due takes a fixed
    handful of queries, whatever the number of programs; each change then takes its own few.
    """
    today = today or timezone.localdate()
    counts = dict.fromkeys(
        ("expired", "lapsed", "reinstated", "grace", "membership_lapsed", "membership_reinstated"),
        0,
    )
    # Ends of suspension first: a suspension that outlasts the expiry or renewal date gives way to
    # expiry or grace in the same run, rather than showing the record as active for a day.
    for key, subject in (("reinstated", CREDENTIAL), ("membership_reinstated", MEMBERSHIP)):
        counts[key] = _each(
            subject.model.objects.filter(status="suspended", suspended_until__lte=today),
            _suspension_ended(subject),
        )
    counts["expired"] = _each(
        Credential.objects.filter(status__in=["active", "inactive"], expires_on__lt=today), _expire
    )
    counts["lapsed"] = _each(_lapse_due(today), _lapse)
    counts["grace"] = _each(
        Membership.objects.filter(status="active", renewal_date__lt=today), _grace
    )
    counts["membership_lapsed"] = _each(
        Membership.objects.filter(
            status="grace", renewal_date__lt=today - MEMBERSHIP_GRACE_DAYS * _DAY
        ),
        _lapse_membership,
    )
    return counts
