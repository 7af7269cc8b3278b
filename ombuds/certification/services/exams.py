"""Examinations: windows, sittings booked in them, results (entered by staff or imported from the
testing vendor's file), and what a result does. A pass issues the credential in the register (its
number, its dates, its first recertification cycle) in the result's own transaction; a fail or a
no-show counts as an attempt under the programme's retake rules; a voided result no longer counts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.certification import workflow
from ombuds.certification.models import Application, ExamWindow, NumberCounter, Sitting
from ombuds.certification.requirements import Requirements as Spec
from ombuds.certification.services.common import (
    CertificationRefused,
    date_text,
    lock,
    move,
    notice_make,
    real_user,
    spec_of,
    staff_label,
)
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.register import services as register
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Credential, CredentialProgram
from ombuds.register.subjects import CREDENTIAL

RESULTS = ("pass", "fail", "no_show")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Retake:
    """Where a candidate stands under the retake rules."""

    used: int
    allowed: int
    next_from: dt.date | None  # the first day of a next attempt (None: no wait)

    @property
    def left(self) -> int:
        return max(0, self.allowed - self.used)


def attempts_of(application: Application) -> list[Sitting]:
    """The sittings that count as attempts (a result recorded, not voided), oldest first."""
    return [s for s in application.sittings.order_by("sat_on", "pk") if s.counts]


def retake_of(application: Application, spec: Spec) -> Retake:
    attempts = attempts_of(application)
    last = attempts[-1].sat_on if attempts else None
    wait = dt.timedelta(days=spec.retake_wait_days)
    return Retake(len(attempts), spec.max_attempts, last + wait if last and wait else None)


# --- windows -----------------------------------------------------------------------------------


@transaction.atomic
def window_save(
    *,
    program: CredentialProgram,
    values: dict[str, Any],
    window: ExamWindow | None = None,
    expected_version: str | None = None,
    acting_user: Any = None,
) -> ExamWindow:
    """Add an exam window to a programme, or change one: code (what the vendor's file names it
    by), name, first and last day, vendor. CertificationRefused by field listing every problem."""
    organization = program.organization
    label = staff_label(organization, acting_user)
    if window is not None:
        window = ExamWindow.objects.select_for_update().get(pk=window.pk)
        if expected_version is not None and version_of(window) != expected_version:
            raise ChangedMeanwhile(f"the window {window.name} changed since you opened it")
    code = str(values.get("code", "") or "").strip().lower()
    name = str(values.get("name", "") or "").strip()
    opens_on, closes_on = values.get("opens_on"), values.get("closes_on")
    errors: dict[str, list[str]] = {}
    if not _CODE.match(code):
        errors["code"] = ["Lower-case letters, digits and '-', e.g. 2026-spring."]
    elif (
        ExamWindow.objects.filter(program=program, code=code)
        .exclude(pk=getattr(window, "pk", None))
        .exists()
    ):
        errors["code"] = [f"{program.abbreviation} already has a window {code}."]
    if not name or len(name) > 200:
        errors["name"] = ["Give the window a name (at most 200 characters)."]
    if not isinstance(opens_on, dt.date):
        errors["opens_on"] = ["Give the first day."]
    if not isinstance(closes_on, dt.date):
        errors["closes_on"] = ["Give the last day."]
    elif isinstance(opens_on, dt.date) and closes_on < opens_on:
        errors["closes_on"] = ["The last day cannot come before the first."]
    vendor = str(values.get("vendor", "") or "").strip()
    if len(vendor) > 200:
        errors["vendor"] = ["At most 200 characters."]
    if errors:
        raise CertificationRefused(errors)
    created = window is None
    window = window or ExamWindow(organization=organization, program=program)
    window.code, window.name, window.vendor = code, name, vendor
    window.opens_on, window.closes_on = opens_on, closes_on
    if created:
        window.created_by = real_user(acting_user)
    window.save()
    audit.record(
        action="certification.window_saved",
        subject_type="certification.window",
        subject_id=window.pk,
        data={
            "code": code,
            "name": name,
            "opens_on": str(opens_on),
            "closes_on": str(closes_on),
            "created": created,
        },
        organization=organization,
        actor=acting_user,
        actor_label=label,
    )
    return window


# --- sittings ----------------------------------------------------------------------------------


def _sit_problems(
    application: Application, window: ExamWindow, spec: Spec, *, on: dt.date | None
) -> list[str]:
    """Why the candidate cannot sit in this window (on this day, when a result is recorded)."""
    if window.program_id != application.program_id:
        return [f"The window {window.name} is not for {application.program.abbreviation}."]
    if application.state == workflow.SUSPENDED:
        return [
            f"{application.reference}: eligibility is suspended until "
            f"{date_text(application.suspended_until)}."
        ]
    if application.state != workflow.ELIGIBLE:
        return [
            f"{application.reference} is {application.get_state_display().lower()}, not eligible."
        ]
    problems = []
    first, last = application.eligible_from, application.eligible_until
    if on is not None:
        if not window.opens_on <= on <= window.closes_on:
            problems.append(f"{date_text(on)} is outside the window {window.name}.")
        if not first <= on <= last:
            problems.append(
                f"{date_text(on)} is outside {application.reference}'s eligibility "
                f"({date_text(first)} to {date_text(last)})."
            )
    elif window.closes_on < max(first, timezone.localdate()) or window.opens_on > last:
        problems.append(f"The window {window.name} is not within the eligibility to sit.")
    retake = retake_of(application, spec)
    if not retake.left:
        problems.append(f"{application.reference} has used all {retake.allowed} attempts.")
    elif retake.next_from and (on or window.closes_on) < retake.next_from:
        problems.append(
            f"A next attempt is possible from {date_text(retake.next_from)} "
            f"({spec.retake_wait_days} days after the last)."
        )
    return problems


@transaction.atomic
def sitting_book(*, window: ExamWindow, application: Application, acting_user: Any) -> Sitting:
    """Book the candidate a place in the window (the candidate themselves, or staff)."""
    application = lock(application, None)
    own = getattr(acting_user, "pk", None) and application.person.user_id == acting_user.pk
    label = "" if own else staff_label(application.organization, acting_user)
    problems = _sit_problems(application, window, spec_of(application.requirements), on=None)
    if application.sittings.filter(result="", voided_at__isnull=True).exists():
        problems.append(f"{application.reference} already has a sitting booked.")
    if problems:
        raise CertificationRefused(problems)
    sitting = Sitting.objects.create(
        window=window, application=application, created_by=real_user(acting_user)
    )
    audit.record(
        action="certification.sitting_booked",
        subject_type="certification.application",
        subject_id=application.pk,
        data={"reference": application.reference, "window": window.code},
        organization=application.organization,
        actor=acting_user,
        actor_label=label,
    )
    return sitting


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultIn:
    sat_on: dt.date
    result: str = ""  # pass, fail or no_show; from the score when empty
    score: Decimal | None = None


def result_of(given: ResultIn, spec: Spec) -> str:
    """The result as recorded: the one given, else pass at or above the programme's pass score."""
    if given.result:
        return given.result
    if given.score is None:
        return ""
    return "pass" if given.score >= spec.pass_score else "fail"


def result_problems(
    application: Application, window: ExamWindow, given: ResultIn, spec: Spec
) -> list[str]:
    """Every reason this result cannot be recorded (the application as it is now)."""
    problems = []
    if given.result and given.result not in RESULTS:
        problems.append(f"Unknown result {given.result!r}; one of: {', '.join(RESULTS)}.")
    if given.score is not None and not Decimal(0) <= given.score <= Decimal(100):
        problems.append("A score is between 0 and 100.")
    if not result_of(given, spec):
        problems.append("Give the result or the score.")
    if given.sat_on > timezone.localdate():
        problems.append(f"{date_text(given.sat_on)} is in the future.")
    problems += _sit_problems(application, window, spec, on=given.sat_on)
    if result_of(given, spec) == "pass":
        live = Credential.objects.filter(
            program=application.program, holder=application.person
        ).exclude(status__in=CREDENTIAL.ended)
        if live.exists():
            problems.append(
                f"{application.full_name} already holds {application.program.abbreviation} "
                f"{live[0].number}."
            )
    return problems


def recorded_already(application: Application, window: ExamWindow, given: ResultIn, spec: Spec):
    """The sitting that has this very result already (an import run twice), or None."""
    return (
        application.sittings.filter(
            window=window,
            sat_on=given.sat_on,
            result=result_of(given, spec),
            voided_at__isnull=True,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def result_record(
    *,
    window: ExamWindow,
    application: Application,
    given: ResultIn,
    source: str,
    acting_user: Any,
    actor_label: str = "",
) -> Sitting:
    """Record a candidate's result in the window, and what it does: a pass certifies them (the
    credential issued and made active in the register, its first recertification cycle opened),
    a fail or a no-show counts as an attempt (the candidate told when they may sit again, or that
    every attempt is used). The same result recorded again changes nothing. CertificationRefused
    listing every problem; nothing is recorded then."""
    application = lock(application, None)
    label = actor_label or staff_label(application.organization, acting_user)
    spec = spec_of(application.requirements)
    same = recorded_already(application, window, given, spec)
    if same is not None:
        return same
    problems = result_problems(application, window, given, spec)
    if problems:
        raise CertificationRefused(problems)
    sitting = (
        application.sittings.select_for_update()
        .filter(window=window, result="", voided_at__isnull=True)
        .first()
    ) or Sitting(window=window, application=application, created_by=real_user(acting_user))
    sitting.sat_on, sitting.score = given.sat_on, given.score
    sitting.result = result_of(given, spec)
    sitting.source, sitting.recorded_at = source, timezone.now()
    sitting.recorded_by = real_user(acting_user)
    sitting.save()
    audit.record(
        action="certification.result_recorded",
        subject_type="certification.application",
        subject_id=application.pk,
        data={
            "reference": application.reference,
            "window": window.code,
            "sat_on": str(given.sat_on),
            "result": sitting.result,
            "score": str(given.score) if given.score is not None else None,
            "source": source,
        },
        organization=application.organization,
        actor=acting_user,
        actor_label=label,
    )
    if sitting.result == "pass":
        _certify(application, sitting, acting_user=acting_user, label=label)
    else:
        _after_attempt(application, sitting, spec, label=label)
    return sitting


def _next_number(program: CredentialProgram, prefix: str) -> str:
    """The next free number under the prefix (the counter locked until the commit)."""
    counter, created = NumberCounter.objects.select_for_update().get_or_create(program=program)
    if created or counter.last == 0:
        pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
        used = Credential.objects.filter(program=program, number__startswith=prefix)
        counter.last = max(
            (
                int(m.group(1))
                for n in used.values_list("number", flat=True)
                if (m := pattern.match(n))
            ),
            default=0,
        )
    while True:
        counter.last += 1
        number = f"{prefix}{counter.last:05d}"
        if not Credential.objects.filter(program=program, number=number).exists():
            counter.save(update_fields=["last"])
            return number


def _certify(application: Application, sitting: Sitting, *, acting_user: Any, label: str) -> None:
    """The credential issued on a pass, in the register, through its own services."""
    spec = spec_of(application.requirements)
    today = timezone.localdate()
    reason = (
        f"Passed the {application.program.abbreviation} examination ({sitting.window.name}, "
        f"{date_text(sitting.sat_on)}); application {application.reference}"
    )
    try:
        credential = register.credential_issue(
            holder=application.person,
            program=application.program,
            number=_next_number(application.program, spec.number_prefix),
            acting_user=acting_user,
        )
        credential = register.credential_transition(
            credential=credential,
            to_status="active",
            effective_date=today,
            reason=reason,
            acting_user=acting_user,
        )
    except TransitionRefused as exc:
        raise CertificationRefused(f"The register refused the credential: {exc}.") from exc
    application.credential = credential
    move(
        application,
        workflow.CERTIFIED,
        by=workflow.SYSTEM,
        reason=reason,
        acting_user=acting_user,
        actor_label=label,
        fields=("credential",),
        data={"credential": credential.number},
    )
    notice_make(
        application,
        "you are certified",
        f"You passed the {application.program.name} examination. Your credential number is "
        f"{credential.number}, valid until {date_text(credential.expires_on)}; it is on the "
        "public register now.",
    )


def _after_attempt(application: Application, sitting: Sitting, spec: Spec, *, label: str) -> None:
    """A fail or a no-show: the last attempt ends the application; otherwise the candidate is told
    when they may sit again."""
    retake = retake_of(application, spec)
    what = "did not sit" if sitting.result == "no_show" else "did not pass"
    if not retake.left:
        reason = (
            f"You {what} the examination on {date_text(sitting.sat_on)}: that was your last of "
            f"{retake.allowed} attempts. You may apply again."
        )
        move(application, workflow.EXHAUSTED, by=workflow.SYSTEM, reason=reason, actor_label=label)
        notice_make(application, "every attempt used", reason)
        return
    when = f" from {date_text(retake.next_from)}" if retake.next_from else ""
    notice_make(
        application,
        "your examination result",
        f"You {what} the examination on {date_text(sitting.sat_on)}. You may sit again{when}, "
        f"until {date_text(application.eligible_until)}: {retake.left} of {retake.allowed} "
        "attempts left.",
    )


@transaction.atomic
def result_void(*, sitting: Sitting, reason: str, decision_ref: str, acting_user: Any) -> Sitting:
    """Void a result as a sanction (an exam-security case's decision, ``decision_ref``): it no
    longer counts. A voided pass takes back what it gave: the credential it issued is revoked in
    the register, and the application is eligible again (or ended, when eligibility has)."""
    application = lock(sitting.application, None)
    label = staff_label(application.organization, acting_user)
    sitting = Sitting.objects.select_for_update().get(pk=sitting.pk, application=application)
    problems = []
    if not sitting.result:
        problems.append("There is no result to void.")
    if sitting.voided_at is not None:
        problems.append("This result is already void.")
    if not reason.strip():
        problems.append("Say why the result is void.")
    if not decision_ref.strip():
        problems.append("Name the decision (the case's reference) the voiding carries out.")
    if problems:
        raise CertificationRefused(problems)
    sitting.voided_at, sitting.void_reason = timezone.now(), reason.strip()
    sitting.decision_ref = decision_ref.strip()
    sitting.save(update_fields=["voided_at", "void_reason", "decision_ref", "updated_at"])
    audit.record(
        action="certification.result_voided",
        subject_type="certification.application",
        subject_id=application.pk,
        data={
            "reference": application.reference,
            "sitting": sitting.pk,
            "result": sitting.result,
            "reason": reason.strip(),
            "decision_ref": sitting.decision_ref,
        },
        organization=application.organization,
        actor=acting_user,
        actor_label=label,
    )
    if sitting.result == "pass" and application.credential_id:
        _take_back(application, sitting, reason=reason, acting_user=acting_user, label=label)
    return sitting


def _take_back(
    application: Application, sitting: Sitting, *, reason: str, acting_user: Any, label: str
) -> None:
    decision_ref = sitting.decision_ref
    credential = application.credential
    if credential.status not in CREDENTIAL.ended:
        try:
            register.credential_transition(
                credential=credential,
                to_status="revoked",
                effective_date=timezone.localdate(),
                reason=f"Examination result voided: {reason.strip()}",
                decision_ref=decision_ref,
                acting_user=acting_user,
            )
        except TransitionRefused as exc:
            raise CertificationRefused(f"The register refused the revocation: {exc}.") from exc
    ended = application.eligible_until < timezone.localdate()
    move(
        application,
        workflow.EXPIRED if ended else workflow.ELIGIBLE,
        by=workflow.STAFF,
        reason=f"Result voided: {reason.strip()}",
        acting_user=acting_user,
        actor_label=label,
        decision_ref=decision_ref,
    )
    notice_make(
        application,
        "examination result voided",
        f"Your examination result of {date_text(sitting.sat_on)} is void (decision {decision_ref}), and credential {credential.number} is revoked.\n\n"
        f"{reason.strip()}",
    )
