"""The council's reads: who filed the latest periods' returns and who is late, the unresolved
findings by provision (and the bar chart of them), and the findings to review, filtered. Each is
a fixed number of queries, however many agencies, returns and findings there are."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from ombuds.bodies.models import Organization
from ombuds.compliance import schedule
from ombuds.compliance.models import Finding
from ombuds.compliance.programme import ReturnSpec
from ombuds.register.models import Agency

# The statuses the findings list filters on: its own groups, then each status alone.
GROUPS = {
    "council": ("For the council: answered, or not answered in time", Finding.WITH_COUNCIL),
    "open": ("With the agency: to answer or correct", Finding.WITH_AGENCY),
    "unresolved": ("Unresolved", Finding.UNRESOLVED),
    "closed": (
        "Resolved: closed, taken to a case or corrected",
        (Finding.Status.ACCEPTED, Finding.Status.REFERRED, Finding.Status.CORRECTED),
    ),
}
STATUS_FILTERS = {
    **GROUPS,
    **{
        s.value: (s.label, (s.value,))
        for s in Finding.Status
        if s not in (Finding.Status.OPEN, Finding.Status.SUPERSEDED)
    },
    "all": ("All (but those found again in an amended return)", ()),
}
DEFAULT_STATUS = "council"


@dataclass
class PeriodCoverage:
    """One return's period: which bound agencies filed it, which are late, which may still file."""

    spec: ReturnSpec
    start: dt.date
    end: dt.date
    due_on: dt.date
    filed: list[Agency] = field(default_factory=list)
    late: list[Agency] = field(default_factory=list)
    waiting: list[Agency] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return len(self.filed) + len(self.late) + len(self.waiting)


def coverage(
    organization: Organization, *, today: dt.date, latest: int = 3, ahead: int = 62
) -> list[PeriodCoverage]:
    """The latest ``latest`` periods that ended before today of every scheduled return (those due
    up to ``ahead`` days from today), the latest first, each return's periods together."""
    by_period: dict[tuple[str, dt.date], PeriodCoverage] = {}
    for due, agency, filed in schedule.calendar(organization, today=today, ahead=ahead):
        if due.end >= today:
            continue
        key = (due.spec.key, due.start)
        row = by_period.setdefault(key, PeriodCoverage(due.spec, due.start, due.end, due.due_on))
        if filed:
            row.filed.append(agency)
        elif due.due_on < today:
            row.late.append(agency)
        else:
            row.waiting.append(agency)
    kept: dict[str, list[PeriodCoverage]] = defaultdict(list)
    for row in sorted(by_period.values(), key=lambda r: r.start, reverse=True):
        if len(kept[row.spec.key]) < latest:
            kept[row.spec.key].append(row)
    return [row for key in sorted(kept) for row in kept[key]]


@dataclass(frozen=True)
class ProvisionCount:
    provision: str
    with_agency: int
    with_council: int

    @property
    def total(self) -> int:
        return self.with_agency + self.with_council


def unresolved_by_provision(organization: Organization) -> list[ProvisionCount]:
    """The unresolved findings by provision: with the agency still, and with the council."""
    rows = (
        Finding.objects.filter(organization=organization, status__in=Finding.UNRESOLVED)
        .values_list("provision", "status")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for provision, status, n in rows:
        counts[provision][0 if status == Finding.Status.OPEN else 1] += n
    return [ProvisionCount(p, a, c) for p, (a, c) in sorted(counts.items(), key=_citation_order)]


def _citation_order(item: tuple[str, object]) -> list:
    # 1.2(c) before 1.10(a): numbers as numbers.
    parts = item[0].replace("(", ".").replace(")", "").split(".")
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts]


def findings_filtered(
    organization: Organization,
    *,
    status: str = DEFAULT_STATUS,
    provision: str = "",
    agency: int | None = None,
    filed_return: int | None = None,
) -> QuerySet[Finding]:
    """The body's findings in the status group (``STATUS_FILTERS``; unknown: the default), of a
    provision, an agency, a return; those found again in an amended return left out."""
    statuses = STATUS_FILTERS.get(status, STATUS_FILTERS[DEFAULT_STATUS])[1]
    found = Finding.objects.filter(organization=organization).exclude(
        status=Finding.Status.SUPERSEDED
    )
    if statuses:
        found = found.filter(status__in=statuses)
    if provision:
        found = found.filter(provision=provision)
    if agency is not None:
        found = found.filter(agency_id=agency)
    if filed_return is not None:
        found = found.filter(filed_return_id=filed_return)
    return found.select_related("agency", "filed_return").order_by("cure_by", "provision", "pk")


def filter_choices(organization: Organization) -> tuple[list[str], list[tuple[int, str]]]:
    """The provisions and the agencies the body's findings concern, for the list's filters."""
    found = Finding.objects.filter(organization=organization).order_by()
    provisions = sorted(
        found.values_list("provision", flat=True).distinct(),
        key=lambda p: _citation_order((p, None)),
    )
    agencies = sorted(
        found.values_list("agency_id", "agency__legal_name").distinct(),
        key=lambda a: (a[1], a[0]),
    )
    return provisions, agencies
