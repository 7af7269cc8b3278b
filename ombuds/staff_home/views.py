"""The staff home (`/staff/`) and where signing in leads (`/signed-in`): people with a role on a
body to their staff home, everyone else to the site's home page."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombuds.bodies.access import request_roles
from ombuds.bodies.selectors import bodies_of
from ombuds.core.http import private
from ombuds.staff_home.selectors import staff_home


def home(request: HttpRequest) -> HttpResponse:
    """The signed-in person's work across the bodies they have a role on; 403 for anyone else
    (members and complainants have their own pages)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = staff_home(request.user, roles=request_roles(request))
    if found is None:
        raise PermissionDenied("The staff home is for people with a role on a body.")
    return private(render(request, "staff_home/home.html", {"home": found}))


def after_sign_in(request: HttpRequest) -> HttpResponse:
    """Where signing in lands when no page was asked for (LOGIN_REDIRECT_URL)."""
    if request.user.is_authenticated and bodies_of(request.user, request_roles(request))[1]:
        return redirect("staff_home")
    return redirect("home")
