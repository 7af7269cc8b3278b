from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _bodies(request: HttpRequest) -> tuple[list, list]:
    """(bodies whose register and code the user edits, bodies whose cases they work on), from one
    query, once per request."""
    cached = getattr(request, "_ombuds_bodies", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    staff, cases = [], []
    if user is not None and user.is_authenticated:
        from ombuds.register.models import BodyRole, Organization
        from ombuds.register.selectors import CODE_EDITOR_ROLES

        if user.is_superuser:
            staff = cases = list(Organization.objects.order_by("name"))
        else:
            roles = BodyRole.objects.filter(user=user).select_related("organization")
            by_body: dict[int, tuple] = {}
            for role in roles.order_by("organization__name"):
                org, kinds = by_body.get(role.organization_id, (role.organization, set()))
                kinds.add(role.role)
                by_body[role.organization_id] = (org, kinds)
            cases = [org for org, _kinds in by_body.values()]
            staff = [org for org, kinds in by_body.values() if kinds & CODE_EDITOR_ROLES]
    request._ombuds_bodies = (staff, cases)
    return staff, cases


def staff_bodies(request: HttpRequest) -> dict:
    """The bodies whose staff pages the signed-in user may open, for the header (queried only if
    used), and the bodies whose cases they work on (any role on the body)."""
    return {
        "staff_bodies": SimpleLazyObject(lambda: _bodies(request)[0]),
        "case_bodies": SimpleLazyObject(lambda: _bodies(request)[1]),
    }
