"""Forgetting a client's complaint to a member agency: the client's name, contact details and case
number, the subject, the description, the resolution and every message of the exchange are
emptied; the record stays (its reference, agency, statuses and dates: the agency's response times
still count it), and so does the audit chain, whose events of the complaint have their details
emptied (it still verifies).

One service does it (`client_complaint_forget`: the complaint locked, one event, the entry in the
erasure journal written before the commit). It is reached three ways: when the body's case the
complaint went to is erased or purged (`case_forget`, which cases calls through its hooks, inside
the case's transaction); at the end of the retention period of a closed complaint that did not
go to the body, or whose case was purged (`complaints_purge_due`, the daily work); and when the
erasure journal is re-applied after a restore (`forget_reapply`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.cases.rules import CaseRefused
from ombuds.core import erasure_journal
from ombuds.members.first_tier.common import CLOSED, FirstTierRefused, require_admin
from ombuds.members.models import ClientComplaint, ClientMessage

ERASED = "(erased)"
# Why a client's complaint is forgotten, as the journal names it.
REASONS = frozenset({"erasure_on_request", "retention_purge", "case_erased"})


def client_complaint_forget(
    *,
    complaint: ClientComplaint,
    reason: str,
    acting_user: Any = None,
    actor_label: str = "",
    journal: bool = True,
) -> bool:
    """Forget a client's complaint's personal data (see the module), in one transaction with its
    event ("client_complaint.erased": the reason code and counts, nothing personal) and its
    journal entry (none when the journal itself is re-applied: ``journal=False``). An account
    acting must administer the agency; without one, the system or an operator (``actor_label``)
    does. False when it was forgotten already (nothing changes).
    FirstTierRefused, and nothing forgotten, for an unknown reason or a journal that cannot be
    written."""
    if reason not in REASONS:
        raise FirstTierRefused(f"Not a reason to erase a client's complaint: {reason!r}.")
    if getattr(acting_user, "pk", None):
        require_admin(acting_user, complaint.agency)
    label = "" if getattr(acting_user, "pk", None) else (actor_label or audit.SYSTEM)
    with transaction.atomic():
        locked = (
            ClientComplaint.objects.select_for_update(of=("self",))
            .select_related("agency__organization")
            .get(pk=complaint.pk)
        )
        if locked.erased_at is not None:
            return False
        messages = _personal_data_remove(locked)
        events = audit.purge_subject(
            subject_type="client_complaint",
            subject_id=locked.pk,
            reason=f"client's complaint erased ({reason})",
            actor=acting_user,
            actor_label=label,
            organization=locked.agency.organization,
        )
        audit.record(
            action="client_complaint.erased",
            subject_type="client_complaint",
            subject_id=locked.pk,
            organization=locked.agency.organization,
            actor=acting_user,
            actor_label=label,
            data={
                "reference": locked.reference,
                "reason": reason,
                "messages": messages,
                "events": events,
            },
        )
        if journal:
            _journal_append(locked, reason)
    complaint.erased_at = locked.erased_at
    return True


def _journal_append(complaint: ClientComplaint, reason: str) -> None:
    try:
        erasure_journal.append(
            kind="client_complaint",
            body=complaint.agency.organization.slug,
            record=complaint.pk,
            reference=complaint.reference,
            files=[],
            reason=reason,
        )
    except erasure_journal.JournalError as exc:
        raise FirstTierRefused(str(exc)) from exc


def _personal_data_remove(complaint: ClientComplaint) -> int:
    """Empty what a locked complaint says of the client; how many messages were emptied."""
    complaint.client_name = complaint.subject = complaint.description = ERASED
    complaint.client_email = complaint.client_phone = complaint.client_case_number = ""
    complaint.resolution = ""
    complaint.erased_at = timezone.now()
    complaint.save(
        update_fields=[
            "client_name",
            "client_email",
            "client_phone",
            "client_case_number",
            "subject",
            "description",
            "resolution",
            "erased_at",
        ]
    )
    return ClientMessage.objects.filter(complaint=complaint).update(body="")


def case_forget(case: Any) -> int:
    """Forget the client's complaints that went to a case being erased or purged, inside the
    case's transaction (cases calls it through `ombuds.cases.hooks.case_forget`); how many."""
    found = ClientComplaint.objects.filter(escalated_case=case, erased_at__isnull=True)
    try:
        return sum(
            client_complaint_forget(complaint=complaint, reason="case_erased")
            for complaint in found.select_related("agency__organization")
        )
    except FirstTierRefused as exc:  # the case's erasure fails with it, as the case's own would
        raise CaseRefused(str(exc)) from exc


def retention_days() -> int:
    """How long a closed complaint keeps its personal data: the cases' period (0: for ever)."""
    return int(getattr(settings, "OMBUDS_CASE_RETENTION_DAYS", 0) or 0)


def complaints_purge_due(*, today: dt.date | None = None) -> int:
    """Forget the closed complaints resolved (or closed unresolved) longer ago than the retention
    period, unless they went to a case the body still keeps (the case's own purge forgets them
    then); how many."""
    days = retention_days()
    if days <= 0:
        return 0
    today = today or timezone.localdate()
    cutoff = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time()))
    due = (
        ClientComplaint.objects.filter(
            status__in=CLOSED, resolved_at__lt=cutoff, erased_at__isnull=True
        )
        .filter(Q(escalated_case__isnull=True) | Q(escalated_case__purged_at__isnull=False))
        .select_related("agency__organization")
    )
    return sum(
        client_complaint_forget(complaint=complaint, reason="retention_purge") for complaint in due
    )


def forget_reapply(entry: erasure_journal.Entry) -> bool | None:
    """Forget again a client's complaint the erasure journal names, when a restored backup brought
    it back. None when there is no such complaint here (same body, id and reference); False when
    it is forgotten already; True when forgotten again."""
    found = (
        ClientComplaint.objects.filter(
            pk=entry.record,
            reference=entry.reference,
            agency__organization__slug=entry.body,
        )
        .select_related("agency__organization")
        .first()
    )
    if found is None:
        return None
    reason = entry.reason if entry.reason in REASONS else "erasure_on_request"
    return client_complaint_forget(
        complaint=found,
        reason=reason,
        actor_label="erasure journal (after a restore)",
        journal=False,
    )


def daily_work(*, today: dt.date | None = None) -> dict[str, int]:
    """The first tier's daily work (ombuds.operations.daily): the retention purge."""
    return {"client complaints erased": complaints_purge_due(today=today)}
