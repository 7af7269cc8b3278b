"""Every read the certification pages make. Objects or None; never HTTP errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.certification import workflow
from ombuds.certification.models import (
    Application,
    ApplicationEvent,
    ExamWindow,
    Incident,
    Requirements,
    Sitting,
)
from ombuds.certification.requirements import Requirements as Spec
from ombuds.certification.services import requirements_current, spec_of
from ombuds.register.models import CredentialProgram

STAFF_FILTERS = {
    "to_review": ("To review", workflow.TO_REVIEW),
    "waiting": ("Waiting for the candidate", (workflow.DRAFT, workflow.MORE_INFORMATION)),
    "eligible": ("Eligible", (workflow.ELIGIBLE, workflow.SUSPENDED)),
    "closed": ("Closed", workflow.FINAL),
}
PAGE = 50


@dataclass(frozen=True)
class Offer:
    """A programme that takes applications, with the requirements it takes them under."""

    program: CredentialProgram
    requirements: Requirements
    spec: Spec


def offers(organization: Organization) -> list[Offer]:
    """The body's programmes that take applications (requirements installed)."""
    found = []
    for program in CredentialProgram.objects.filter(organization=organization).order_by("name"):
        requirements = requirements_current(program)
        if requirements is not None:
            found.append(Offer(program, requirements, spec_of(requirements)))
    return found


def offer_get(organization: Organization, code: str) -> Offer | None:
    program = CredentialProgram.objects.filter(organization=organization, code=code).first()
    if program is None:
        return None
    requirements = requirements_current(program)
    return Offer(program, requirements, spec_of(requirements)) if requirements else None


def own_applications(user: Any) -> QuerySet[Application]:
    """The user's own applications, in every body, newest first."""
    if not getattr(user, "pk", None):
        return Application.objects.none()
    return (
        Application.objects.filter(person__user=user)
        .select_related("organization", "program", "credential")
        .order_by("-created_at", "-pk")
    )


def own_application(user: Any, pk: int) -> Application | None:
    """The user's own application, or None (someone else's is not found)."""
    return (
        own_applications(user)
        .select_related("requirements", "person", "code_version")
        .prefetch_related(
            "documents",
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("at", "pk")),
            Prefetch(
                "sittings",
                queryset=Sitting.objects.select_related("window").order_by("sat_on", "pk"),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def windows_to_book(application: Application) -> QuerySet[ExamWindow]:
    """The windows the candidate may book: their programme's, not closed, and within their
    eligibility."""
    today = timezone.localdate()
    if application.state != workflow.ELIGIBLE:
        return ExamWindow.objects.none()
    return ExamWindow.objects.filter(
        program=application.program,
        closes_on__gte=today,
        opens_on__lte=application.eligible_until,
    ).order_by("opens_on")


# --- staff ----------------------------------------------------------------------------------------


def staff_applications(
    organization: Organization, *, show: str = "to_review", query: str = ""
) -> QuerySet[Application]:
    """The body's applications in a filter (see STAFF_FILTERS), the oldest deadline first."""
    states = STAFF_FILTERS.get(show, STAFF_FILTERS["to_review"])[1]
    found = Application.objects.filter(organization=organization, state__in=states).select_related(
        "program"
    )
    query = query.strip()
    if query:
        found = found.filter(
            Q(reference__iexact=query)
            | Q(family_name__icontains=query)
            | Q(given_name__icontains=query)
            | Q(email__iexact=query)
        )
    return found.order_by("review_due_on", "respond_by", "created_at", "pk")


def state_counts(organization: Organization) -> dict[str, int]:
    rows = (
        Application.objects.filter(organization=organization)
        .values("state")
        .annotate(n=Count("pk"))
    )
    by_state = {r["state"]: r["n"] for r in rows}
    return {
        key: sum(by_state.get(s, 0) for s in states) for key, (_l, states) in STAFF_FILTERS.items()
    }


def staff_application(organization: Organization, pk: int) -> Application | None:
    return (
        Application.objects.filter(organization=organization, pk=pk)
        .select_related("program", "requirements", "person", "code_version", "credential")
        .prefetch_related(
            "documents",
            "notices",
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.select_related("actor").order_by("at", "pk"),
            ),
            Prefetch(
                "sittings",
                queryset=Sitting.objects.select_related("window").order_by("sat_on", "pk"),
            ),
            Prefetch("incidents", queryset=Incident.objects.select_related("case")),
        )
        .first()
    )


def windows(organization: Organization) -> QuerySet[ExamWindow]:
    return (
        ExamWindow.objects.filter(organization=organization)
        .select_related("program")
        .annotate(
            booked=Count("sittings", filter=Q(sittings__result="")),
            passed=Count(
                "sittings", filter=Q(sittings__result="pass", sittings__voided_at__isnull=True)
            ),
            failed=Count(
                "sittings",
                filter=Q(
                    sittings__result__in=["fail", "no_show"], sittings__voided_at__isnull=True
                ),
            ),
        )
        .order_by("-opens_on", "pk")
    )


def window_get(organization: Organization, pk: int) -> ExamWindow | None:
    return (
        ExamWindow.objects.filter(organization=organization, pk=pk)
        .select_related("program")
        .first()
    )


def window_sittings(window: ExamWindow) -> QuerySet[Sitting]:
    return window.sittings.select_related("application", "application__credential").order_by(
        "application__family_name", "application__given_name", "pk"
    )


def incidents(organization: Organization) -> QuerySet[Incident]:
    return (
        Incident.objects.filter(organization=organization)
        .select_related("case", "window", "application")
        .order_by("-created_at", "-pk")
    )


def incident_get(organization: Organization, pk: int) -> Incident | None:
    return incidents(organization).filter(pk=pk).first()


def overdue(application: Application, today: dt.date | None = None) -> bool:
    """Whether staff are late deciding it."""
    today = today or timezone.localdate()
    return (
        application.state in workflow.TO_REVIEW
        and application.review_due_on is not None
        and application.review_due_on < today
    )
