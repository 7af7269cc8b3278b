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
