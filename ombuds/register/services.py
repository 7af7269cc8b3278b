from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.register.lifecycle import (
    CREDENTIAL_TRANSITIONS,
    MEMBERSHIP_TRANSITIONS,
    TransitionRefused,
    check_transition,
)
from ombuds.register.models import Credential, Membership, Organization, StatusEvent


@transaction.atomic
def organization_ensure(*, slug: str, name: str, acronym: str = "") -> Organization:
    """Return the body with this slug, creating it or updating its names so that running twice is a no-op."""
    org, created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name, "acronym": acronym}
    )
    if not created and (org.name, org.acronym) != (name, acronym):
        org.name, org.acronym = name, acronym
        org.full_clean()
        org.save(update_fields=["name", "acronym"])
    return org


# --- lifecycle ----------------------------------------------------------------------------------


def _actor(acting_user: Any):
    return acting_user if getattr(acting_user, "pk", None) else None


@transaction.atomic
def credential_transition(
    *,
    credential: Credential,
    to_status: str,
    effective_date: dt.date,
    reason: str,
    acting_user: Any = None,
    decision_ref: str = "",
    until: dt.date | None = None,
    expires_on: dt.date | None = None,
    expected_status: str | None = None,
    automatic: bool = False,
) -> Credential:
    """Move a credential to a new status as the lifecycle allows, and record the event.

    Locks the row first; ``expected_status`` (the status the person saw) refuses a stale change.
    Suspension needs ``until`` and a decision reference; reinstatement from expired or lapsed needs
    the new ``expires_on``. Raises TransitionRefused with the reason, changing nothing.
    """
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if expected_status is not None and credential.status != expected_status:
        raise TransitionRefused(
            f"credential {credential.number} is now {credential.status}, not {expected_status}: "
            "someone changed it meanwhile; reload and try again"
        )
    if not reason.strip():
        raise TransitionRefused("a status change needs a reason")
    given = {
        name
        for name, value in (
            ("until", until),
            ("decision_ref", decision_ref.strip()),
            ("expires_on", expires_on),
        )
        if value
    }
    check_transition(
        CREDENTIAL_TRANSITIONS, credential.status, to_status, automatic=automatic, given=given
    )
    if until is not None and until <= effective_date:
        raise TransitionRefused("a suspension must end after it starts")
    if expires_on is not None and expires_on <= effective_date:
        raise TransitionRefused("the new expiry date must come after the reinstatement")
    source = credential.status
    credential.status = to_status
    fields = ["status", "updated_at"]
    if to_status == "suspended":
        credential.suspended_until = until
        fields.append("suspended_until")
    elif source == "suspended":
        credential.suspended_until = None
        fields.append("suspended_until")
    if to_status == "active" and source == "candidate" and credential.issued_on is None:
        credential.issued_on = effective_date
        fields.append("issued_on")
    if expires_on is not None:
        credential.expires_on = expires_on
        fields.append("expires_on")
    credential.save(update_fields=fields)
    StatusEvent.objects.create(
        credential=credential,
        from_status=source,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason.strip(),
        decision_ref=decision_ref.strip(),
        automatic=automatic,
        actor=_actor(acting_user),
    )
    return credential


@transaction.atomic
def membership_transition(
    *,
    membership: Membership,
    to_status: str,
    effective_date: dt.date,
    reason: str,
    acting_user: Any = None,
    decision_ref: str = "",
    until: dt.date | None = None,
    expected_status: str | None = None,
    automatic: bool = False,
) -> Membership:
    """Move a membership to a new status as its lifecycle allows, and record the event."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if expected_status is not None and membership.status != expected_status:
        raise TransitionRefused(
            f"membership {membership.number} is now {membership.status}, not {expected_status}: "
            "someone changed it meanwhile; reload and try again"
        )
    if not reason.strip():
        raise TransitionRefused("a status change needs a reason")
    given = {n for n, v in (("until", until), ("decision_ref", decision_ref.strip())) if v}
    check_transition(
        MEMBERSHIP_TRANSITIONS, membership.status, to_status, automatic=automatic, given=given
    )
    if until is not None and until <= effective_date:
        raise TransitionRefused("a suspension must end after it starts")
    source = membership.status
    membership.status = to_status
    fields = ["status", "updated_at"]
    if to_status == "suspended":
        membership.suspended_until = until
        fields.append("suspended_until")
    elif source == "suspended":
        membership.suspended_until = None
        fields.append("suspended_until")
    if to_status == "active" and membership.start_date is None:
        membership.start_date = effective_date
        fields.append("start_date")
    membership.save(update_fields=fields)
    StatusEvent.objects.create(
        membership=membership,
        from_status=source,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason.strip(),
        decision_ref=decision_ref.strip(),
        automatic=automatic,
        actor=_actor(acting_user),
    )
    return membership


def apply_due_transitions(*, today: dt.date | None = None) -> dict[str, int]:
    """Take every automatic transition whose date has come: expiry, lapse, end of suspension, and the
    membership grace period and lapse. Idempotent: a second run the same day finds nothing to do.

    Each change is its own transaction (a failure on one record never rolls back the others), and a
    record someone changed meanwhile is skipped, not overwritten.
    """
    from ombuds.register.models import CredentialProgram

    today = today or timezone.localdate()
    counts = {
        "expired": 0,
        "lapsed": 0,
        "reinstated": 0,
        "grace": 0,
        "membership_lapsed": 0,
        "membership_reinstated": 0,
    }

    def run(objects, apply, key):
        for obj in objects.iterator(chunk_size=1000):
            try:
                apply(obj)
            except TransitionRefused:
                continue  # changed by someone else since the query: their change stands
            counts[key] += 1

    run(
        Credential.objects.filter(status="active", expires_on__lt=today),
        lambda c: credential_transition(
            credential=c,
            to_status="expired",
            effective_date=c.expires_on,
            automatic=True,
            expected_status="active",
            reason="Reached its expiry date without recertification",
        ),
        "expired",
    )
    for program in CredentialProgram.objects.all():
        cutoff = today - dt.timedelta(days=program.grace_days)
        run(
            Credential.objects.filter(program=program, status="expired", expires_on__lt=cutoff),
            lambda c, p=program: credential_transition(
                credential=c,
                to_status="lapsed",
                automatic=True,
                expected_status="expired",
                effective_date=c.expires_on + dt.timedelta(days=p.grace_days),
                reason=f"Not reinstated within the {p.grace_days}-day grace period",
            ),
            "lapsed",
        )
    run(
        Credential.objects.filter(status="suspended", suspended_until__lte=today),
        lambda c: credential_transition(
            credential=c,
            to_status="active",
            effective_date=c.suspended_until,
            automatic=True,
            expected_status="suspended",
            reason="The suspension ended",
        ),
        "reinstated",
    )
    run(
        Membership.objects.filter(status="active", renewal_date__lt=today),
        lambda m: membership_transition(
            membership=m,
            to_status="grace",
            effective_date=m.renewal_date,
            automatic=True,
            expected_status="active",
            reason="Renewal date passed",
        ),
        "grace",
    )
    run(
        Membership.objects.filter(
            status="grace", renewal_date__lt=today - dt.timedelta(days=MEMBERSHIP_GRACE_DAYS)
        ),
        lambda m: membership_transition(
            membership=m,
            to_status="lapsed",
            automatic=True,
            expected_status="grace",
            effective_date=m.renewal_date + dt.timedelta(days=MEMBERSHIP_GRACE_DAYS),
            reason=f"Not renewed within {MEMBERSHIP_GRACE_DAYS} days",
        ),
        "membership_lapsed",
    )
    run(
        Membership.objects.filter(status="suspended", suspended_until__lte=today),
        lambda m: membership_transition(
            membership=m,
            to_status="active",
            effective_date=m.suspended_until,
            automatic=True,
            expected_status="suspended",
            reason="The suspension ended",
        ),
        "membership_reinstated",
    )
    return counts


MEMBERSHIP_GRACE_DAYS = 60
