"""What the public may know of a body's complaints: its published decisions, and statistics that
identify no one.

**Published decisions** are the cases whose sanction the body's publication policy makes public
today (`public_sanctions_q`), exactly those `cases:decision` shows; the index searches them by the
provision they breached and by the year they were decided.

**Statistics** count the complaints the body received (filed, by year when asked): by provision
alleged, by outcome (the state a closed case ended in; "Still open" otherwise), the median time to
close and the share made anonymously. Only counts, the procedure's own state names and the code's
citations leave this module: never a name, a reference or anything a person wrote.

The suppression rule (stated on the page): a count from 1 to 4 is shown as "fewer than 5"
(`SMALL`), so that a rare combination cannot point at a person. In each table whose counts add up
to a total shown beside it (outcomes; anonymous or named), when exactly one count is hidden the next
smallest count is hidden too, so that the hidden one cannot be worked out by subtraction. The median
time to close is shown only when at least 5 cases closed, and the anonymous share only when neither
count is hidden. Zero is shown: it says nothing about anyone.

Everything is computed in a fixed number of queries, however many cases.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import BooleanField, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import get_language

from ombuds.bodies.models import Organization
from ombuds.cases.models import Allegation, Case, SanctionChoice
from ombuds.cases.selectors import body_procedure
from ombuds.register.models import Sanction
from ombuds.register.public import public_sanctions_q

SMALL = 5
STATISTICS_TTL = 600  # seconds the public pages show the same figures
HIDDEN_TEXT = f"fewer than {SMALL}"
STILL_OPEN = "Still open"


@dataclass(frozen=True)
class Cell:
    """One count as the public sees it: ``value`` is None when it is hidden."""

    label: str
    value: int | None

    @property
    def hidden(self) -> bool:
        return self.value is None

    @property
    def text(self) -> str:
        return HIDDEN_TEXT if self.value is None else str(self.value)


def suppress(counts: list[tuple[str, int]], *, complementary: bool) -> list[Cell]:
    """The counts with every one from 1 to SMALL-1 hidden; with ``complementary`` (a table that
    adds up to a total shown), a lone hidden count takes the next smallest non-zero one with it."""
    hidden = {i for i, (_label, n) in enumerate(counts) if 0 < n < SMALL}
    if complementary and len(hidden) == 1:
        others = [(n, i) for i, (_label, n) in enumerate(counts) if i not in hidden and n > 0]
        if others:
            hidden.add(min(others)[1])
    return [Cell(label, None if i in hidden else n) for i, (label, n) in enumerate(counts)]


@dataclass
class Statistics:
    year: int | None
    years: list[int]
    total: Cell
    by_provision: list[Cell] = field(default_factory=list)
    by_outcome: list[Cell] = field(default_factory=list)
    anonymity: list[Cell] = field(default_factory=list)
    anonymous_percent: int | None = None
    closed: Cell = field(default_factory=lambda: Cell("Closed", 0))
    median_days_to_close: float | None = None
    as_of: dt.datetime | None = None  # when `cached_statistics` computed them

    @property
    def too_few(self) -> bool:
        """Fewer than SMALL complaints: nothing more than that is said."""
        return self.total.hidden


def _received(organization: Organization, year: int | None) -> QuerySet[Case]:
    cases = Case.objects.filter(organization=organization)
    if year is not None:
        cases = cases.filter(filed_at__year=year)
    return cases


def complaint_years(organization: Organization) -> list[int]:
    """The years in which the body received complaints, newest first."""
    years = (
        Case.objects.filter(organization=organization)
        .order_by()  # not the model's order, which DISTINCT would count in (a row per case)
        .annotate(y=ExtractYear("filed_at"))
        .values_list("y", flat=True)
        .distinct()
    )
    return sorted((y for y in years if y is not None), reverse=True)


def _state_labels(organization: Organization) -> dict[str, str]:
    procedure = body_procedure(organization)
    return {key: state.label for key, state in procedure.states.items()} if procedure else {}


def _outcome_label(state: str, labels: dict[str, str]) -> str:
    # The procedure's name for the state, never anything typed on a case.
    return labels.get(state, state.replace("_", " ").capitalize())


def body_statistics(organization: Organization, *, year: int | None = None) -> Statistics:
    """The body's complaint statistics (of ``year``'s complaints, or of all), suppressed."""
    years = complaint_years(organization)
    cases = _received(organization, year)
    head = cases.aggregate(
        total=Count("pk"),
        anonymous=Count("pk", filter=Q(anonymous=True)),
        closed=Count("pk", filter=Q(closed_at__isnull=False)),
    )
    total = suppress([("Complaints received", head["total"])], complementary=False)[0]
    result = Statistics(year=year, years=years, total=total)
    if total.hidden or head["total"] == 0:
        return result
    labels = _state_labels(organization)
    outcomes: Counter[str] = Counter()
    for state, closed, n in (
        cases.order_by()
        .values(
            "state",
            closed=ExpressionWrapper(Q(closed_at__isnull=False), output_field=BooleanField()),
        )
        .annotate(n=Count("pk"))
        .values_list("state", "closed", "n")
    ):
        outcomes[_outcome_label(state, labels) if closed else STILL_OPEN] += n
    # Sorted by what is shown, never by a hidden count (its place would tell its size).
    result.by_outcome = sorted(
        suppress(list(outcomes.items()), complementary=True),
        key=lambda c: (c.label == STILL_OPEN, c.hidden, -(c.value or 0), c.label),
    )
    provisions = (
        Allegation.provisions.through.objects.filter(allegation__case__in=cases)
        .exclude(provision__citation="")
        .order_by()
        .values("provision__citation")
        .annotate(n=Count("allegation__case", distinct=True))
        .values_list("provision__citation", "n")
    )
    result.by_provision = sorted(
        suppress(list(provisions), complementary=False),
        key=lambda c: (c.hidden, -(c.value or 0), _citation_key(c.label)),
    )
    result.anonymity = suppress(
        [("Anonymous", head["anonymous"]), ("Named", head["total"] - head["anonymous"])],
        complementary=True,
    )
    if not any(cell.hidden for cell in result.anonymity):
        result.anonymous_percent = round(100 * head["anonymous"] / head["total"])
    result.closed = suppress([("Closed", head["closed"])], complementary=False)[0]
    if head["closed"] >= SMALL:
        result.median_days_to_close = _median_days_to_close(cases, head["closed"])
    return result


def _median_days_to_close(cases: QuerySet[Case], closed: int) -> float | None:
    """The median of the closed cases' times from filing to closing, in days: the middle one or
    two read by the engine in order of that time (not every closed case brought into Python)."""
    spans = (
        cases.filter(closed_at__isnull=False)
        .annotate(span=ExpressionWrapper(F("closed_at") - F("filed_at"), DurationField()))
        .order_by("span")
        .values_list("span", flat=True)
    )
    middle = list(spans[(closed - 1) // 2 : closed // 2 + 1])
    if not middle:  # cases closed or reopened since they were counted
        return None
    return statistics.mean(span.total_seconds() for span in middle) / 86400


def cached_statistics(organization: Organization, *, year: int | None = None) -> Statistics:
    """`body_statistics` as the public pages show them: computed at most once every
    `STATISTICS_TTL` for a body and year (at a million cases they take seconds), with the time
    they were computed in `as_of`. Counts only, never a person, so nothing of them needs erasing."""
    key = f"ombuds:statistics:{organization.pk}:{year or 'all'}:{get_language() or ''}"
    found = cache.get(key)
    if found is None:
        found = body_statistics(organization, year=year)
        found.as_of = timezone.now()
        cache.set(key, found, STATISTICS_TTL)
    return found


def _citation_key(citation: str) -> list[tuple[int, int | str]]:
    """Natural order: 2.10 after 2.9."""
    parts = []
    for part in citation.replace("(", ".").replace(")", "").split("."):
        parts.append((0, int(part)) if part.isdigit() else (1, part))
    return parts


def statistics_csv_rows(stats: Statistics) -> list[list[str]]:
    """The statistics as CSV rows (table, label, count), hidden counts as "fewer than 5"."""
    period = str(stats.year) if stats.year else "all years"
    rows = [["table", "label", "count"], ["complaints received", period, stats.total.text]]
    if stats.too_few:
        return rows
    rows += [["by outcome", c.label, c.text] for c in stats.by_outcome]
    rows += [["by provision alleged", c.label, c.text] for c in stats.by_provision]
    rows += [["anonymous or named", c.label, c.text] for c in stats.anonymity]
    rows.append(
        [
            "time to close",
            "median days",
            "" if stats.median_days_to_close is None else f"{stats.median_days_to_close:.0f}",
        ]
    )
    rows.append(["suppression", f"counts from 1 to {SMALL - 1} shown as", HIDDEN_TEXT])
    return rows


# --- published decisions ------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedDecision:
    reference: str
    decided_on: dt.date
    respondent_name: str
    kind: str
    citations: list[str]


DECISIONS_PAGE = 50


def decision_years(organization: Organization) -> list[int]:
    """The years in which the body's published decisions were decided, newest first."""
    return sorted(
        {
            d.year
            for d in Sanction.objects.filter(
                public_sanctions_q(timezone.localdate()),
                case_choice__case__organization=organization,
            ).values_list("decided_on", flat=True)
        },
        reverse=True,
    )


def published_decisions(
    organization: Organization, *, provision: str = "", year: int | None = None
) -> PublishedDecisions:
    """The body's decisions published today (those `cases:decision` shows), newest first, those
    citing ``provision`` (a citation, any version) and decided in ``year`` when given: read a page
    at a time (`PublishedDecisions`)."""
    choices = SanctionChoice.objects.filter(
        case__organization=organization,
        sanction__isnull=False,
        sanction__in=_public_sanctions(),
    )
    if provision:
        choices = choices.filter(sanction__provisions__citation__iexact=provision.strip())
    if year is not None:
        choices = choices.filter(sanction__decided_on__year=year)
    return PublishedDecisions(
        choices.select_related("case", "sanction")
        .prefetch_related("sanction__provisions")
        .order_by("-sanction__decided_on", "-pk")
        .distinct()
    )


class PublishedDecisions(Sequence[PublishedDecision]):
    """Published decisions as a paginator reads them: their number counted by the engine, a page
    read as a slice (two queries, the sanctions' provisions prefetched), never every one of them."""

    def __init__(self, choices: QuerySet[SanctionChoice]) -> None:
        self._choices = choices
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self._choices.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return self.count() > 0

    def __iter__(self) -> Iterator[PublishedDecision]:
        return (_decision(choice) for choice in self._choices)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [_decision(choice) for choice in self._choices[index]]
        return _decision(self._choices[index])


def _decision(choice: SanctionChoice) -> PublishedDecision:
    return PublishedDecision(
        reference=choice.case.reference,
        decided_on=choice.sanction.decided_on,
        respondent_name=choice.case.respondent_name,
        kind=choice.sanction.get_kind_display(),
        citations=sorted(
            {p.citation for p in choice.sanction.provisions.all() if p.citation},
            key=_citation_key,
        ),
    )


def _public_sanctions() -> QuerySet[Sanction]:
    return Sanction.objects.filter(public_sanctions_q(timezone.localdate())).values("pk")
