"""Delivery as a fact: a notice reaches the respondent by email (the outbox marks it sent,
`ombuds.cases.services.delivery`), or by post, by hand or by courier, which staff record here with
the day, the means, a note and a scan of the proof (a document of the case, encrypted at rest like
every other). What waited for the delivery then follows (`deadlines.delivery_settle`): the
deadlines that count from it start, and the complainant is told the respondent was notified.

A respondent without an email address has their notice made *to deliver by other means*: staff
print it (`notice_printable`, the text with the respondent's personal link written out), deliver
it, and record the delivery."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.cases.facts import respondent_notice_made, respondent_notified
from ombuds.cases.models import Case, CaseDeadline, Notice
from ombuds.cases.notices import LINK_PLACEHOLDER, respondent_url
from ombuds.cases.procedure import Procedure, State
from ombuds.cases.rules import HANDLERS, PROCEDURE_LINK_TEMPLATES, CaseRefused
from ombuds.cases.selectors import procedure_of
from ombuds.cases.services.base import account, bump, lock_case, record_event, staff_roles
from ombuds.cases.services.deadlines import delivery_settle
from ombuds.cases.services.delivery import send_notice_task
from ombuds.cases.services.documents import (
    document_store,
    files_removed_on_failure,
    uploads_check,
)

# The means staff record (email is the outbox's own).
RECORDED_MEANS = tuple(m for m in Notice.Means if m != Notice.Means.EMAIL)
# A respondent's notice whose delivery may be recorded: not sent by email, not delivered already.
UNDELIVERED = (
    Notice.Status.TO_DELIVER,
    Notice.Status.FAILED,
    Notice.Status.UNKNOWN,
    Notice.Status.PENDING,
)
NOTE_MAX = 2000


def notice_printable(notice: Notice) -> str:
    """The notice's text as it is posted or handed over: the respondent's personal link written
    out while the notice waits for its delivery (afterwards the link is not kept, and the text
    shows the placeholder, as the notice kept on the case always does)."""
    if notice.link_token:
        return notice.body.replace(LINK_PLACEHOLDER, respondent_url(notice.link_token))
    return notice.body


# What the complainant is told while the respondent's notice waits for its delivery.
BEING_DELIVERED = (
    "The respondent is being notified",
    "The allegations are on their way to the respondent. You will be told once they have them.",
)


def complainant_state(case: Case, procedure: Procedure | None = None) -> State:
    """The case's state as the complainant is told of it: while the respondent's notice of the
    complaint waits for its delivery, never that they were notified."""
    state = (procedure or procedure_of(case)).state(case.state)
    if state.final or not respondent_notice_made(case) or respondent_notified(case):
        return state
    label, text = BEING_DELIVERED
    return replace(state, label=label, description=text, complainant=text)


def respondent_notices_to_deliver(case: Case) -> list[Notice]:
    """The respondent's notices waiting for a delivery by other means (staff's work to do)."""
    return list(case.notices.filter(recipient_role="respondent", status=Notice.Status.TO_DELIVER))


def _problems(notice: Notice | None, means: str, on: Any, note: str, today: dt.date) -> list[str]:
    problems = []
    if notice is None:
        problems.append("there is no such notice to the respondent on this case")
    elif notice.status not in UNDELIVERED:
        problems.append(
            f"this notice is {notice.get_status_display().lower()}: there is no delivery to record"
        )
    if means not in RECORDED_MEANS:
        problems.append(
            "the means of delivery is one of "
            + ", ".join(m.value for m in RECORDED_MEANS)
            + f", not {means!r}"
        )
    if not isinstance(on, dt.date):
        problems.append("give the day it was delivered")
    elif on > today:
        problems.append("the day of delivery cannot be in the future")
    elif notice is not None and on < timezone.localtime(notice.created_at).date():
        problems.append("the day of delivery cannot be before the notice was made")
    if len(note) > NOTE_MAX:
        problems.append(f"the note is longer than {NOTE_MAX} characters")
    return problems


def notice_delivery_record(
    *,
    case: Case,
    notice_id: int,
    means: str,
    on: dt.date,
    note: str = "",
    proof: tuple[str, bytes] | None = None,
    acting_user: Any,
    expected_version: int | None = None,
) -> Notice:
    """Record that a notice to the respondent was delivered outside Ombuds (``means``: post,
    registered post, by hand, courier, other) on ``on``, with a note and the scan of the proof
    kept as an internal document of the case. The notice is then delivered: the deadlines that
    count from its delivery start on ``on`` and the notices held until then go (after commit).
    Every problem is refused at once (CaseRefused), nothing written; the case's handlers only."""
    with files_removed_on_failure(), transaction.atomic():
        case = lock_case(case, expected_version)
        staff_roles(acting_user, case, HANDLERS)
        notice = (
            Notice.objects.select_for_update()
            .filter(case=case, pk=notice_id, recipient_role="respondent")
            .first()
        )
        problems = _problems(notice, means, on, note, timezone.localdate())
        if proof is not None:
            try:
                uploads_check([proof])
            except CaseRefused as exc:
                problems.extend(exc.problems)
        if problems:
            raise CaseRefused(problems)
        assert notice is not None
        document = None
        if proof is not None:
            document = document_store(
                case,
                proof[0],
                proof[1],
                kind="delivery_proof",
                visibility="internal",
                user=acting_user,
                label="",
                audit_it=False,
            )
        old = notice.status
        notice.status = Notice.Status.DELIVERED
        notice.delivered_on, notice.delivery_means = on, means
        notice.delivery_note, notice.delivery_proof = note.strip(), document
        notice.delivery_recorded_by = account(acting_user)
        notice.link_token = ""  # delivered: the link is the respondent's alone now
        notice.save()
        released = []
        if notice.template in PROCEDURE_LINK_TEMPLATES:
            released = delivery_settle(case, procedure_of(case), on)
        bump(case)
        record_event(
            case,
            "case.notice_delivered",
            {
                "notice": notice.pk,
                "template": notice.template,
                "means": means,
                "on": on,
                "status": [old, notice.status],
                "note": notice.delivery_note,
                "proof": document.original_name if document else "",
            },
            user=acting_user,
            label="",
        )
        for pk in released:
            transaction.on_commit(lambda pk=pk: send_notice_task.enqueue(pk), robust=True)
    return notice


def deliveries_settle_missed() -> int:
    """What waits for a delivery already made (the settling after an email was sent failed, or
    ran before the mail was marked): settled from the day of that delivery. The daily clock calls
    it; returns how many cases were settled."""
    settled = 0
    waiting = CaseDeadline.objects.filter(
        waits_for_delivery=True, met_at__isnull=True, expired_at__isnull=True
    ).values_list("case_id", flat=True)
    for case in Case.objects.filter(pk__in=set(waiting)):
        delivered = (
            case.notices.filter(
                recipient_role="respondent",
                template__in=PROCEDURE_LINK_TEMPLATES,
                status__in=(Notice.Status.SENT, Notice.Status.DELIVERED),
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if delivered is None:
            continue
        # Started by the step (or the change) that made the notice, before it: they wait for it.
        if not case.deadlines.filter(
            waits_for_delivery=True, created_at__lte=delivered.created_at
        ).exists():
            continue
        on = delivered.delivered_on or timezone.localtime(delivered.sent_at).date()
        with transaction.atomic():
            locked = lock_case(case, None)
            released = delivery_settle(locked, procedure_of(locked), on)
            record_event(
                locked,
                "case.delivery_settled",
                {"notice": delivered.pk, "on": on},
                user=None,
                label="",
            )
            for pk in released:
                transaction.on_commit(lambda pk=pk: send_notice_task.enqueue(pk), robust=True)
        settled += 1
    return settled
