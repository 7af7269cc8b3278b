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

from ombuds.cases.models import Case, CaseDeadline, DeadlineReminder
from ombuds.cases.procedure import SYSTEM as SYSTEM_ROLE
from ombuds.cases.rules import CaseRefused
from ombuds.cases.selectors import installed_procedures, procedure_of
from ombuds.cases.services import deliveries, erasure, steps
from ombuds.cases.services.base import lock_case, record_event
from ombuds.cases.services.deadlines import deadline_start, next_due_refresh
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
    settled = deliveries.deliveries_settle_missed()
    if settled:
        counts["deliveries settled"] = settled
    # A deadline waiting for the respondent's notice's delivery has no due date yet: not expired.
    due = CaseDeadline.objects.filter(
        met_at__isnull=True, expired_at__isnull=True, waits_for_delivery=False, due_on__lt=today
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
            .filter(pk=pk, met_at__isnull=True, expired_at__isnull=True, waits_for_delivery=False)
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
                deadline_start(
                    case, procedure, name, current.due_on + dt.timedelta(days=1), refresh=False
                )
            data["started"] = list(definition.on_expiry.start)
        next_due_refresh(case)
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
        waits_for_delivery=False,
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
    purged = sum(
        case_purge(case=case, reason=f"retention period of {days} days ended") for case in due
    )
    return purged + _earlier_purges_completed()


def _earlier_purges_completed() -> int:
    """Cases purged before the purge removed everything (notice recipients, documents with their
    names and uploaders' labels were left): swept again, once each; how many. Found by what is
    not encrypted (a document's own purge marker, never its sealed name)."""
    left = (
        Case.objects.filter(purged_at__isnull=False)
        .filter(erasure.holding_personal_data())
        .values_list("pk", flat=True)
        .distinct()
    )
    swept = 0
    for pk in list(left):
        with transaction.atomic():
            case = lock_case(Case(pk=pk), None)
            removed = erasure.personal_data_remove(case, placeholder=PURGED)
            events = erasure.audit_purge(case, reason="an earlier purge completed", user=None)
            record_event(
                case,
                "case.purge_completed",
                {"documents": len(removed.files), "events": events},
                user=None,
                label="",
            )
            erasure.journal_append(case, removed, reason="purge_completed")
            transaction.on_commit(lambda files=removed.files: erasure.files_destroy(files))
        swept += 1
    return swept


PURGED = erasure.PURGED


def case_purge(*, case: Case, reason: str, acting_user: Any = None) -> bool:
    """Purge a closed case's personal data (`erasure.personal_data_remove`: the complainant's
    details and words, notices' texts and recipients, messages, documents with their names and
    uploaders, files destroyed) and the details and actor labels of its audit events. Nothing is
    deleted: the case, its allegations with their citations and determinations, the sanction and
    the event chain stay, and one event records the purge. False when already purged."""
    if not reason.strip():
        raise CaseRefused("say why the case is purged")
    with transaction.atomic():
        case = lock_case(case, None)
        if case.purged_at is not None:
            return False
        if case.closed_at is None:
            raise CaseRefused("only a closed case is purged")
        removed = erasure.personal_data_remove(case, placeholder=PURGED)
        purged = erasure.audit_purge(case, reason=reason.strip(), user=acting_user)
        record_event(
            case,
            "case.purged",
            {"reason": reason.strip(), "documents": len(removed.files), "events": purged},
            user=acting_user,
            label="",
        )
        erasure.journal_append(case, removed, reason="retention_purge")
        transaction.on_commit(lambda: erasure.files_destroy(removed.files))
    return True
