"""The views' side of bodies: the body named in a URL, and the staff check every staff page makes."""

from __future__ import annotations

from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import STAFF_ROLES, organization_get, roles_by_body


def body_or_404(slug: str) -> Organization:
    """The body with this slug, or Http404 (for views and API endpoints)."""
    return found_body_or_404(organization_get(slug))


def found_body_or_404(organization: Organization | None) -> Organization:
    """`body_or_404` of a body already read (with a record of its, as a register lookup reads it)."""
    if organization is None:
        raise Http404("No such body")
    if organization.time_zone:
        # The body's pages show its times in its zone (the middleware resets it per request).
        timezone.activate(ZoneInfo(organization.time_zone))
    return organization


def request_roles(request: HttpRequest) -> dict[int, tuple[Organization, set[str]]]:
    """`roles_by_body` of the signed-in user, read once per request: the page's access check and
    its header's links to the user's bodies use the same query."""
    cached = getattr(request, "_ombuds_roles", None)
    if cached is None:
        cached = request._ombuds_roles = roles_by_body(getattr(request, "user", None))
    return cached


def roles_on(request: HttpRequest, organization: Organization) -> set[str]:
    """The signed-in user's roles on the body (none for anonymous visitors)."""
    return set(request_roles(request).get(organization.pk, (None, ()))[1])


def body_staff_required(view):
    """The view gets the body instead of its slug; anonymous users go to sign in, others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = body_or_404(org)
        user = request.user
        superuser = user.is_superuser and user.is_active
        if not (superuser or roles_on(request, organization) & STAFF_ROLES):
            raise PermissionDenied("You have no staff role on this body.")
        return view(request, organization, *args, **kwargs)

    return wrapper
