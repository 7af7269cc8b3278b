"""What the staff home shows a signed-in person, read in a fixed number of queries however many
cases there are (a few per body they work for):

- for every body they have a role on (its cases): their own open cases and the next deadline of
  each, the body's cases by state and by provision cited, the overdue deadlines; never a case they
  are recused from;
- for the bodies whose register they keep (administrators, staff): the latest import jobs, the
  coverage of the open attestation campaigns and of the latest compliance returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import bodies_of
from ombuds.cases import selectors as cases_selectors
from ombuds.cases.models import Allegation, Case, CaseDeadline, Recusal
from ombuds.cases.selectors import (
    body_procedure,
    capped_figure,
    case_counts,
    overdue_count,
    visible_cases,
)
from ombuds.compliance.coverage import periods_covered
from ombuds.core.charts import BarChart, Timeline, bar_chart, share_chart, timeline
from ombuds.members.attestations.common import ATTESTED, COUNTED
from ombuds.members.attestations.coverage import campaign_counts
from ombuds.members.models import AttestationCampaign
from ombuds.register.models import ImportJob

MY_CASES = 12  # the person's own cases on the timeline
OVERDUE = 15  # overdue deadlines listed
PROVISIONS = 8  # provisions in the chart, the most cited
CHART_CASES = 1000  # the newest open cases of a body the chart of provisions reads
JOBS = 5  # import jobs listed per body
COMPLIANCE_PERIODS = 4


@dataclass
class BodyPanel:
    """One body on the staff home."""

    body: Organization
    keeps_register: bool  # administrator or staff: imports, attestations, compliance
    has_procedure: bool = False
    total: int = 0
    open_total: int = 0
    by_state: BarChart | None = None
    by_provision: BarChart | None = None
    by_provision_sampled: bool = False  # of the newest CHART_CASES open cases only
    overdue_total: int = 0  # cases with an overdue deadline, up to the inbox's cap + 1
    jobs: list[ImportJob] = field(default_factory=list)
    attestation: BarChart | None = None
    compliance: BarChart | None = None

    @property
    def overdue_figure(self) -> str:
        return capped_figure(self.overdue_total)

    @property
    def provision_caption(self) -> str:
        among = f" in the newest {CHART_CASES:,} open cases" if self.by_provision_sampled else ""
        return f"(the most cited{among}; a case citing several counts under each)"


@dataclass
class StaffHome:
    panels: list[BodyPanel]
    mine: list[Case]  # open cases the person handles, each with next_label (of next_due)
    my_timeline: Timeline | None
    overdue: list[CaseDeadline]  # running deadlines past their day, soonest first
    today: dt.date
    mine_total: int = 0  # open cases the person handles, up to the inbox's cap + 1

    @property
    def mine_figure(self) -> str:
        return capped_figure(self.mine_total)

    @property
    def overdue_cases(self) -> int:
        return sum(panel.overdue_total for panel in self.panels)

    @property
    def overdue_figure(self) -> str:
        return capped_figure(self.overdue_cases)


def _visible(user: Any, bodies: list[Organization]):
    recused = Recusal.objects.filter(case=OuterRef("pk"), user=user)
    return Case.objects.filter(organization__in=bodies).exclude(Exists(recused))


def _running() -> Q:
    return Q(met_at__isnull=True, expired_at__isnull=True, waits_for_delivery=False)


def staff_home(
    user: Any, *, today: dt.date | None = None, roles: dict | None = None
) -> StaffHome | None:
    """The staff home of ``user``; None when they have no role on any body (not staff).
    ``roles``: `roles_by_body` of the user when the caller has read it."""
    today = today or timezone.localdate()
    keeps, works = bodies_of(user, roles)
    if not works:
        return None
    keeping = {b.pk for b in keeps}
    panels = {b.pk: BodyPanel(b, b.pk in keeping) for b in works}
    visible = _visible(user, works)
    _cases_by_state(panels, user)  # first: the chart of provisions reads the open totals
    _cases_by_provision(panels, visible)
    overdue = _overdue(panels, user, today)
    mine = _mine(user, visible)
    _register_work(panels, [b for b in works if b.pk in keeping], today)
    items = [(c.reference, c.next_due, c.next_label, "") for c in mine if c.next_due is not None]
    return StaffHome(
        panels=list(panels.values()),
        mine=mine,
        my_timeline=timeline(items, today=today) if items else None,
        overdue=overdue,
        today=today,
        mine_total=_mine_total(user, visible),
    )


def _cases_by_state(panels: dict[int, BodyPanel], user: Any) -> None:
    """Open cases by state, in the order of each body's procedure, from the counts the services
    keep (`CaseCount`, the user's recusals taken away): one query for every body."""
    counts = case_counts([panel.body for panel in panels.values()], user)
    for pk, panel in panels.items():
        found = counts.get(pk, {})
        panel.total = sum(n for n, _ in found.values())
        panel.open_total = sum(o for _, o in found.values())
        procedure = body_procedure(panel.body)
        panel.has_procedure = procedure is not None
        if procedure is None:
            continue
        states = [(s.label, found.get(key, (0, 0))[1]) for key, s in procedure.states.items()]
        states = [(label, n) for label, n in states if n]
        if states:
            panel.by_state = bar_chart(states, label_width=0, bar_height=18)


def _cases_by_provision(panels: dict[int, BodyPanel], visible) -> None:
    """Open cases by provision cited in their allegations, the most cited first: of each body's
    newest `CHART_CASES` open cases (all of them in most bodies), so that the chart costs the same
    whatever the body's size. One query per body with a procedure."""
    for pk, panel in panels.items():
        if not panel.has_procedure or not panel.open_total:
            continue
        newest = (
            visible.filter(organization_id=pk, closed_at__isnull=True)
            .order_by("-filed_at", "-pk")
            .values("pk")[:CHART_CASES]
        )
        found = list(
            Allegation.provisions.through.objects.filter(allegation__case__in=newest)
            .order_by()
            .values_list("provision__citation")
            .annotate(n=Count("allegation__case", distinct=True))
        )
        if not found:
            continue
        found.sort(key=lambda r: (-r[1], r[0]))
        short = panel.body.short_name
        rows = [(f"{short} {citation}", n) for citation, n in found[:PROVISIONS]]
        panel.by_provision = bar_chart(rows, label_width=0, bar_height=18)
        panel.by_provision_sampled = panel.open_total > CHART_CASES


def _overdue(panels: dict[int, BodyPanel], user: Any, today: dt.date) -> list[CaseDeadline]:
    """The counting deadlines past their day, soonest first, of the cases the user may see, and
    each body's number of cases with one (as the inbox's "overdue" filter counts them, up to its
    cap). Read from the cases' stored next due date through its index: the cases due soonest in
    each body, then their deadlines past their day (a query per body, and one)."""
    soonest: list[Case] = []
    for panel in panels.values():
        panel.overdue_total = overdue_count(panel.body, user, today)
        if panel.overdue_total:
            late = visible_cases(user, panel.body).filter(next_due__lt=today)
            soonest += late.order_by("next_due", "-filed_at", "-pk").only("pk")[:OVERDUE]
    if not soonest:
        return []
    late = CaseDeadline.objects.filter(
        _running(), case__in=[c.pk for c in soonest], due_on__lt=today
    )
    return list(
        late.select_related("case", "case__organization").order_by("due_on", "pk")[:OVERDUE]
    )


def _mine_total(user: Any, visible) -> int:
    mine = visible.filter(handler=user, closed_at__isnull=True).order_by().values("pk")
    return mine[: cases_selectors.INBOX_COUNT_CAP + 1].count()


def _mine(user: Any, visible) -> list[Case]:
    """The open cases the person handles, the next deadline first (one query through the index
    on the handler and the stored next due date, and one for the deadlines' names)."""
    cases = list(
        visible.filter(handler=user, closed_at__isnull=True)
        .select_related("organization")
        .order_by(F("next_due").asc(nulls_last=True), "-filed_at")[:MY_CASES]
    )
    labels = {
        (d.case_id, d.due_on): d.label
        for d in CaseDeadline.objects.filter(_running(), case__in=[c.pk for c in cases])
    }
    for case in cases:
        case.next_label = labels.get((case.pk, case.next_due), "")
    return cases


def _register_work(panels: dict[int, BodyPanel], keeping: list[Organization], today) -> None:
    """Import jobs, attestation and compliance coverage of the bodies whose register the person
    keeps."""
    if not keeping:
        return
    for job in ImportJob.objects.filter(organization__in=keeping).order_by("-created_at")[:50]:
        jobs = panels[job.organization_id].jobs
        if len(jobs) < JOBS:
            jobs.append(job)
    campaigns = list(
        AttestationCampaign.objects.filter(organization__in=keeping, closed_at__isnull=True)
        .select_related("code_version")
        .order_by("due_on", "pk")
    )
    counts = campaign_counts(campaigns, today=today)
    by_body: dict[int, list[tuple[str, int, int]]] = {}
    for c in campaigns:
        n = counts[c.pk]
        by_body.setdefault(c.organization_id, []).append(
            (c.title, n[ATTESTED], sum(n[s] for s in COUNTED))
        )
    for pk, rows in by_body.items():
        panels[pk].attestation = share_chart(rows)
    for body in keeping:
        periods = periods_covered(body, today=today, limit=COMPLIANCE_PERIODS)
        if periods:
            panels[body.pk].compliance = share_chart(
                [
                    (f"{p.start:%d %b} to {p.end:%d %b %Y}: {p.label}", p.filed, p.agencies)
                    for p in periods
                ]
            )
