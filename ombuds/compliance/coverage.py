"""The council's coverage of its programme: for each return and period due so far, how many bound
agencies filed it and which are late; and the findings still unresolved, counted by the provision
they cite. Read from the same calendar the daily clock acts on (`schedule.calendar`), with a fixed
number of queries however many agencies and findings there are."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.compliance import schedule
from ombuds.compliance.models import Finding
from ombuds.register.models import Agency


@dataclass
class PeriodCoverage:
    """One return for one period: the agencies bound to file it, those that did, those late."""

    return_key: str
    label: str
    start: dt.date
    end: dt.date
    due_on: dt.date
    agencies: int = 0
    filed: int = 0
    late: list[Agency] = field(default_factory=list)  # not filed, due date passed
    waiting: int = 0  # not filed, due today

    @property
    def rate(self) -> float:
        """The share of the bound agencies that filed (1.0 when none was bound)."""
        return self.filed / self.agencies if self.agencies else 1.0


@dataclass(frozen=True)
class ProvisionCount:
    """The unresolved findings citing one provision, by where they stand."""

    provision: str
    open: int
    answered: int
    escalated: int

    @property
    def total(self) -> int:
        return self.open + self.answered + self.escalated


@dataclass(frozen=True)
class Coverage:
    today: dt.date
    periods: list[PeriodCoverage]  # the latest first
    by_provision: list[ProvisionCount]  # in the order of the provisions' citations


def periods_covered(
    organization: Organization,
    *,
    today: dt.date | None = None,
    return_key: str = "",
    limit: int = 12,
) -> list[PeriodCoverage]:
    """The ``limit`` latest periods due by ``today`` (of one return with ``return_key``), the
    latest first, each with who filed and who is late."""
    today = today or timezone.localdate()
    grouped: dict[tuple[str, dt.date], PeriodCoverage] = {}
    for due, agency, filed in schedule.calendar(organization, today=today):
        if return_key and due.spec.key != return_key:
            continue
        key = (due.spec.key, due.start)
        row = grouped.get(key)
        if row is None:
            row = grouped[key] = PeriodCoverage(
                due.spec.key, due.spec.label, due.start, due.end, due.due_on
            )
        row.agencies += 1
        if filed:
            row.filed += 1
        elif due.due_on < today:
            row.late.append(agency)
        else:
            row.waiting += 1
    ordered = sorted(grouped.values(), key=lambda r: (r.due_on, r.start, r.return_key))
    return list(reversed(ordered))[:limit]


def unresolved_by_provision(organization: Organization) -> list[ProvisionCount]:
    """The findings still to resolve, counted by provision and status, in one query."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        Finding.objects.filter(organization=organization, status__in=Finding.UNRESOLVED)
        .values("provision", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["provision"]][row["status"]] = row["n"]
    return [
        ProvisionCount(
            provision,
            by_status.get(Finding.Status.OPEN, 0),
            by_status.get(Finding.Status.ANSWERED, 0),
            by_status.get(Finding.Status.ESCALATED, 0),
        )
        for provision, by_status in sorted(counts.items(), key=lambda kv: _citation_key(kv[0]))
    ]


def _citation_key(citation: str) -> list[tuple[int, str]]:
    """ "1.10(b)" after "1.2(c)": numbers compared as numbers."""
    parts = []
    for piece in citation.replace("(", ".").replace(")", "").split("."):
        parts.append((int(piece), "") if piece.isdigit() else (0, piece))
    return parts


def coverage(
    organization: Organization,
    *,
    today: dt.date | None = None,
    return_key: str = "",
    limit: int = 12,
) -> Coverage:
    """What the coverage view and the API show: periods, then unresolved findings by provision."""
    today = today or timezone.localdate()
    return Coverage(
        today,
        periods_covered(organization, today=today, return_key=return_key, limit=limit),
        unresolved_by_provision(organization),
    )
