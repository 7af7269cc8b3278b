"""A duty's status, computed, never stored.

"attested" (to the campaign's version or a later one; in a non-material campaign an attestation to
an earlier version carries over, unless a material campaign came in between), "outdated" (a
material campaign, only an earlier version attested, the due date not passed), "overdue" (not
attested and the due date passed), "pending", or "excused" (no longer in the audience; not
counted). `Statuses` computes it for any number of people in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.codes.models import CodeVersion
from ombuds.members.attestations.common import (
    ATTESTED,
    EXCUSED,
    OPEN_STATUSES,
    OUTDATED,
    OVERDUE,
    PENDING,
    STATUS_LABELS,
    STATUSES,
)
from ombuds.members.models import Attestation, AttestationCampaign, AttestationDue


@dataclass(frozen=True)
class AttestationFact:
    """What a report shows of an attestation."""

    pk: int
    person_id: int
    version_id: int
    version_label: str
    published_at: dt.datetime
    attested_at: dt.datetime
    by_proxy: bool


@dataclass(frozen=True)
class Classified:
    status: str
    attestation: AttestationFact | None = None
    carried_over: bool = False

    @property
    def label(self) -> str:
        if self.carried_over:
            return f"Attested (version {self.attestation.version_label}, carried over)"  # type: ignore[union-attr]
        return STATUS_LABELS[self.status]


class Statuses:
    """Classifies duties of some campaigns in three queries however many people they concern:
    the attestations to their codes of the people concerned, and the material campaigns that limit
    what carries over."""

    def __init__(self, campaigns: Iterable[AttestationCampaign], people: Any) -> None:
        self.campaigns = {c.pk: c for c in campaigns}
        codes = {c.code_version.code_id for c in self.campaigns.values()}
        self.facts: dict[int, list[AttestationFact]] = defaultdict(list)
        self.baselines: dict[int, dt.datetime | None] = {}
        if not self.campaigns:
            return
        for row in Attestation.objects.filter(
            person_id__in=people, code_version__code_id__in=codes
        ).values_list(
            "pk",
            "person_id",
            "code_version_id",
            "code_version__label",
            "code_version__published_at",
            "attested_at",
            "by_proxy",
        ):
            self.facts[row[1]].append(AttestationFact(*row))
        lenient = [c for c in self.campaigns.values() if not c.material]
        if lenient:
            material = list(
                AttestationCampaign.objects.filter(
                    material=True, code_version__code_id__in=codes
                ).values_list("code_version__code_id", "code_version__published_at")
            )
            for campaign in lenient:
                version = campaign.code_version
                before = [
                    published
                    for code_id, published in material
                    if code_id == version.code_id and published < version.published_at
                ]
                self.baselines[campaign.pk] = max(before) if before else None

    def classify(
        self, campaign_id: int, person_id: int, due_on: dt.date, excused: bool, today: dt.date
    ) -> Classified:
        campaign = self.campaigns[campaign_id]
        published = campaign.code_version.published_at
        facts = self.facts.get(person_id, ())
        covering = [f for f in facts if f.published_at >= published]
        if covering:
            best = min(covering, key=lambda f: f.published_at)
            return Classified(EXCUSED if excused else ATTESTED, best)
        earlier = max(facts, key=lambda f: f.published_at) if facts else None
        if excused:
            return Classified(EXCUSED, earlier)
        if earlier is not None and not campaign.material:
            baseline = self.baselines.get(campaign.pk)
            if baseline is None or earlier.published_at >= baseline:
                return Classified(ATTESTED, earlier, carried_over=True)
        if due_on < today:
            return Classified(OVERDUE, earlier)
        if earlier is not None:
            return Classified(OUTDATED, earlier)
        return Classified(PENDING)


def empty_counts() -> dict[str, int]:
    """Nothing counted yet, per status."""
    return dict.fromkeys(STATUSES, 0)


# --- the member's own duties --------------------------------------------------------------------


@dataclass(frozen=True)
class OpenDue:
    """A duty the member still has to fulfil, for their home page."""

    campaign: AttestationCampaign
    organization: Organization
    title: str
    version_label: str
    due_on: dt.date
    status: str  # "pending", "outdated" or "overdue"
    status_label: str
    url: str

    @property
    def overdue(self) -> bool:
        return self.status == OVERDUE


def open_dues_for_user(user: Any, *, today: dt.date | None = None) -> list[OpenDue]:
    """The signed-in user's duties, in every body, that still ask something of them (pending,
    outdated or overdue), soonest due first, each with the address where they attest. Nothing for
    an anonymous user; otherwise one query, and two more when there are duties."""
    if not getattr(user, "is_authenticated", False):
        return []
    today = today or timezone.localdate()
    # A campaign whose version was superseded cannot be attested to any more: publishing the newer
    # version closes it, and one left open from before that rule is not listed either.
    newer = CodeVersion.objects.filter(
        code_id=OuterRef("campaign__code_version__code_id"),
        status=CodeVersion.Status.PUBLISHED,
        published_at__gt=OuterRef("campaign__code_version__published_at"),
    )
    dues = list(
        AttestationDue.objects.filter(
            person__user=user, campaign__closed_at__isnull=True, excused_at__isnull=True
        )
        .exclude(Exists(newer))
        .select_related("campaign__organization", "campaign__code_version")
        .order_by("due_on", "pk")
    )
    if not dues:
        return []
    statuses = Statuses([d.campaign for d in dues], [d.person_id for d in dues])
    found = []
    for due in dues:
        result = statuses.classify(due.campaign_id, due.person_id, due.due_on, False, today)
        if result.status not in OPEN_STATUSES:
            continue
        found.append(
            OpenDue(
                campaign=due.campaign,
                organization=due.campaign.organization,
                title=due.campaign.title,
                version_label=due.campaign.code_version.label,
                due_on=due.due_on,
                status=result.status,
                status_label=result.label,
                url=reverse("attest:attest", kwargs={"campaign": due.campaign_id}),
            )
        )
    return found


def due_status(due: AttestationDue, *, today: dt.date | None = None) -> Classified:
    """One duty's status (the campaign and its version loaded with it)."""
    today = today or timezone.localdate()
    statuses = Statuses([due.campaign], [due.person_id])
    return statuses.classify(
        due.campaign_id, due.person_id, due.due_on, due.excused_at is not None, today
    )
