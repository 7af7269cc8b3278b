"""Coverage reports of a campaign: counts per status and a row per person, for the whole body or
one agency, and the same as CSV. A fixed number of queries, however many people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.members.attestations.audiences import agency_staff
from ombuds.members.attestations.common import ATTESTED, COUNTED, csv_cell
from ombuds.members.attestations.status import (
    AttestationFact,
    Classified,
    Statuses,
    empty_counts,
)
from ombuds.members.models import AttestationCampaign, AttestationDue
from ombuds.register.csv import OMBUDS_ID_PREFIX
from ombuds.register.models import Agency, Credential, Membership


@dataclass
class CoverageRow:
    due_id: int
    person_id: int
    name: str
    email: str
    reference: str
    agency_id: int | None
    agency_name: str
    due_on: dt.date
    joined_late: bool
    result: Classified

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def status_label(self) -> str:
        return self.result.label

    @property
    def attestation(self) -> AttestationFact | None:
        return self.result.attestation


@dataclass
class Coverage:
    campaign: AttestationCampaign
    agency: Agency | None
    counts: dict[str, int]
    rows: list[CoverageRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Everyone counted (excused people are not)."""
        return sum(self.counts[s] for s in COUNTED)

    @property
    def percent_attested(self) -> int:
        return round(100 * self.counts[ATTESTED] / self.total) if self.total else 0


def _agency_filter(agency: Agency, today: dt.date) -> Q:
    """Duties arising through the agency, and those of its current employees and agents."""
    return Q(agency=agency) | Q(person_id__in=agency_staff(agency, today=today).values("person_id"))


def coverage(
    campaign: AttestationCampaign, *, agency: Agency | None = None, today: dt.date | None = None
) -> Coverage:
    """The campaign's report: counts per status and a row per person (by name), for the whole
    body or one agency (the duties through it and those of its current employees and agents). A
    fixed number of queries, however many people."""
    today = today or timezone.localdate()
    dues = AttestationDue.objects.filter(campaign=campaign)
    if agency is not None:
        dues = dues.filter(_agency_filter(agency, today))
    statuses = Statuses([campaign], dues.values("person_id"))
    counts = empty_counts()
    rows = []
    for values in dues.order_by(
        "person__family_name", "person__given_name", "person_id"
    ).values_list(
        "pk",
        "person_id",
        "person__given_name",
        "person__family_name",
        "person__email",
        "person__external_id",
        "agency_id",
        "agency__legal_name",
        "due_on",
        "joined_late",
        "excused_at",
    ):
        pk, person_id, given, family, email, external_id, agency_id, agency_name, due_on = values[
            :9
        ]
        joined_late, excused_at = values[9:]
        result = statuses.classify(campaign.pk, person_id, due_on, excused_at is not None, today)
        counts[result.status] += 1
        rows.append(
            CoverageRow(
                due_id=pk,
                person_id=person_id,
                name=f"{given} {family}".strip(),
                email=email,
                reference=external_id or f"{OMBUDS_ID_PREFIX}{person_id}",
                agency_id=agency_id,
                agency_name=agency_name or "",
                due_on=due_on,
                joined_late=joined_late,
                result=result,
            )
        )
    return Coverage(campaign=campaign, agency=agency, counts=counts, rows=rows)


def campaign_counts(
    campaigns: Iterable[AttestationCampaign], *, today: dt.date | None = None
) -> dict[int, dict[str, int]]:
    """Counts per status of each campaign (campaign id → status → count), in three queries at most
    however many campaigns and people. The campaigns need their ``code_version`` loaded."""
    today = today or timezone.localdate()
    campaigns = list(campaigns)
    counts = {c.pk: empty_counts() for c in campaigns}
    if not campaigns:
        return counts
    dues = AttestationDue.objects.filter(campaign__in=[c.pk for c in campaigns])
    statuses = Statuses(campaigns, dues.values("person_id"))
    for campaign_id, person_id, due_on, excused_at in dues.values_list(
        "campaign_id", "person_id", "due_on", "excused_at"
    ):
        result = statuses.classify(campaign_id, person_id, due_on, excused_at is not None, today)
        counts[campaign_id][result.status] += 1
    return counts


def register_numbers(organization: Organization, person_ids: Any) -> dict[int, str]:
    """Each person's register number: a live credential's, else a membership's (two queries)."""
    numbers: dict[int, str] = {}
    for holder_id, number in (
        Credential.objects.filter(program__organization=organization, holder_id__in=person_ids)
        .exclude(status__in=("revoked", "surrendered"))
        .order_by("holder_id", "pk")
        .values_list("holder_id", "number")
    ):
        numbers.setdefault(holder_id, number)
    for person_id, number in (
        Membership.objects.filter(organization=organization, person_id__in=person_ids)
        .order_by("person_id", "pk")
        .values_list("person_id", "number")
    ):
        numbers.setdefault(person_id, number)
    return numbers


CSV_HEADER = [
    "person",
    "reference",
    "number",
    "email",
    "agency",
    "status",
    "due_on",
    "joined_late",
    "attested_at",
    "version",
    "carried_over",
    "by_proxy",
]


def coverage_csv_rows(report: Coverage) -> Iterator[list[str]]:
    """The report as CSV rows, the header first: every person, excused ones included."""
    numbers = register_numbers(report.campaign.organization, [r.person_id for r in report.rows])
    yield CSV_HEADER
    for row in report.rows:
        fact = row.attestation
        yield [
            csv_cell(row.name),
            csv_cell(row.reference),
            csv_cell(numbers.get(row.person_id, "")),
            csv_cell(row.email),
            csv_cell(row.agency_name),
            row.status,
            row.due_on.isoformat(),
            "yes" if row.joined_late else "no",
            timezone.localtime(fact.attested_at).isoformat(timespec="seconds") if fact else "",
            csv_cell(fact.version_label) if fact else "",
            "yes" if row.result.carried_over else "no",
            ("yes" if fact.by_proxy else "no") if fact else "",
        ]
