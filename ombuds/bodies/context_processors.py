from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from ombuds.bodies.access import request_roles
from ombuds.bodies.selectors import bodies_of


def _bodies(request: HttpRequest) -> tuple[list, list]:
    """`bodies_of` the signed-in user, once per request."""
    cached = getattr(request, "_ombuds_bodies", None)
    if cached is None:
        cached = request._ombuds_bodies = bodies_of(
            getattr(request, "user", None), request_roles(request)
        )
    return cached


def staff_bodies(request: HttpRequest) -> dict:
    """The bodies whose staff pages the signed-in user may open, for the header (queried only if
    used), and the bodies whose cases they work on (any role on the body)."""
    return {
        "staff_bodies": SimpleLazyObject(lambda: _bodies(request)[0]),
        "case_bodies": SimpleLazyObject(lambda: _bodies(request)[1]),
    }
