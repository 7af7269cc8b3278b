"""When returns are due, and the clock's daily work on them: reminders before a due date (each once
per agency, return, period and reminder day), a return not filed by its due date recorded as a
finding itself (the "overdue" rule, citing the provision the programme names), and findings still
open after their cure period escalated to the council.

Which agencies file: those with a membership of the body that is active, in grace or suspended (a
suspended member is still bound by the code), from the first whole period after the programme was
first installed for the body.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.mail import Stoppable, body_mail, stopped_addresses
from ombuds.bodies.models import Organization
from ombuds.compliance import findings
from ombuds.compliance.models import Finding, Programme, Return, ReturnReminder
from ombuds.compliance.programme import Programme as ProgrammeSpec
from ombuds.compliance.programme import ReturnSpec, load
from ombuds.compliance.selectors import programme_current
from ombuds.core.dates import add_months
from ombuds.register.models import Affiliation, Agency, Membership

logger = logging.getLogger(__name__)

BOUND = (Membership.Status.ACTIVE, Membership.Status.GRACE, Membership.Status.SUSPENDED)
MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


@dataclass(frozen=True)
class Due:
    """One return due from one agency for one period."""

    spec: ReturnSpec
    start: dt.date
    end: dt.date
    due_on: dt.date


def business_days_after(day: dt.date, n: int, holidays: frozenset[dt.date]) -> dt.date:
    """The nth business day after ``day`` (weekdays that are not holidays)."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            n -= 1
    return day


def due_on(spec: ReturnSpec, programme: ProgrammeSpec, end: dt.date) -> dt.date:
    if spec.due_business_days:
        return business_days_after(end, spec.due_days, programme.holidays)
    return end + dt.timedelta(days=spec.due_days)


def period_of(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The whole month, quarter or year ``day`` falls in."""
    months = MONTHS[kind]
    start = dt.date(day.year, ((day.month - 1) // months) * months + 1, 1)
    return start, add_months(start, months) - dt.timedelta(days=1)


def periods(
    spec: ReturnSpec, programme: ProgrammeSpec, since: dt.date, until: dt.date
) -> Iterator[Due]:
    """The periods of a scheduled return that start on or after ``since`` and are due on or before
    ``until``, oldest first."""
    start, _end = period_of(spec.period, since)
    if start < since:
        start = add_months(start, MONTHS[spec.period])
    while True:
        end = add_months(start, MONTHS[spec.period]) - dt.timedelta(days=1)
        due = due_on(spec, programme, end)
        if due > until:
            return
        yield Due(spec, start, end, due)
        start = add_months(start, MONTHS[spec.period])


def applies_from(organization: Organization, key: str) -> dt.date | None:
    """The day the programme was first installed for the body: returns are due from then on."""
    first = (
        Programme.objects.filter(organization=organization, key=key)
        .order_by("installed_at")
        .values_list("installed_at", flat=True)
        .first()
    )
    return timezone.localdate(first) if first else None


def bound_agencies(organization: Organization) -> dict[Agency, dt.date | None]:
    """The agencies that file returns, each with the day its membership began (None: unknown,
    bound from the start)."""
    rows = Membership.objects.filter(
        organization=organization,
        agency__organization=organization,
        status__in=BOUND,
    ).values_list("agency_id", "start_date")
    began: dict[int, dt.date | None] = {}
    for agency_id, start in rows:
        if agency_id in began and (began[agency_id] is None or start is None):
            began[agency_id] = None
        elif agency_id in began:
            began[agency_id] = min(began[agency_id], start)
        else:
            began[agency_id] = start
    agencies = Agency.objects.filter(pk__in=began).order_by("pk")
    return {agency: began[agency.pk] for agency in agencies}


def _filed(organization: Organization) -> set[tuple[int, str, dt.date]]:
    return set(
        Return.objects.filter(organization=organization).values_list(
            "agency_id", "return_key", "period_start"
        )
    )


def calendar(
    organization: Organization, *, today: dt.date | None = None, ahead: int = 0
) -> list[tuple[Due, Agency, bool]]:
    """Every return due from every bound agency up to ``ahead`` days after today, with whether it
    was filed: what the coverage view shows and the clock acts on."""
    today = today or timezone.localdate()
    row = programme_current(organization)
    if row is None:
        return []
    programme = load(row.text)
    since = applies_from(organization, programme.key)
    filed = _filed(organization)
    agencies = bound_agencies(organization)
    out = []
    for spec in programme.scheduled():
        for due in periods(spec, programme, since, today + dt.timedelta(days=ahead)):
            for agency, began in agencies.items():
                if began is None or began <= due.end:
                    out.append((due, agency, (agency.pk, spec.key, due.start) in filed))
    return out


def agency_calendar(
    agency: Agency, *, today: dt.date | None = None, ahead: int = 62
) -> list[tuple[Due, bool]]:
    """The returns due from one agency until ``ahead`` days from today, the latest first, with
    whether each was filed (what the agency's own page lists)."""
    today = today or timezone.localdate()
    rows = [
        (due, filed)
        for due, a, filed in calendar(agency.organization, today=today, ahead=ahead)
        if a.pk == agency.pk
    ]
    return sorted(rows, key=lambda row: (row[0].due_on, row[0].spec.key), reverse=True)


def overdue_record(organization: Organization, *, today: dt.date | None = None) -> int:
    """A finding for every return due before today and not filed (once per agency, return and
    period: the constraint keeps it so however often and concurrently the clock runs)."""
    today = today or timezone.localdate()
    row = programme_current(organization)
    if row is None:
        return 0
    programme = load(row.text)
    missing = [
        (due, agency)
        for due, agency, filed in calendar(organization, today=today - dt.timedelta(days=1))
        if not filed
    ]
    if not missing:
        return 0
    cure_by = today + dt.timedelta(days=findings.cure_days(programme))
    made = []
    with transaction.atomic():
        for due, agency in missing:
            spec = due.spec
            finding = Finding(
                organization=organization,
                agency=agency,
                return_key=spec.key,
                period_start=due.start,
                period_end=due.end,
                rule_key=Finding.OVERDUE_RULE,
                provision=programme.overdue_provision(spec.key),
                severity=spec.overdue_severity,
                date=due.due_on,
                detail=f"{spec.label}: not filed by its due date, {due.due_on:%d %B %Y}",
                fingerprint=findings.fingerprint(Finding.OVERDUE_RULE, "", due.start, spec.key),
                cure_by=cure_by,
            )
            try:
                with transaction.atomic():
                    finding.save()
            except IntegrityError:
                continue  # recorded before (or by another run)
            made.append(finding.pk)
        if made:
            audit.record(
                action="compliance.returns_overdue",
                subject_type="compliance.finding",
                subject_id=made[0],
                data={"on": today, "findings": made},
                organization=organization,
            )
    return len(made)


def _recipients(agency: Agency, today: dt.date) -> list[str]:
    admins = (
        Affiliation.objects.filter(agency=agency, agency_admin=True)
        .exclude(start_date__gt=today)
        .exclude(end_date__lt=today)
        .select_related("person__user")
    )
    emails = sorted(
        {(a.person.user.email if a.person.user_id else "") or a.person.email for a in admins} - {""}
    )
    return emails or ([agency.email] if agency.email else [])


def _remind(
    organization: Organization, due: Due, agency: Agency, left: int, today: dt.date
) -> bool:
    """Claim the reminder (its row is the guard), send it with no transaction open; a refusal by
    the mail server gives the claim back so the next run tries again."""
    stopped = stopped_addresses(organization, Stoppable.COMPLIANCE)
    emails = [e for e in _recipients(agency, today) if e.strip().lower() not in stopped]
    if not emails:
        return False
    threshold = min(d for d in due.spec.remind_days if left <= d)
    try:
        with transaction.atomic():
            claim = ReturnReminder.objects.create(
                agency=agency,
                return_key=due.spec.key,
                period_start=due.start,
                days_before=threshold,
            )
    except IntegrityError:
        return False
    url = settings.OMBUDS_BASE_URL.rstrip("/") + reverse(
        "compliance:agency", kwargs={"agency": agency.pk}
    )
    try:
        body_mail(
            organization,
            f"{organization.short_name}: {due.spec.label} due {due.due_on:%d %B %Y}",
            (
                f"{agency.legal_name} files its return “{due.spec.label}” for "
                f"{due.start:%d %B %Y} to {due.end:%d %B %Y} with {organization.name} by "
                f"{due.due_on:%d %B %Y}, in {left} day{'s' if left != 1 else ''}.\n\n"
                f"File it here (sign in first):\n{url}\n"
            ),
            emails,
            stoppable=Stoppable.COMPLIANCE,
        )
    except Exception as exc:  # any transport error: not sent, the next run tries again
        logger.warning("compliance reminder %s not sent: %s", claim.pk, exc)
        claim.delete()
        return False
    return True


def reminders_send(organization: Organization, *, today: dt.date | None = None) -> int:
    """Remind each agency that has not filed, on each of the return's reminder days before its due
    date; a run that missed days sends only the nearest. How many went out."""
    today = today or timezone.localdate()
    row = programme_current(organization)
    if row is None:
        return 0
    programme = load(row.text)
    horizon = max((max(s.remind_days, default=0) for s in programme.scheduled()), default=0)
    already = set(
        ReturnReminder.objects.filter(agency__organization=organization).values_list(
            "agency_id", "return_key", "period_start", "days_before"
        )
    )
    sent = 0
    for due, agency, filed in calendar(organization, today=today, ahead=horizon):
        left = (due.due_on - today).days
        if filed or left < 0 or not due.spec.remind_days or left > max(due.spec.remind_days):
            continue
        threshold = min(d for d in due.spec.remind_days if left <= d)
        if any(
            (agency.pk, due.spec.key, due.start, d) in already
            for d in due.spec.remind_days
            if d <= threshold
        ):
            continue
        sent += _remind(organization, due, agency, left, today)
    if sent:
        with transaction.atomic():
            audit.record(
                action="compliance.reminders_sent",
                subject_type="compliance.programme",
                subject_id=row.pk,
                data={"on": today, "sent": sent},
                organization=organization,
            )
    return sent


def compliance_tick(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily work: reminders, overdue returns recorded, findings escalated. Running it twice a
    day changes nothing more."""
    today = today or timezone.localdate()
    totals = {"reminders sent": 0, "overdue returns": 0}
    bodies = Organization.objects.filter(
        pk__in=Programme.objects.values("organization_id")
    ).order_by("pk")
    for organization in bodies:
        totals["reminders sent"] += reminders_send(organization, today=today)
        totals["overdue returns"] += overdue_record(organization, today=today)
    totals["findings escalated"] = findings.findings_escalate(today=today)
    return totals
