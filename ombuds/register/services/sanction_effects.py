"""What a sanction does to the record it is on: a suspension, revocation or expulsion changes its
status, probation or conditions put their text on it. A sanction dated later waits, "scheduled",
until the daily work applies it on its date (`sanctions_apply_due`); an allowed appeal lifts it
(`sanction_lift`), restoring the status it changed or cancelling it before it took effect.

Each is one transaction with the record and the sanction locked, and its audit events."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.register.invoices import fine_lifted
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Credential, Membership, Sanction
from ombuds.register.services.events import acting, status_event_record
from ombuds.register.services.transitions import lifecycle_transition
from ombuds.register.subjects import LifecycleSubject, subject_of

logger = logging.getLogger(__name__)

# What each sanction does to the register's record: the status it moves it to. A credential is
# revoked and a membership ends by expulsion; neither has the other's status.
SANCTION_STATUS = {
    "credential": {"suspension": "suspended", "revocation": "revoked"},
    "membership": {"suspension": "suspended", "expulsion": "expelled"},
}
STATUS_SANCTIONS = ("suspension", "revocation", "expulsion")
CONDITION_SANCTIONS = ("probation", "conditions")


def changes_record(kind: str) -> bool:
    """Whether a sanction of this kind changes its record (status or conditions) when applied."""
    return kind in STATUS_SANCTIONS + CONDITION_SANCTIONS


def _record_of(sanction: Sanction) -> Credential | Membership:
    return sanction.credential if sanction.credential_id else sanction.membership


def _audit(sanction: Sanction, action: str, data: dict[str, Any], acting_user: Any) -> None:
    record = _record_of(sanction)
    audit.record(
        action=action,
        subject_type=subject_of(record).name,
        subject_id=record.pk,
        data={"sanction": sanction.pk, "number": record.number, "kind": sanction.kind, **data},
        organization=sanction.organization,
        actor=acting(acting_user),
    )


def _set_conditions(
    subject: LifecycleSubject, record: Any, text: str, *, reason: str, acting_user: Any
) -> None:
    record = subject.lock(record.pk)
    old = record.conditions
    if old.strip() == text.strip():
        return
    record.conditions = text.strip()
    record.save(update_fields=["conditions", "updated_at"])
    audit.record(
        action=f"register.{subject.name}_conditions",
        subject_type=subject.name,
        subject_id=record.pk,
        data={"number": record.number, "old": old, "new": record.conditions, "reason": reason},
        organization=Organization(pk=subject.organization_id(record)),
        actor=acting(acting_user),
    )


def _apply_status(sanction: Sanction, record: Any, *, on: dt.date, acting_user: Any) -> str:
    """Move the record to the sanction's status; what happened, in words, for the audit event."""
    subject = subject_of(record)
    target = SANCTION_STATUS[subject.name].get(sanction.kind)
    if target is None:
        return ""
    record = subject.lock(record.pk)
    until = sanction.effective_until if target == "suspended" else None
    if until is not None and until <= on:
        return f"the suspension ended on {until}, before it could take effect: status unchanged"
    label = sanction.get_kind_display()
    ref = sanction.decision_ref or f"sanction {sanction.pk}"
    if target == "suspended" and record.status == "suspended":
        if record.suspended_until and until and record.suspended_until >= until:
            return "the running suspension already covers the term"
        record = lifecycle_transition(
            subject=subject,
            record=record,
            to_status="active",
            effective_date=on,
            reason=f"The suspension is replaced by a longer one ({ref})",
            decision_ref=ref,
            acting_user=acting_user,
            scheduled=True,
        )
    sanction.previous_status = record.status
    lifecycle_transition(
        subject=subject,
        record=record,
        to_status=target,
        effective_date=on,
        reason=f"Sanction ({ref}): {label}",
        decision_ref=ref,
        until=until,
        acting_user=acting_user,
        scheduled=True,
    )
    return f"{record.status} → {target}"


def _apply(sanction: Sanction, *, on: dt.date, acting_user: Any) -> str:
    """Apply a locked sanction to its record (status and conditions), mark it in effect."""
    record = _record_of(sanction)
    subject = subject_of(record)
    done = _apply_status(sanction, record, on=on, acting_user=acting_user)
    if sanction.kind in CONDITION_SANCTIONS:
        _set_conditions(
            subject,
            record,
            sanction.conditions,
            reason=f"Sanction ({sanction.decision_ref or sanction.pk}): "
            f"{sanction.get_kind_display()}",
            acting_user=acting_user,
        )
        done = "conditions set"
    sanction.state = Sanction.State.IN_EFFECT
    sanction.save(update_fields=["state", "previous_status", "updated_at"])
    return done


@transaction.atomic
def sanction_apply(
    *, sanction: Sanction, acting_user: Any = None, today: dt.date | None = None
) -> str:
    """Apply a scheduled sanction whose date has come (or one just recorded to take effect at
    once): the record's status and conditions change, dated ``today``, and the sanction is in
    effect. Does nothing to one already in effect or lifted. Raises TransitionRefused (the
    record's lifecycle refuses the change), changing nothing."""
    today = today or timezone.localdate()
    sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
    if sanction.state != Sanction.State.SCHEDULED:
        return ""
    if sanction.effective_from and sanction.effective_from > today:
        raise TransitionRefused(f"the sanction takes effect on {sanction.effective_from}")
    done = _apply(sanction, on=today, acting_user=acting_user)
    _audit(sanction, "register.sanction_applied", {"on": today, "done": done}, acting_user)
    return done


def sanctions_apply_due(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily work: every scheduled sanction whose date has come is applied, each in its own
    transaction; running twice on a day changes nothing. One the register refuses (the record
    changed meanwhile) stays scheduled and is counted, and logged, for staff to look at."""
    today = today or timezone.localdate()
    due = Sanction.objects.filter(state=Sanction.State.SCHEDULED, effective_from__lte=today)
    counts = {"sanctions applied": 0, "sanctions refused": 0}
    for pk in due.order_by("effective_from", "pk").values_list("pk", flat=True):
        try:
            sanction_apply(sanction=Sanction(pk=pk), today=today)
        except TransitionRefused as exc:
            logger.warning("scheduled sanction %s not applied: %s", pk, exc)
            counts["sanctions refused"] += 1
        else:
            counts["sanctions applied"] += 1
    return counts


def _restore(sanction: Sanction, record: Any, *, on: dt.date, reason: str, acting_user: Any) -> str:
    """Undo the status change the sanction made, when the record still has it."""
    subject = subject_of(record)
    target = SANCTION_STATUS[subject.name].get(sanction.kind)
    record = subject.lock(record.pk)
    if target is None or record.status != target or not sanction.previous_status:
        return f"status left as {record.status}" if target else ""
    previous = sanction.previous_status
    if (
        subject.name == "credential"
        and previous not in subject.ended
        and Credential.objects.filter(program_id=record.program_id, holder_id=record.holder_id)
        .exclude(pk=record.pk)
        .exclude(status__in=subject.ended)
        .exists()
    ):
        raise TransitionRefused(
            f"the holder now has another live {record.program} credential: {record.number} "
            "cannot be restored (lift the sanction by hand in the register)"
        )
    record.status = previous
    fields = ["status", "updated_at"]
    if target == "suspended":
        record.suspended_until = None
        fields.append("suspended_until")
    record.save(update_fields=fields)
    status_event_record(
        record=record,
        from_status=target,
        to_status=previous,
        effective_date=on,
        reason=reason,
        decision_ref=sanction.decision_ref,
        actor=acting(acting_user),
    )
    return f"{target} → {previous}"


@transaction.atomic
def sanction_lift(
    *, sanction: Sanction, reason: str, acting_user: Any = None, today: dt.date | None = None
) -> str:
    """Lift a sanction (an appeal allowed): one scheduled is cancelled before it takes effect; one
    in effect has its status change undone (the record returns to the status it had, when it
    still has the sanction's) and its conditions removed (when still the record's); a fine's
    outstanding invoice is waived. The sanction
    stays on record, lifted, with the reason. Lifting twice changes nothing. What was done, in
    words. Raises TransitionRefused, changing nothing."""
    today = today or timezone.localdate()
    if not reason.strip():
        raise TransitionRefused("say why the sanction is lifted")
    sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
    if sanction.state == Sanction.State.LIFTED:
        return ""
    record = _record_of(sanction)
    if sanction.state == Sanction.State.SCHEDULED:
        done = "cancelled before it took effect"
    else:
        done = _restore(sanction, record, on=today, reason=reason.strip(), acting_user=acting_user)
        if sanction.kind in CONDITION_SANCTIONS and record.conditions.strip() == (
            sanction.conditions.strip()
        ):
            _set_conditions(
                subject_of(record), record, "", reason=reason.strip(), acting_user=acting_user
            )
            done = "conditions removed"
    sanction.state = Sanction.State.LIFTED
    sanction.lifted_on = today
    sanction.lift_reason = reason.strip()
    sanction.save(update_fields=["state", "lifted_on", "lift_reason", "updated_at"])
    fine_lifted(sanction=sanction, reason=sanction.lift_reason, acting_user=acting_user)
    _audit(
        sanction,
        "register.sanction_lifted",
        {"reason": sanction.lift_reason, "done": done},
        acting_user,
    )
    return done
