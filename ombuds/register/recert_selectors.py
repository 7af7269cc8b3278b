"""Every read of recertification the pages, the API and the command line make: the holder's own cycles
(through the account linked to their register record, in one body), the staff's lists of cycles
awaiting a decision, and audit draws. Each returns rows or None; the doors answer 404 for None.

Lists run a fixed number of queries whatever their length: activities are counted in the query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from ombuds.bodies.models import Organization
from ombuds.register.models import (
    Activity,
    AuditDraw,
    Credential,
    CredentialProgram,
    RecertificationCycle,
)

# What the staff's list shows: name -> (label, filter)
STAFF_LISTS: dict[str, tuple[str, Q]] = {
    "submitted": (
        "Submitted, awaiting a decision",
        Q(outcome=RecertificationCycle.Outcome.OPEN, submitted_at__isnull=False),
    ),
    "audited": (
        "Drawn for audit, awaiting a decision",
        Q(outcome=RecertificationCycle.Outcome.OPEN, audit_draw__isnull=False),
    ),
    "open": ("Open, not submitted", Q(outcome="open", submitted_at__isnull=True)),
    "decided": ("Decided", ~Q(outcome=RecertificationCycle.Outcome.OPEN)),
}


def _counted(cycles: QuerySet[RecertificationCycle]) -> QuerySet[RecertificationCycle]:
    """With the number of activities counted (rejected ones aside) and of those without evidence."""
    counted = ~Q(activities__review=Activity.Review.REJECTED)
    return cycles.annotate(
        activity_count=Count("activities", filter=counted),
        without_evidence=Count("activities", filter=counted & Q(activities__evidence="")),
    )


def body_cycles(organization: Organization) -> QuerySet[RecertificationCycle]:
    return RecertificationCycle.objects.filter(credential__program__organization=organization)


def staff_cycles(
    organization: Organization, show: str, program: CredentialProgram | None = None
) -> QuerySet[RecertificationCycle]:
    """One of `STAFF_LISTS`, submitted first in order of submission, then by due date."""
    cycles = body_cycles(organization).filter(STAFF_LISTS[show][1])
    if program is not None:
        cycles = cycles.filter(credential__program=program)
    return _counted(
        cycles.select_related("credential__holder", "credential__program", "audit_draw")
    ).order_by("submitted_at", "due_on", "pk")


def staff_counts(organization: Organization) -> dict[str, int]:
    """How many cycles each of `STAFF_LISTS` holds, in one query."""
    found = body_cycles(organization).aggregate(
        **{name: Count("pk", filter=rule) for name, (_label, rule) in STAFF_LISTS.items()}
    )
    return {name: found[name] or 0 for name in STAFF_LISTS}


def programs_of(organization: Organization) -> list[CredentialProgram]:
    return list(CredentialProgram.objects.filter(organization=organization).order_by("name"))


def program_get(organization: Organization, code: str) -> CredentialProgram | None:
    return CredentialProgram.objects.filter(organization=organization, code=code).first()


def audit_draws(organization: Organization) -> QuerySet[AuditDraw]:
    return (
        AuditDraw.objects.filter(program__organization=organization)
        .select_related("program", "drawn_by")
        .annotate(drawn_count=Count("cycles"))
        .order_by("-drawn_at", "-pk")
    )


def audit_draw_get(organization: Organization, pk: int) -> AuditDraw | None:
    return audit_draws(organization).filter(pk=pk).first()


# --- the holder's own ---------------------------------------------------------------------------


def holder_cycles(user: Any, organization: Organization) -> QuerySet[RecertificationCycle]:
    """The cycles of the credentials held by the user's own record in the body's register, open
    first, newest first; with their activities (for the progress)."""
    if not getattr(user, "is_authenticated", False):
        return RecertificationCycle.objects.none()
    return (
        RecertificationCycle.objects.filter(
            credential__holder__user=user, credential__program__organization=organization
        )
        .select_related("credential__program", "audit_draw")
        .prefetch_related(
            Prefetch("activities", queryset=Activity.objects.order_by("completed_on", "pk"))
        )
        .order_by("-starts_on", "-pk")
    )


def holder_cycle_get(user: Any, organization: Organization, pk: int) -> RecertificationCycle | None:
    """One of the user's own cycles in the body, or None (someone else's is None, too)."""
    return holder_cycles(user, organization).filter(pk=pk).first()


def holder_activity_get(user: Any, organization: Organization, pk: int) -> Activity | None:
    """An activity of one of the user's own cycles in the body, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Activity.objects.filter(
            pk=pk,
            cycle__credential__holder__user=user,
            cycle__credential__program__organization=organization,
        )
        .select_related("cycle")
        .first()
    )


def holder_has_credential(user: Any, organization: Organization) -> bool:
    """Whether the user's own record in the body's register holds any credential."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Credential.objects.filter(holder__user=user, program__organization=organization).exists()
