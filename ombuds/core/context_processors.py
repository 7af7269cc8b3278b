from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def staff_bodies(request: HttpRequest) -> dict:
    """The bodies whose staff pages the signed-in user may open, for the header (queried only if used)."""

    def load():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        from ombuds.register.models import Organization
        from ombuds.register.selectors import CODE_EDITOR_ROLES

        bodies = Organization.objects.order_by("name")
        if not user.is_superuser:
            bodies = bodies.filter(roles__user=user, roles__role__in=CODE_EDITOR_ROLES).distinct()
        return list(bodies)

    return {"staff_bodies": SimpleLazyObject(load)}
