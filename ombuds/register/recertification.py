"""Recertification: cycles, continuing-education activities with evidence, staff review, outcomes, and
reminders before the due date that go out once each however often the task runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.core.dates import add_months
from ombuds.register.invoices import renewal_fee_check
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Activity,
    Credential,
    RecertificationCycle,
    ReminderSent,
)
from ombuds.register.services.events import acting, status_event_record

REMINDER_DAYS = (90, 30, 7)
EVIDENCE_TYPES = {".pdf", ".png", ".jpg", ".jpeg", ".txt"}
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


class RecertificationError(TransitionRefused):
    """A recertification step that cannot be taken; the message says why."""


@transaction.atomic
def cycle_open(
    *, credential: Credential, starts_on: dt.date | None = None, acting_user: Any = None
) -> RecertificationCycle:
    """Open the credential's next cycle with the program's requirements, due at the credential's expiry."""
    credential = (
        Credential.objects.select_for_update().select_related("program").get(pk=credential.pk)
    )
    if credential.status != "active":
        raise RecertificationError(
            f"credential {credential.number} is {credential.status}, not active"
        )
    if credential.cycles.filter(outcome=RecertificationCycle.Outcome.OPEN).exists():
        raise RecertificationError(f"credential {credential.number} already has an open cycle")
    program = credential.program
    starts_on = starts_on or credential.issued_on or timezone.localdate()
    due_on = credential.expires_on or add_months(starts_on, program.cycle_months)
    if due_on <= starts_on:
        raise RecertificationError("the cycle would be due before it starts")
    return RecertificationCycle.objects.create(
        credential=credential,
        starts_on=starts_on,
        due_on=due_on,
        required_units=program.required_units,
        required_by_category=dict(program.unit_categories),
    )


@dataclass(frozen=True)
class Progress:
    earned: Decimal
    pending: Decimal
    required: Decimal
    by_category: dict[str, tuple[Decimal, Decimal]]  # category -> (earned, required)

    @property
    def met(self) -> bool:
        return self.earned >= self.required and all(e >= r for e, r in self.by_category.values())

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.required - self.earned)


def cycle_progress(cycle: RecertificationCycle) -> Progress:
    earned, pending = Decimal(0), Decimal(0)
    by_category: dict[str, Decimal] = {}
    for activity in cycle.activities.all():
        if activity.review == Activity.Review.APPROVED:
            earned += activity.units
            by_category[activity.category] = (
                by_category.get(activity.category, Decimal(0)) + activity.units
            )
        elif activity.review == Activity.Review.SUBMITTED:
            pending += activity.units
    required = {k: Decimal(str(v)) for k, v in (cycle.required_by_category or {}).items()}
    return Progress(
        earned=earned,
        pending=pending,
        required=cycle.required_units,
        by_category={k: (by_category.get(k, Decimal(0)), r) for k, r in required.items()},
    )


def _check_evidence(evidence) -> None:
    if evidence is None:
        return
    suffix = PurePath(evidence.name).suffix.lower()
    if suffix not in EVIDENCE_TYPES:
        raise RecertificationError(
            f"evidence must be one of {', '.join(sorted(EVIDENCE_TYPES))}; got {suffix or 'no extension'}"
        )
    if evidence.size > EVIDENCE_MAX_BYTES:
        raise RecertificationError(
            f"evidence is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB"
        )


@transaction.atomic
def activity_submit(
    *,
    cycle: RecertificationCycle,
    category: str,
    title: str,
    units: Decimal,
    completed_on: dt.date,
    provider: str = "",
    evidence=None,
    acting_user: Any = None,
) -> Activity:
    """Submit an activity towards an open cycle; staff review it before its units count."""
    cycle = RecertificationCycle.objects.select_for_update().get(pk=cycle.pk)
    problems = []
    if cycle.outcome != RecertificationCycle.Outcome.OPEN:
        problems.append(f"the cycle is closed ({cycle.get_outcome_display().lower()})")
    categories = set(cycle.required_by_category or {})
    if categories and category not in categories:
        problems.append(f"category must be one of {', '.join(sorted(categories))}")
    if units is None or Decimal(units) <= 0:
        problems.append("units must be more than 0")
    if not title.strip():
        problems.append("the activity needs a title")
    if not cycle.starts_on <= completed_on <= min(cycle.due_on, timezone.localdate()):
        problems.append(
            f"the activity must be completed within the cycle ({cycle.starts_on} to {cycle.due_on}), not in the future"
        )
    if problems:
        raise RecertificationError("; ".join(problems))
    _check_evidence(evidence)
    activity = Activity(
        cycle=cycle,
        category=category,
        title=title.strip(),
        provider=provider.strip(),
        completed_on=completed_on,
        units=Decimal(units),
    )
    if evidence is not None:
        activity.evidence.save(PurePath(evidence.name).name, evidence, save=False)
    activity.save()
    return activity


@transaction.atomic
def activity_review(
    *, activity: Activity, approve: bool, reason: str = "", acting_user: Any = None
) -> Activity:
    """Approve an activity, or reject it with a reason the holder will read."""
    activity = Activity.objects.select_for_update().select_related("cycle").get(pk=activity.pk)
    if activity.review != Activity.Review.SUBMITTED:
        raise RecertificationError(
            f"this activity was already {activity.get_review_display().lower()}"
        )
    if activity.cycle.outcome != RecertificationCycle.Outcome.OPEN:
        raise RecertificationError("the cycle is closed")
    if not approve and not reason.strip():
        raise RecertificationError("a rejection needs a reason")
    activity.review = Activity.Review.APPROVED if approve else Activity.Review.REJECTED
    activity.review_reason = reason.strip()
    activity.reviewed_by = acting(acting_user)
    activity.reviewed_at = timezone.now()
    activity.save(
        update_fields=["review", "review_reason", "reviewed_by", "reviewed_at", "updated_at"]
    )
    return activity


@transaction.atomic
def cycle_close(
    *, cycle: RecertificationCycle, outcome: str, reason: str = "", acting_user: Any = None
) -> RecertificationCycle:
    """Decide a cycle. Compliant (requirements met) extends the credential by one cycle and opens the
    next; exempt needs a reason; non-compliant leaves the credential to expire on its date."""
    cycle = (
        RecertificationCycle.objects.select_for_update()
        .select_related("credential__program")
        .get(pk=cycle.pk)
    )
    if cycle.outcome != RecertificationCycle.Outcome.OPEN:
        raise RecertificationError("the cycle is already closed")
    if outcome not in (
        RecertificationCycle.Outcome.COMPLIANT,
        RecertificationCycle.Outcome.NON_COMPLIANT,
        RecertificationCycle.Outcome.EXEMPT,
    ):
        raise RecertificationError(f"unknown outcome {outcome!r}")
    progress = cycle_progress(cycle)
    if outcome == RecertificationCycle.Outcome.COMPLIANT and not progress.met:
        raise RecertificationError(
            f"requirements not met: {progress.earned} of {progress.required} units approved"
            + "".join(f"; {k}: {e} of {r}" for k, (e, r) in progress.by_category.items() if e < r)
        )
    if outcome != RecertificationCycle.Outcome.COMPLIANT and not reason.strip():
        raise RecertificationError("say why the cycle is closed this way")
    renewal_fee_check(cycle, outcome=outcome, refuse=RecertificationError)
    cycle.outcome, cycle.outcome_reason, cycle.decided_by = (
        outcome,
        reason.strip(),
        acting(acting_user),
    )
    cycle.save(update_fields=["outcome", "outcome_reason", "decided_by", "updated_at"])
    if outcome in (RecertificationCycle.Outcome.COMPLIANT, RecertificationCycle.Outcome.EXEMPT):
        credential = Credential.objects.select_for_update().get(pk=cycle.credential_id)
        if credential.status == "active":
            new_expiry = add_months(cycle.due_on, cycle.credential.program.cycle_months)
            credential.expires_on = new_expiry
            credential.save(update_fields=["expires_on", "updated_at"])
            status_event_record(
                record=credential,
                from_status="active",
                to_status="active",
                effective_date=timezone.localdate(),
                actor=acting(acting_user),
                reason=f"Recertified ({cycle.get_outcome_display().lower()}); now expires {new_expiry}",
            )
            RecertificationCycle.objects.create(
                credential=credential,
                starts_on=cycle.due_on,
                due_on=new_expiry,
                required_units=credential.program.required_units,
                required_by_category=dict(credential.program.unit_categories),
            )
    return cycle


def send_due_reminders(
    *, today: dt.date | None = None, days: tuple[int, ...] = REMINDER_DAYS
) -> int:
    """Remind holders of open cycles as the due date comes near: one reminder per threshold crossed
    (90, 30, 7 days), each sent once, even when the task runs twice or two workers run it at once.
    A task that missed days sends the nearest threshold, not every one it missed."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=max(days))
    sent = 0
    cycles = (
        RecertificationCycle.objects.filter(outcome="open", due_on__gte=today, due_on__lte=horizon)
        .select_related("credential__holder", "credential__program")
        .prefetch_related("reminders")
    )
    for cycle in cycles.iterator(chunk_size=500):
        left = (cycle.due_on - today).days
        threshold = min(d for d in days if left <= d)
        if any(r.days_before <= threshold for r in cycle.reminders.all()):
            continue
        holder = cycle.credential.holder
        if not holder.email:
            continue
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    cycle=cycle, days_before=threshold, recipient=holder.email
                )
                transaction.on_commit(lambda c=cycle, h=holder, n=left: _send_reminder(c, h, n))
        except IntegrityError:
            continue  # another run sent it first
        sent += 1
    return sent


def _send_reminder(cycle: RecertificationCycle, holder, days_left: int) -> None:
    progress = cycle_progress(cycle)
    program = cycle.credential.program
    send_mail(
        subject=f"{program.abbreviation} recertification due in {days_left} days",
        message=(
            f"Dear {holder.full_name},\n\nYour {program.name} credential {cycle.credential.number} is due for "
            f"recertification on {cycle.due_on:%d %B %Y}. You have {progress.earned} of {progress.required} "
            f"units approved ({progress.pending} awaiting review).\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[holder.email],
    )
