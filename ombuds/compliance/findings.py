"""A finding's life after the check found it: the agency answers it or corrects it by an amended
return within the cure period; what it answered, and what is still unresolved after the period, is
the council's to close or to take to a case citing the provision, with the evidence attached.

Every change here is one transaction: the finding locked, a stale change refused (the caller sends
the version it read, `ombuds.core.changes.version_of`), one audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.selectors import is_body_staff
from ombuds.cases.complaint import Complaint
from ombuds.cases.models import Case
from ombuds.cases.rules import CaseRefused
from ombuds.cases.services import case_file
from ombuds.codes.citing import cite
from ombuds.codes.selectors import current_version
from ombuds.compliance.models import Finding, Return
from ombuds.compliance.programme import Programme, load
from ombuds.compliance.selectors import programme_current
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.members.agency_roles import is_agency_admin

ANSWER_MAX = 5000


class FindingRefused(Exception):
    """The change cannot be made; the message says why in one sentence. Nothing was written."""


def fingerprint(rule: str, client: str | None, date: dt.date | None, reference: Any) -> str:
    """What makes two findings the same one: the rule, the client, the date and the reference of
    the movement (a return amended for the same period finds the same problem again under it)."""
    key = [rule, client or "", date.isoformat() if date else "", str(reference or "")]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


def cure_days(programme: Programme) -> int:
    """The days an agency has to answer or correct a finding: the programme's, else 30."""
    return int(programme.settings.get("cure_days", 30))


def cited(finding: Finding) -> str:
    """The provision as the code cites it: "CSEC 1.2(c)"."""
    programme = programme_current(finding.organization)
    if programme is None:
        return cite(finding.organization, finding.provision)
    return f"{load(programme.text).code} {finding.provision}".strip()


def _label(user: Any) -> str:
    if getattr(user, "pk", None):
        return user.get_full_name() or user.get_username()
    return audit.SYSTEM


def _locked(finding: Finding, version: str | None) -> Finding:
    locked = Finding.objects.select_for_update().get(pk=finding.pk)
    if version is not None and version_of(locked) != version:
        raise ChangedMeanwhile(
            "this finding changed since you read it: read it again before you change it"
        )
    return locked


def _record(finding: Finding, action: str, data: dict[str, Any], user: Any) -> None:
    audit.record(
        action=f"compliance.finding_{action}",
        subject_type="compliance.finding",
        subject_id=finding.pk,
        data={
            "agency": finding.agency_id,
            "rule": finding.rule_key,
            "provision": finding.provision,
            **data,
        },
        organization=finding.organization,
        actor=user if getattr(user, "pk", None) else None,
        actor_label=_label(user),
    )


def may_answer(user: Any, finding: Finding) -> bool:
    """The agency's own administrators answer its findings: its words, not the council's."""
    return is_agency_admin(user, finding.agency)


def may_review(user: Any, finding: Finding) -> bool:
    return is_body_staff(user, finding.organization)


def finding_answer(
    *, finding: Finding, user: Any, text: str, version: str | None = None
) -> Finding:
    """The agency's explanation of an open finding, within its cure period: the finding goes to
    the council to review with the answer. FindingRefused otherwise."""
    text = (text or "").strip()
    if not may_answer(user, finding):
        raise FindingRefused("Only the agency's administrators answer its findings.")
    if not text:
        raise FindingRefused("Write the answer: what happened and what the agency did about it.")
    if len(text) > ANSWER_MAX:
        raise FindingRefused(f"An answer is at most {ANSWER_MAX} characters ({len(text)} given).")
    with transaction.atomic():
        locked = _locked(finding, version)
        if locked.status != Finding.Status.OPEN:
            raise FindingRefused(
                f"This finding is {locked.get_status_display().lower()}: it takes no answer now."
            )
        if timezone.localdate() > locked.cure_by:
            raise FindingRefused(
                f"The time to answer ended on {locked.cure_by:%d %B %Y}: the council reviews it now."
            )
        locked.status = Finding.Status.ANSWERED
        locked.answer = text
        locked.answered_at = timezone.now()
        locked.answered_by = user
        locked.answered_by_label = _label(user)
        locked.save()
        _record(locked, "answered", {"answer_chars": len(text)}, user)
    return locked


def finding_accept(
    *, finding: Finding, user: Any, reason: str, version: str | None = None
) -> Finding:
    """The council closes a finding it reviewed (the answer satisfies it, or the finding was
    wrong), with its reason."""
    reason = (reason or "").strip()
    if not may_review(user, finding):
        raise FindingRefused("Only the body's staff close findings.")
    if not reason:
        raise FindingRefused("Say why the finding is closed.")
    with transaction.atomic():
        locked = _locked(finding, version)
        if locked.status not in Finding.UNRESOLVED:
            raise FindingRefused(f"This finding is {locked.get_status_display().lower()} already.")
        _resolve(locked, Finding.Status.ACCEPTED, reason, user)
        _record(locked, "closed", {"from": finding.status}, user)
    return locked


def _resolve(finding: Finding, status: str, resolution: str, user: Any) -> None:
    finding.status = status
    finding.resolution = resolution
    finding.resolved_at = timezone.now()
    finding.resolved_by = user if getattr(user, "pk", None) else None
    finding.resolved_by_label = _label(user)
    finding.save()


def evidence_text(finding: Finding) -> str:
    """The finding as the case's evidence: plain text a reader and a hearing can use."""
    lines = [
        f"Compliance finding {finding.pk} of {finding.organization.name}",
        f"Agency: {finding.agency.legal_name} (number {finding.agency_id})",
        f"Return: {finding.return_key}, {finding.period_start} to {finding.period_end}",
    ]
    if finding.filed_return_id:
        r = finding.filed_return
        lines.append(f"Filed as return {r.pk} on {r.filed_at:%Y-%m-%d %H:%M} by {r.filed_by_label}")
        for f in r.files.all():
            lines.append(f"  file {f.key}: {f.size} bytes, SHA-256 {f.sha256}")
    else:
        lines.append("Not filed by its due date.")
    lines += [
        f"Rule: {finding.rule_key} (provision {finding.provision}, severity {finding.severity})",
        f"Client: {finding.client_ref or '-'}",
        f"Date: {finding.date or '-'}",
        f"Amount: {finding.amount if finding.amount is not None else '-'}",
        f"Found: {finding.detail}",
    ]
    for key, value in sorted(finding.evidence.items()):
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"  {json.dumps(item, sort_keys=True, default=str)}" for item in value]
        else:
            lines.append(f"{key}: {value}")
    if finding.answer:
        lines += [
            "",
            f"The agency's answer ({finding.answered_by_label}, {finding.answered_at:%Y-%m-%d}):",
            finding.answer,
        ]
    return "\n".join(lines) + "\n"


def allegation_draft(finding: Finding) -> str:
    """The allegation a case opened from the finding starts with, citing the provision; staff edit
    it before the agency reads it, as for any complaint."""
    subject = f" for client {finding.client_ref}" if finding.client_ref else ""
    when = f" on {finding.date:%d %B %Y}" if finding.date else ""
    amount = f" (amount {finding.amount})" if finding.amount is not None else ""
    source = (
        f"the {finding.return_key.replace('_', ' ')} return it filed for "
        f"{finding.period_start:%d %B %Y} to {finding.period_end:%d %B %Y}"
        if finding.filed_return_id
        else f"its {finding.return_key.replace('_', ' ')} return due for "
        f"{finding.period_start:%d %B %Y} to {finding.period_end:%d %B %Y}, not filed"
    )
    return (
        f"The council's compliance review of {source} found{subject}{when}{amount}: "
        f"{finding.detail}. This may breach {cited(finding)}."
    )


def finding_refer(*, finding: Finding, user: Any, version: str | None = None) -> Case:
    """Open a case against the agency from a finding the council reviewed: the allegation drafted
    citing the provision, the finding and its evidence rows attached, the procedure started as for
    any complaint. The finding is then referred (closed here, the case carries it on)."""
    if not may_review(user, finding):
        raise FindingRefused("Only the body's staff open cases from findings.")
    if finding.status not in Finding.WITH_COUNCIL:
        raise FindingRefused(
            "A case is opened from a finding the agency answered or did not answer in time "
            f"(this one is {finding.get_status_display().lower()})."
        )
    code = current_version(finding.organization)
    provision = code.provisions.filter(citation=finding.provision).first() if code else None
    if provision is None:
        raise FindingRefused(
            f"{finding.provision} is not in the code in force: open the case by hand and cite "
            "what applies."
        )
    complaint = Complaint(
        what_happened=allegation_draft(finding),
        respondent_agency=finding.agency,
        respondent_name=finding.agency.legal_name,
        complainant_name=f"{finding.organization.name} (compliance review)",
        complainant_relation=Case.Relation.OTHER,
        consent_to_share=True,
        happened_on=finding.date or finding.period_end,
        provisions=[provision],
        files=[(f"compliance-finding-{finding.pk}.txt", evidence_text(finding).encode())],
        channel=Case.Channel.STAFF,
        submission_key=f"compliance-finding-{finding.pk}",
    )
    with transaction.atomic():
        locked = _locked(finding, version)
        if locked.status not in Finding.WITH_COUNCIL:
            raise ChangedMeanwhile("this finding was resolved meanwhile")
        try:
            case = case_file(
                organization=finding.organization,
                complaint=complaint,
                acting_user=user,
                key_scope="compliance",
            ).case
        except CaseRefused as exc:
            raise FindingRefused(str(exc)) from exc
        locked.case = case
        _resolve(locked, Finding.Status.REFERRED, f"case {case.reference}", user)
        _record(locked, "referred", {"case": case.reference}, user)
    return case


def carry_over(previous: Return, amended: Return, new: Iterable[Finding]) -> dict[str, int]:
    """When ``amended`` replaces ``previous``: every unresolved finding of the previous return that
    the amended one finds again is continued by the new finding (same answer, same cure date: an
    amendment does not buy time); one it no longer finds is corrected. Called in the filing's
    transaction. The counts, for the filing's audit event."""
    by_print = {f.fingerprint: f for f in new}
    counts = {"corrected": 0, "carried": 0}
    for old in previous.findings.select_for_update().filter(status__in=Finding.UNRESOLVED):
        again = by_print.get(old.fingerprint)
        if again is None:
            _resolve(
                old,
                Finding.Status.CORRECTED,
                f"not found in amended return {amended.pk}",
                amended.filed_by,
            )
            counts["corrected"] += 1
            continue
        again.carried_from = old
        again.status = old.status
        again.cure_by = old.cure_by
        again.answer = old.answer
        again.answered_at = old.answered_at
        again.answered_by = old.answered_by
        again.answered_by_label = old.answered_by_label
        again.save()
        old.status = Finding.Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
        counts["carried"] += 1
    return counts


def overdue_correct(filed: Return) -> int:
    """A return filed after its due date corrects the overdue finding of its period (unless the
    council took it to a case already). Called in the filing's transaction."""
    overdue = Finding.objects.select_for_update().filter(
        agency=filed.agency,
        return_key=filed.return_key,
        period_start=filed.period_start,
        period_end=filed.period_end,
        rule_key=Finding.OVERDUE_RULE,
        status__in=Finding.UNRESOLVED,
    )
    count = 0
    for finding in overdue:
        _resolve(
            finding, Finding.Status.CORRECTED, f"filed late as return {filed.pk}", filed.filed_by
        )
        count += 1
    return count


def findings_escalate(*, today: dt.date | None = None) -> int:
    """Findings still open after their cure period go to the council: one audit event per body."""
    today = today or timezone.localdate()
    escalated = 0
    due = (
        Finding.objects.filter(status=Finding.Status.OPEN, cure_by__lt=today)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization_id in sorted(set(due)):
        with transaction.atomic():
            ids = list(
                Finding.objects.select_for_update()
                .filter(
                    organization_id=organization_id, status=Finding.Status.OPEN, cure_by__lt=today
                )
                .values_list("pk", flat=True)
            )
            Finding.objects.filter(pk__in=ids).update(
                status=Finding.Status.ESCALATED, updated_at=timezone.now()
            )
            if not ids:
                continue  # answered or corrected meanwhile
            finding = Finding.objects.select_related("organization").get(pk=ids[0])
            audit.record(
                action="compliance.findings_escalated",
                subject_type="compliance.finding",
                subject_id=ids[0],
                data={"on": today, "findings": ids},
                organization=finding.organization,
            )
        escalated += len(ids)
    return escalated
