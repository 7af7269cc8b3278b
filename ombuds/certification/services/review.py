"""What the body's staff decide on an application, eligibility suspended as a sanction and restored,
and the daily work: requests for information that were not answered in time lapse, suspensions end,
eligibility ends, and notices the mail server refused go out again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.certification import workflow
from ombuds.certification.models import Application
from ombuds.certification.services.common import (
    CertificationRefused,
    date_text,
    lock,
    move,
    notice_make,
    notices_retry,
    real_user,
    spec_of,
    staff_label,
)


def _decision_text(application: Application, decision: str, reason: str) -> tuple[str, str]:
    """The notice's subject and text for a decision."""
    program = application.program.name
    why = f"\n\n{reason.strip()}" if reason.strip() else ""
    if decision == "complete":
        return (
            "application complete",
            f"Your application for {program} is complete. We are now deciding whether you are "
            f"eligible to sit the examination.{why}",
        )
    if decision == "more_information":
        return (
            "more information needed",
            f"We need more information to decide on your application for {program}:{why}\n\n"
            f"Please answer from your account by {date_text(application.respond_by)}; without "
            "an answer by then, the application lapses.",
        )
    if decision == "eligible":
        return (
            "eligible to sit the examination",
            f"You are eligible to sit the {program} examination until "
            f"{date_text(application.eligible_until)}. Book a sitting in an exam window; your "
            f"reference is {application.reference}.{why}",
        )
    return (
        "application refused",
        f"We cannot accept your application for {program}.{why}\n\nYou may apply again once "
        "you meet the requirements.",
    )


@transaction.atomic
def application_review(
    *,
    application: Application,
    decision: str,
    reason: str = "",
    expected_version: str | None,
    acting_user: Any,
) -> Application:
    """Staff decide: "complete" (the file is complete; eligibility next), "more_information" (with
    what is needed, answered by the programme's information days), "eligible" (to sit the
    examination for the programme's eligibility days from today) or "refused" (with the reason).
    The candidate is told by email and on their page. CertificationRefused or ChangedMeanwhile;
    nothing changes then."""
    application = lock(application, expected_version)
    label = staff_label(application.organization, acting_user)
    target = workflow.DECISIONS.get(decision)
    if target is None:
        raise CertificationRefused(
            f"Unknown decision {decision!r}; one of: {', '.join(workflow.DECISIONS)}."
        )
    spec = spec_of(application.requirements)
    today = timezone.localdate()
    fields: list[str] = []
    if target == workflow.MORE_INFORMATION:
        application.respond_by = today + dt.timedelta(days=spec.information_days)
        fields.append("respond_by")
    elif target == workflow.ELIGIBLE:
        application.eligible_from = today
        application.eligible_until = today + dt.timedelta(days=spec.eligibility_days)
        application.review_due_on = None
        fields += ["eligible_from", "eligible_until", "review_due_on"]
    elif target == workflow.REFUSED:
        application.review_due_on = application.respond_by = None
        fields += ["review_due_on", "respond_by"]
    move(
        application,
        target,
        by=workflow.STAFF,
        reason=reason,
        acting_user=acting_user,
        actor_label=label,
        fields=tuple(fields),
    )
    notice_make(application, *_decision_text(application, decision, reason))
    return application


@transaction.atomic
def eligibility_suspend(
    *,
    application: Application,
    until: dt.date,
    reason: str,
    decision_ref: str,
    expected_version: str | None,
    acting_user: Any,
) -> Application:
    """Suspend an eligible candidate's eligibility until a date, as a sanction (an exam-security
    case's, ``decision_ref``): no sitting is booked nor result recorded while it lasts."""
    application = lock(application, expected_version)
    label = staff_label(application.organization, acting_user)
    problems = []
    if until is None or until <= timezone.localdate():
        problems.append("A suspension ends after today: give its last day.")
    if not decision_ref.strip():
        problems.append("Name the decision (the case's reference) the suspension carries out.")
    if problems:
        raise CertificationRefused(problems)
    application.suspended_until = until
    move(
        application,
        workflow.SUSPENDED,
        by=workflow.STAFF,
        reason=reason,
        acting_user=acting_user,
        actor_label=label,
        decision_ref=decision_ref.strip(),
        fields=("suspended_until",),
    )
    notice_make(
        application,
        "eligibility suspended",
        f"Your eligibility to sit the {application.program.name} examination is suspended until "
        f"{date_text(until)} (decision {decision_ref.strip()}).\n\n{reason.strip()}",
    )
    return application


@transaction.atomic
def eligibility_restore(
    *, application: Application, reason: str, expected_version: str | None, acting_user: Any
) -> Application:
    """End a suspension of eligibility before its date (an appeal allowed, a mistake)."""
    application = lock(application, expected_version)
    label = staff_label(application.organization, acting_user)
    application.suspended_until = None
    move(
        application,
        workflow.ELIGIBLE,
        by=workflow.STAFF,
        reason=reason,
        acting_user=acting_user,
        actor_label=label,
        fields=("suspended_until",),
    )
    notice_make(
        application,
        "eligibility restored",
        f"Your eligibility to sit the {application.program.name} examination is restored, until "
        f"{date_text(application.eligible_until)}.\n\n{reason.strip()}",
    )
    return application


# --- the daily work -------------------------------------------------------------------------------


def _system_move(
    pk: int, target: str, reason: str, *, fields: dict[str, Any] | None = None
) -> bool:
    """One application moved by the daily work, in its own transaction; False when it changed
    meanwhile so that the move no longer applies."""
    with transaction.atomic():
        application = lock(Application(pk=pk), None)
        try:
            for name, value in (fields or {}).items():
                setattr(application, name, value)
            move(
                application,
                target,
                by=workflow.SYSTEM,
                reason=reason,
                fields=tuple(fields or {}),
            )
        except CertificationRefused:
            return False
        notice_make(application, workflow.LABELS[target].split(":")[0].lower(), reason)
    return True


def applications_tick(*, today: dt.date | None = None) -> dict[str, int]:
    """The day's moves: unanswered requests for information lapse, suspensions that ended give
    eligibility back, eligibility that ended closes the application; then waiting notices are sent
    again. Running it twice in a day changes nothing more."""
    today = today or timezone.localdate()
    counts = {"lapsed": 0, "restored": 0, "expired": 0}
    lapsing = Application.objects.filter(state=workflow.MORE_INFORMATION, respond_by__lt=today)
    for pk, respond_by in lapsing.values_list("pk", "respond_by"):
        counts["lapsed"] += _system_move(
            pk,
            workflow.LAPSED,
            f"The information asked for was due by {date_text(respond_by)} and did not come.",
        )
    ended = Application.objects.filter(state=workflow.SUSPENDED, suspended_until__lte=today)
    for pk, until in ended.values_list("pk", "suspended_until"):
        counts["restored"] += _system_move(
            pk,
            workflow.ELIGIBLE,
            f"The suspension of eligibility ended on {date_text(until)}.",
            fields={"suspended_until": None},
        )
    expiring = Application.objects.filter(
        state__in=(workflow.ELIGIBLE, workflow.SUSPENDED), eligible_until__lt=today
    )
    for pk, until in expiring.values_list("pk", "eligible_until"):
        counts["expired"] += _system_move(
            pk,
            workflow.EXPIRED,
            f"Eligibility to sit the examination ended on {date_text(until)} without a pass.",
            fields={"suspended_until": None},
        )
    counts["notices sent"] = notices_retry()
    return counts


__all__ = [
    "application_review",
    "applications_tick",
    "eligibility_restore",
    "eligibility_suspend",
    "real_user",
]
