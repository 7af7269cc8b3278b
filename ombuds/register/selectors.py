from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from ombuds.register.models import Organization


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.order_by("name")


def organization_get(slug: str) -> Organization:
    """The body with this slug, or Http404."""
    return get_object_or_404(Organization, slug=slug)


# Roles that do a body's staff work: edit its codes (drafts, imports, publishing) and its register.
STAFF_ROLES = CODE_EDITOR_ROLES = {"administrator", "staff"}


def user_roles(user, organization: Organization) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    from ombuds.register.models import BodyRole

    return set(
        BodyRole.objects.filter(user=user, organization=organization).values_list("role", flat=True)
    )


def is_body_staff(user, organization: Organization) -> bool:
    """Superusers, and the body's administrators and staff."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(user_roles(user, organization) & STAFF_ROLES)


can_edit_codes = is_body_staff


# The statuses in which a member appears in the public directory ("Our Members").
DIRECTORY_STATUSES = ("active", "grace")


def member_directory(organization: Organization) -> list:
    """Members in good standing, agencies and people alike, by name: what the body lists publicly."""
    from ombuds.register.models import Membership

    rows = (
        Membership.objects.filter(organization=organization, status__in=DIRECTORY_STATUSES)
        .select_related("agency", "person", "membership_type")
        .exclude(membership_type__kind="board")
    )
    return sorted(rows, key=lambda m: str(m.holder).lower())


def seats(organization: Organization) -> dict[str, list]:
    from ombuds.register.models import Seat

    grouped: dict[str, list] = {}
    for seat in Seat.objects.filter(organization=organization).order_by(
        "group", "position", "name"
    ):
        grouped.setdefault(seat.get_group_display(), []).append(seat)
    return grouped
