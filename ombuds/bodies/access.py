"""The views' side of bodies: the body named in a URL, and the staff check every staff page makes."""

from __future__ import annotations

from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff, organization_get


def body_or_404(slug: str) -> Organization:
    """The body with this slug, or Http404 (for views and API endpoints)."""
    organization = organization_get(slug)
    if organization is None:
        raise Http404("No such body")
    if organization.time_zone:
        # The body's pages show its times in its zone (the middleware resets it per request).
        timezone.activate(ZoneInfo(organization.time_zone))
    return organization


def body_staff_required(view):
    """The view gets the body instead of its slug; anonymous users go to sign in, others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = body_or_404(org)
        if not is_body_staff(request.user, organization):
            raise PermissionDenied("You have no staff role on this body.")
        return view(request, organization, *args, **kwargs)

    return wrapper
