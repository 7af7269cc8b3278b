"""The daily clock of cases: deadlines that have passed (flagged, their expiry steps taken),
reminders before due dates, check-ins after closure; and retention, which purges a closed case's
personal content once its period ends."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.cases.models import Case, CaseDeadline, DeadlineReminder, Document
from ombuds.cases.procedure import SYSTEM as SYSTEM_ROLE
from ombuds.cases.rules import CaseRefused
from ombuds.cases.selectors import installed_procedures, procedure_of
from ombuds.cases.services import steps
from ombuds.cases.services.base import bump, lock_case, record_event
from ombuds.cases.services.deadlines import deadline_start
from ombuds.cases.services.notifications import notices_make

logger = logging.getLogger(__name__)


def deadlines_tick(*, today: dt.date | None = None) -> dict[str, int]:
    """Deadlines that have passed: flagged, their expiry steps taken (a respondent's answer period
    ending without an answer), and the deadlines they start started; reminders before due dates,
    sent once each. Each passed deadline is its own transaction, and an expiry step the procedure
    refuses is on the record rather than stopping the clock for every other case. Idempotent: a
    second run the same day does nothing."""
    today = today or timezone.localdate()
    counts = {"deadlines passed": 0, "steps taken": 0, "reminders sent": 0}
    due = CaseDeadline.objects.filter(
        met_at__isnull=True, expired_at__isnull=True, due_on__lt=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        try:
            outcome = _pass_deadline(pk)
        except Exception:  # one case the clock cannot handle must not stop it for every body
            logger.exception("deadline %s could not be handled", pk)
            counts["deadlines failed"] = counts.get("deadlines failed", 0) + 1
            continue
        if outcome is not None:
            counts["deadlines passed"] += 1
            counts["steps taken"] += outcome
    counts["reminders sent"] = _send_deadline_reminders(today)
    counts["check-ins sent"] = _send_checkins(today)
    counts["cases purged"] = cases_purge_due(today=today)
    return counts


def _pass_deadline(pk: int) -> int | None:
    """Handle one passed deadline: None when someone else already did, else the steps taken."""
    found = CaseDeadline.objects.filter(pk=pk).select_related("case").first()
    if found is None:
        return None
    with transaction.atomic():
        case = lock_case(found.case, None)  # the case first, as a step locks it: no deadlock
        current = (
            CaseDeadline.objects.select_for_update()
            .filter(pk=pk, met_at__isnull=True, expired_at__isnull=True)
            .first()
        )
        if current is None:
            return None
        current.expired_at = timezone.now()
        current.save(update_fields=["expired_at", "updated_at"])
        procedure = procedure_of(case)
        definition = procedure.deadlines.get(current.name)
        data: dict[str, Any] = {"deadline": current.name, "due_on": current.due_on}
        step = definition.on_expiry.take if definition else ""
        if definition is not None:
            for name in definition.on_expiry.start:
                deadline_start(case, procedure, name, current.due_on + dt.timedelta(days=1))
            data["started"] = list(definition.on_expiry.start)
        if step and case.state not in procedure.transition(step).sources:
            data["step not taken"] = f"{step}: the case is {case.state}"
            step = ""
        record_event(case, "case.deadline_passed", data, user=None, label="")
        if not step:
            return 0
        try:
            steps.case_step(case=case, step=step, roles={SYSTEM_ROLE})
        except CaseRefused as exc:
            record_event(
                case,
                "case.deadline_step_refused",
                {"deadline": current.name, "step": step, "reason": str(exc)},
                user=None,
                label="",
            )
            return 0
        return 1


def _send_deadline_reminders(today: dt.date) -> int:
    """Remind the chair of deadlines coming due, once per reminder the procedure sets."""
    sent = 0
    furthest = max(
        (
            r
            for p in installed_procedures().values()
            for d in p.deadlines.values()
            for r in d.reminders
        ),
        default=0,
    )
    running = CaseDeadline.objects.filter(
        met_at__isnull=True,
        expired_at__isnull=True,
        due_on__gte=today,
        due_on__lte=today + dt.timedelta(days=furthest),  # only those a reminder can be due for
    ).select_related("case")
    for deadline in running:
        try:
            definition = procedure_of(deadline.case).deadlines.get(deadline.name)
        except CaseRefused:
            logger.exception("no procedure for case %s", deadline.case_id)
            continue
        if definition is None:
            continue
        left = (deadline.due_on - today).days
        due_now = [d for d in definition.reminders if left <= d]
        if not due_now:
            continue
        threshold = min(due_now)
        if deadline.reminders.filter(days_before__lte=threshold).exists():
            continue
        try:
            with transaction.atomic():
                DeadlineReminder.objects.create(deadline=deadline, days_before=threshold)
                notices_make(deadline.case, "deadline_reminder", "chair")
        except IntegrityError:
            continue
        sent += 1
    return sent


def _send_checkins(today: dt.date) -> int:
    """After closure, on the day the procedure set, ask the complainant whether they have faced
    retaliation; once per case, however often the clock runs."""
    sent = 0
    for pk in (
        Case.objects.filter(checkin_on__lte=today, closed_at__isnull=False, purged_at__isnull=True)
        .exclude(notices__template="checkin")
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if case.notices.filter(template="checkin").exists():
                continue
            notices_make(case, "checkin", "complainant")
            record_event(case, "case.checkin_sent", {"on": today}, user=None, label="")
        sent += 1
    return sent


# --- retention ------------------------------------------------------------------------------------


def retention_days() -> int:
    """How long a closed case keeps its personal content (0: for ever)."""
    return int(getattr(settings, "OMBUDS_CASE_RETENTION_DAYS", 0) or 0)


def cases_purge_due(*, today: dt.date | None = None) -> int:
    """Purge the cases closed longer ago than the retention period; how many."""
    days = retention_days()
    if days <= 0:
        return 0
    today = today or timezone.localdate()
    cutoff = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time()))
    due = Case.objects.filter(closed_at__lt=cutoff, purged_at__isnull=True)
    return sum(
        case_purge(case=case, reason=f"retention period of {days} days ended") for case in due
    )


PURGED = "(purged at the end of the retention period)"


def case_purge(*, case: Case, reason: str, acting_user: Any = None) -> bool:
    """Purge a closed case's personal content: the complainant's details and words, evidence and
    other documents (files deleted), messages and notice texts, and the details of its audit events.
    Nothing is deleted: the case, its allegations with their citations and determinations, the
    sanction and the event chain stay, and one event records the purge. False when already purged."""
    if not reason.strip():
        raise CaseRefused("say why the case is purged")
    with transaction.atomic():
        case = lock_case(case, None)
        if case.purged_at is not None:
            return False
        if case.closed_at is None:
            raise CaseRefused("only a closed case is purged")
        files = _purge_contents(case)
        purged = audit.purge_subject(
            subject_type="case",
            subject_id=case.pk,
            reason=reason.strip(),
            actor=acting_user,
            organization=case.organization,
        )
        record_event(
            case,
            "case.purged",
            {"reason": reason.strip(), "documents": len(files), "events": purged},
            user=acting_user,
            label="",
        )
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
    return True


def _purge_contents(case: Case) -> list:
    """Empty what a case says of people (the locked case saved, its version bumped); the files to
    delete once that commits."""
    now = timezone.now()
    files = []
    for document in case.documents.filter(purged_at__isnull=True):
        if document.file:
            files.append(document.file)
        Document.objects.filter(pk=document.pk).update(purged_at=now, file="")
    case.messages.filter(purged_at__isnull=True).update(body="", purged_at=now)
    # The complainant's own words, copied into the first allegation; the citations and the
    # committee's determination stay.
    case.allegations.filter(source="complainant").update(summary=PURGED)
    case.respondent_links.filter(revoked_at__isnull=True).update(revoked_at=now)
    case.notices.update(link_token="")
    case.notices.update(body="", subject="(purged)")
    case.complainant_name = case.complainant_email = case.complainant_phone = ""
    case.what_happened = PURGED
    case.outcome_sought = case.respondent_details = ""
    case.passphrase_hash, case.receipt_code = "", None
    case.purged_at = now
    bump(
        case,
        "complainant_name",
        "complainant_email",
        "complainant_phone",
        "what_happened",
        "outcome_sought",
        "respondent_details",
        "passphrase_hash",
        "receipt_code",
        "purged_at",
    )
    return files
