"""Access checks shared by every staff page: a role on the body in the URL, checked per request."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from ombuds.register.selectors import is_body_staff, organization_get


def body_staff_required(view):
    """The view gets the body instead of its slug; anonymous users go to sign in, others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = organization_get(org)
        if not is_body_staff(request.user, organization):
            raise PermissionDenied("You have no staff role on this body.")
        return view(request, organization, *args, **kwargs)

    return wrapper
