"""Recertification: cycles, continuing-education activities with evidence, the holder's submission,
staff review, outcomes, and reminders before the due date that go out once each however often the
task runs.

A holder submits activities (with evidence, checked like every upload: `ombuds.core.uploads`) from
their account, then submits the cycle once what they claim covers the requirements; staff review
each activity and decide the cycle. A cycle drawn for audit (`recert_audit`) is accepted as compliant
only once every activity counted has its evidence. Every change locks its row, and writes its audit
event in the same transaction. Cycles open and end with the credential: `services.cycles`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.mail import Stoppable, body_mail
from ombuds.bodies.models import Organization
from ombuds.core import uploads
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.core.dates import add_months
from ombuds.register.invoices import renewal_fee_check
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Activity,
    Credential,
    RecertificationCycle,
    ReminderSent,
)
from ombuds.register.services.cycles import cycle_start
from ombuds.register.services.events import acting, status_event_record

REMINDER_DAYS = (90, 30, 7)
EVIDENCE_MAX_BYTES = uploads.MAX_BYTES
TENTH = Decimal("0.1")
MAX_UNITS = Decimal(10_000)  # Activity.units: five digits, one after the point


class RecertificationError(TransitionRefused):
    """A recertification step that cannot be taken; the message says why."""


def _audit(action: str, cycle: RecertificationCycle, actor: Any, **data: Any) -> None:
    """The step's audit event, on the cycle (its body found through the credential's programme)."""
    credential = cycle.credential
    audit.record(
        action=f"register.{action}",
        subject_type="recertification_cycle",
        subject_id=cycle.pk,
        data={"credential": credential.number, **data},
        organization=Organization(pk=credential.program.organization_id),
        actor=acting(actor),
    )


def _lock_cycle(pk: int) -> RecertificationCycle:
    return (
        RecertificationCycle.objects.select_for_update(of=("self",))
        .select_related("credential__program", "credential__holder")
        .get(pk=pk)
    )


def _refuse_not_holder(cycle: RecertificationCycle, user: Any) -> None:
    """A holder acts on their own cycle only (the doors check it first; this is the last word)."""
    holder_user = cycle.credential.holder.user_id
    if holder_user is None or holder_user != getattr(user, "pk", None):
        raise RecertificationError("this is not your recertification cycle")


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
    return cycle_start(
        credential=credential, starts_on=starts_on, due_on=due_on, acting_user=acting_user
    )


def units_text(units: Decimal) -> str:
    """Units as people write them: 8, 2.5 (not 8.0, nor 1E+1)."""
    return f"{units.normalize():f}"


@dataclass(frozen=True)
class Progress:
    earned: Decimal
    pending: Decimal
    required: Decimal
    by_category: dict[str, tuple[Decimal, Decimal]]  # category -> (earned, required)
    # category -> units awaiting review (every category with any, required or not)
    pending_by_category: dict[str, Decimal] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.earned >= self.required and all(e >= r for e, r in self.by_category.values())

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.required - self.earned)

    @property
    def claimed(self) -> Decimal:
        """Approved and awaiting review: what the holder has sent."""
        return self.earned + self.pending

    def claimed_shortfalls(self) -> list[str]:
        """What the approved and awaiting units together still lack, in words (empty: nothing)."""
        missing = []
        if self.claimed < self.required:
            missing.append(f"{units_text(self.claimed)} of {units_text(self.required)} units")
        for name, (earned, required) in self.by_category.items():
            claimed = earned + self.pending_by_category.get(name, Decimal(0))
            if claimed < required:
                missing.append(f"{name}: {units_text(claimed)} of {units_text(required)}")
        return missing

    @property
    def rows(self) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal]]:
        """Per required category: name, approved, awaiting review, required, still needed."""
        return [
            (
                name,
                earned,
                self.pending_by_category.get(name, Decimal(0)),
                required,
                max(Decimal(0), required - earned),
            )
            for name, (earned, required) in self.by_category.items()
        ]


def cycle_progress(cycle: RecertificationCycle) -> Progress:
    earned, pending = Decimal(0), Decimal(0)
    by_category: dict[str, Decimal] = {}
    pending_by_category: dict[str, Decimal] = {}
    for activity in cycle.activities.all():
        if activity.review == Activity.Review.APPROVED:
            earned += activity.units
            by_category[activity.category] = (
                by_category.get(activity.category, Decimal(0)) + activity.units
            )
        elif activity.review == Activity.Review.SUBMITTED:
            pending += activity.units
            pending_by_category[activity.category] = (
                pending_by_category.get(activity.category, Decimal(0)) + activity.units
            )
    required = {k: Decimal(str(v)) for k, v in (cycle.required_by_category or {}).items()}
    return Progress(
        earned=earned,
        pending=pending,
        required=cycle.required_units,
        by_category={k: (by_category.get(k, Decimal(0)), r) for k, r in required.items()},
        pending_by_category=pending_by_category,
    )


def evidence_check(evidence: File | None) -> None:
    """Refuse a file that is too large, empty, or not what its name says (`ombuds.core.uploads`)."""
    if evidence is None:
        return
    if evidence.size is not None and evidence.size > EVIDENCE_MAX_BYTES:
        raise RecertificationError(
            f"the evidence is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB"
        )
    evidence.seek(0)
    data = evidence.read()
    evidence.seek(0)
    try:
        uploads.check_upload(evidence.name or "", data)
    except uploads.UploadRefused as exc:
        raise RecertificationError(f"the evidence: {exc}") from exc


def _activity_problems(
    cycle: RecertificationCycle, *, category: str, title: str, units: Decimal, completed_on: dt.date
) -> list[str]:
    problems = []
    categories = set(cycle.required_by_category or {})
    if categories and category not in categories:
        problems.append(f"category must be one of {', '.join(sorted(categories))}")
    elif not category.strip():
        problems.append("the activity needs a category")
    if units is None or Decimal(units) <= 0:
        problems.append("units must be more than 0")
    elif Decimal(units) >= MAX_UNITS or Decimal(units) != Decimal(units).quantize(TENTH):
        problems.append(f"units are counted in tenths, up to {MAX_UNITS - TENTH}")
    if not title.strip():
        problems.append("the activity needs a title")
    if not cycle.starts_on <= completed_on <= min(cycle.due_on, timezone.localdate()):
        problems.append(
            f"the activity must be completed within the cycle ({cycle.starts_on} to {cycle.due_on}), not in the future"
        )
    return problems


@transaction.atomic
def activity_submit(
    *,
    cycle: RecertificationCycle,
    category: str,
    title: str,
    units: Decimal,
    completed_on: dt.date,
    provider: str = "",
    evidence: File | None = None,
    acting_user: Any = None,
    as_holder: bool = False,
) -> Activity:
    """Submit an activity towards an open cycle; staff review it before its units count.

    ``as_holder``: the holder sends it from their account (the acting user must be the holder's, and
    a cycle they submitted takes no more); else staff record it for them. The same activity twice
    (a form sent twice) is refused. Nothing is stored when it is refused."""
    cycle = _lock_cycle(cycle.pk)
    if as_holder:
        _refuse_not_holder(cycle, acting_user)
    problems = []
    if not cycle.is_open:
        problems.append(f"the cycle is closed ({cycle.get_outcome_display().lower()})")
    elif as_holder and cycle.is_submitted:
        problems.append("you have submitted this cycle: it takes no more activities")
    problems += _activity_problems(
        cycle, category=category, title=title, units=units, completed_on=completed_on
    )
    if problems:
        raise RecertificationError("; ".join(problems))
    evidence_check(evidence)
    title, provider, units = title.strip(), provider.strip(), Decimal(units)
    if cycle.activities.filter(
        category=category, title=title, provider=provider, completed_on=completed_on, units=units
    ).exists():
        raise RecertificationError(
            "this activity is already recorded on this cycle (was the form sent twice?)"
        )
    activity = Activity(
        cycle=cycle,
        category=category,
        title=title,
        provider=provider,
        completed_on=completed_on,
        units=units,
    )
    if evidence is not None:
        activity.evidence.save(PurePath(evidence.name).name, evidence, save=False)
    activity.save()
    _audit(
        "activity_submitted",
        cycle,
        acting_user,
        activity=activity.pk,
        category=category,
        units=units,
        completed_on=completed_on,
        evidence=bool(activity.evidence),
        by_holder=as_holder,
    )
    return activity


@transaction.atomic
def activity_evidence_add(
    *, activity: Activity, evidence: File, acting_user: Any = None, as_holder: bool = False
) -> Activity:
    """Add the evidence of an activity sent without it (an audit asks for it), while the cycle is
    open. Evidence once given is not replaced: it is what was reviewed."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    cycle = _lock_cycle(activity.cycle_id)
    if as_holder:
        _refuse_not_holder(cycle, acting_user)
    if not cycle.is_open:
        raise RecertificationError(f"the cycle is closed ({cycle.get_outcome_display().lower()})")
    if activity.evidence:
        raise RecertificationError("this activity has its evidence already")
    if activity.review == Activity.Review.REJECTED:
        raise RecertificationError("this activity was rejected: its evidence is not needed")
    if evidence is None:
        raise RecertificationError("choose the evidence file")
    evidence_check(evidence)
    activity.evidence.save(PurePath(evidence.name).name, evidence, save=False)
    activity.save(update_fields=["evidence", "updated_at"])
    _audit("activity_evidence_added", cycle, acting_user, activity=activity.pk, by_holder=as_holder)
    return activity


@transaction.atomic
def activity_review(
    *, activity: Activity, approve: bool, reason: str = "", acting_user: Any = None
) -> Activity:
    """Approve an activity, or reject it with a reason the holder will read."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    cycle = _lock_cycle(activity.cycle_id)
    if activity.review != Activity.Review.SUBMITTED:
        raise RecertificationError(
            f"this activity was already {activity.get_review_display().lower()}"
        )
    if not cycle.is_open:
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
    _audit(
        "activity_reviewed",
        cycle,
        acting_user,
        activity=activity.pk,
        review=activity.review,
        reason=activity.review_reason,
    )
    return activity


@transaction.atomic
def cycle_submit(
    *,
    cycle: RecertificationCycle,
    acting_user: Any = None,
    expected_version: str | None = None,
    as_holder: bool = False,
) -> RecertificationCycle:
    """The holder (or staff for them) says the cycle's activities are all in: it awaits staff's
    decision. Refused when the approved and awaiting units together do not cover the requirements,
    and when the cycle changed since the page that sends it was read (``expected_version``,
    `ombuds.core.changes.version_of`: ChangedMeanwhile)."""
    cycle = _lock_cycle(cycle.pk)
    if as_holder:
        _refuse_not_holder(cycle, acting_user)
    if not cycle.is_open:
        raise RecertificationError(f"the cycle is closed ({cycle.get_outcome_display().lower()})")
    if cycle.is_submitted:
        raise RecertificationError("the cycle is submitted already")
    if expected_version is not None and expected_version != version_of(cycle):
        raise ChangedMeanwhile(
            "the cycle changed since you opened the page: read it again before submitting"
        )
    missing = cycle_progress(cycle).claimed_shortfalls()
    if missing:
        raise RecertificationError(
            "the activities sent do not cover the requirements yet: " + "; ".join(missing)
        )
    cycle.submitted_at, cycle.submitted_by = timezone.now(), acting(acting_user)
    cycle.save(update_fields=["submitted_at", "submitted_by", "updated_at"])
    _audit("cycle_submitted", cycle, acting_user, by_holder=as_holder)
    return cycle


def missing_evidence(cycle: RecertificationCycle) -> list[Activity]:
    """The activities an audit needs evidence for and that have none (rejected ones are not counted)."""
    return [
        a for a in cycle.activities.all() if not a.evidence and a.review != Activity.Review.REJECTED
    ]


def _check_close(cycle: RecertificationCycle, outcome: str, reason: str) -> None:
    if not cycle.is_open:
        raise RecertificationError("the cycle is already closed")
    if outcome not in (
        RecertificationCycle.Outcome.COMPLIANT,
        RecertificationCycle.Outcome.NON_COMPLIANT,
        RecertificationCycle.Outcome.EXEMPT,
    ):
        raise RecertificationError(f"unknown outcome {outcome!r}")
    if outcome == RecertificationCycle.Outcome.COMPLIANT:
        progress = cycle_progress(cycle)
        if not progress.met:
            raise RecertificationError(
                f"requirements not met: {progress.earned} of {progress.required} units approved"
                + "".join(
                    f"; {k}: {e} of {r}" for k, (e, r) in progress.by_category.items() if e < r
                )
            )
        lacking = missing_evidence(cycle) if cycle.is_audited else []
        if lacking:
            raise RecertificationError(
                "the cycle was drawn for audit and these activities have no evidence: "
                + "; ".join(f"“{a.title}”" for a in lacking)
            )
    if outcome != RecertificationCycle.Outcome.COMPLIANT and not reason.strip():
        raise RecertificationError("say why the cycle is closed this way")


@transaction.atomic
def cycle_close(
    *, cycle: RecertificationCycle, outcome: str, reason: str = "", acting_user: Any = None
) -> RecertificationCycle:
    """Decide a cycle. Compliant (requirements met; for a cycle drawn for audit, every activity
    with its evidence) extends the credential by one cycle and opens the next; exempt needs a
    reason; non-compliant leaves the credential to expire on its date."""
    # The credential first, then the cycle: the order the lifecycle's changes lock them in.
    credential = Credential.objects.select_for_update().get(pk=cycle.credential_id)
    cycle = _lock_cycle(cycle.pk)
    _check_close(cycle, outcome, reason)
    renewal_fee_check(cycle, outcome=outcome, refuse=RecertificationError)
    cycle.outcome, cycle.outcome_reason, cycle.decided_by = (
        outcome,
        reason.strip(),
        acting(acting_user),
    )
    cycle.save(update_fields=["outcome", "outcome_reason", "decided_by", "updated_at"])
    _audit(
        "cycle_closed",
        cycle,
        acting_user,
        outcome=outcome,
        reason=cycle.outcome_reason,
        audited=cycle.is_audited,
    )
    recertified = outcome in (
        RecertificationCycle.Outcome.COMPLIANT,
        RecertificationCycle.Outcome.EXEMPT,
    )
    if recertified and credential.status == "active":
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
        cycle_start(
            credential=credential,
            starts_on=cycle.due_on,
            due_on=new_expiry,
            acting_user=acting_user,
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
    body_mail(
        program.organization,
        f"{program.abbreviation} recertification due in {days_left} days",
        (
            f"Dear {holder.full_name},\n\nYour {program.name} credential {cycle.credential.number} is due for "
            f"recertification on {cycle.due_on:%d %B %Y}. You have {progress.earned} of {progress.required} "
            f"units approved ({progress.pending} awaiting review).\n"
        ),
        [holder.email],
        stoppable=Stoppable.RECERTIFICATION,
    )
