"""Reading the inbox and its response times (CSEC 1.1(c): timely resolution): the agency's
complaints, one exchange, the counts by status, the time to first response and to resolution."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from ombuds.cases.models import Case
from ombuds.members.first_tier.common import Status
from ombuds.members.models import ClientComplaint, ClientMessage
from ombuds.register.models import Agency


def exchange(complaint: ClientComplaint) -> list[ClientMessage]:
    """The complaint's messages in order, each with its author (one query)."""
    return list(complaint.messages.select_related("author").order_by("created_at", "pk"))


def inbox(agency: Agency, *, status: str = "") -> QuerySet[ClientComplaint]:
    """The agency's complaints, newest first, of one status when given."""
    complaints = ClientComplaint.objects.filter(agency=agency).select_related("handled_by")
    if status in Status.values:
        complaints = complaints.filter(status=status)
    return complaints.order_by("-received_at", "-pk")


def duration_text(delta: dt.timedelta | None) -> str:
    """A duration as a person says it: "2 days 3 hours", "45 minutes", "under a minute"."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)

    def part(n: int, unit: str) -> str:
        return f"{n} {unit}{'s' * (n != 1)}"

    if days:
        return part(days, "day") + (f" {part(hours, 'hour')}" if hours else "")
    if hours:
        return part(hours, "hour") + (f" {part(minutes, 'minute')}" if minutes else "")
    return part(minutes, "minute") if minutes else "under a minute"


@dataclass(frozen=True)
class Times:
    """How long something took, over the complaints it applies to."""

    count: int = 0
    median: dt.timedelta | None = None
    mean: dt.timedelta | None = None

    @classmethod
    def of(cls, durations: list[dt.timedelta]) -> Times:
        if not durations:
            return cls()
        seconds = [d.total_seconds() for d in durations]
        return cls(
            count=len(durations),
            median=dt.timedelta(seconds=statistics.median(seconds)),
            mean=dt.timedelta(seconds=statistics.fmean(seconds)),
        )

    @property
    def median_text(self) -> str:
        return duration_text(self.median)

    @property
    def mean_text(self) -> str:
        return duration_text(self.mean)


@dataclass(frozen=True)
class InboxFigures:
    """An agency's counts by status and its times (CSEC 1.1(c): timely resolution)."""

    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    awaiting_first_response: int = 0
    oldest_awaiting: dt.datetime | None = None
    first_response: Times = Times()  # over the complaints answered at least once
    resolution: Times = Times()  # over the resolved ones (not those closed unresolved)


def inbox_figures(agency: Agency) -> InboxFigures:
    """Counts by status, the time to first response and the time to resolution (median and
    mean), from the complaints' own timestamps, in one query."""
    rows = ClientComplaint.objects.filter(agency=agency).values_list(
        "status", "received_at", "first_response_at", "resolved_at"
    )
    counts = dict.fromkeys(Status.values, 0)
    first, resolved, waiting = [], [], []
    for status, received, responded, closed in rows:
        counts[status] = counts.get(status, 0) + 1
        if responded is not None:
            first.append(responded - received)
        else:
            waiting.append(received)
        if status == Status.RESOLVED and closed is not None:
            resolved.append(closed - received)
    return InboxFigures(
        counts=counts,
        total=sum(counts.values()),
        awaiting_first_response=len(waiting),
        oldest_awaiting=min(waiting) if waiting else None,
        first_response=Times.of(first),
        resolution=Times.of(resolved),
    )


def time_to_first_response(complaint: ClientComplaint) -> dt.timedelta | None:
    if complaint.first_response_at is None:
        return None
    return complaint.first_response_at - complaint.received_at


def time_to_resolution(complaint: ClientComplaint) -> dt.timedelta | None:
    if complaint.status != Status.RESOLVED or complaint.resolved_at is None:
        return None
    return complaint.resolved_at - complaint.received_at


def with_times(complaint: ClientComplaint) -> ClientComplaint:
    """The complaint with its time to first response and to resolution, in words."""
    complaint.first_response_text = duration_text(time_to_first_response(complaint))
    complaint.resolution_text = duration_text(time_to_resolution(complaint))
    return complaint


def for_case(case: Case) -> list[ClientComplaint]:
    """The first-tier records a case carries, each with its messages (and their authors) and its
    times, for the body's people who see the case (a fixed number of queries). A record is
    attached only on filing, which proves the efforts too: a case without that proof has none, and
    costs no query."""
    if case.efforts_proven_at is None:
        return []
    records = case.first_tier_complaints.select_related("agency", "handled_by").prefetch_related(
        Prefetch(
            "messages",
            queryset=ClientMessage.objects.select_related("author").order_by("created_at", "pk"),
        )
    )
    return [with_times(c) for c in records]
