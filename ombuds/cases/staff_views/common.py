"""What the staff pages of cases share: the body's roles required, the case read for its viewer
(404 when recused from it), and how a form's problems read when the form is not on the page."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from ombuds.bodies.access import body_or_404, roles_on
from ombuds.bodies.models import Organization
from ombuds.cases import selectors
from ombuds.cases.models import Case
from ombuds.cases.procedure import BODY_ROLES
from ombuds.cases.rules import CaseNotFound

# Who enters a complaint received by phone, letter or in person: those who take complaints in (the
# procedures' acknowledging step), not the committee that decides them nor the investigator.
INTAKE_ROLES = frozenset({"administrator", "ethics_chair", "staff"})
RECUSAL_ROLES = frozenset({"administrator", "ethics_chair", "staff"})
# Who records a fine imposed in a case as paid.
FINE_RECORDERS = frozenset({"administrator", "ethics_chair", "staff"})


def body_roles(request: HttpRequest, organization: Organization) -> set[str]:
    """The signed-in user's case roles on the body (a superuser acts as administrator)."""
    user = request.user
    roles = roles_on(request, organization) & BODY_ROLES
    if user.is_superuser and user.is_active:
        roles |= {"administrator"}
    return roles


def case_roles_required(view):
    """The body is in the URL; the viewer needs a case role on it (chair, committee, investigator,
    staff, administrator). Anonymous users go to sign in; others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = body_or_404(org)
        roles = body_roles(request, organization)
        if not roles:
            raise PermissionDenied("You have no role on this body's cases.")
        request.body_roles = roles
        return view(request, organization, *args, **kwargs)

    return wrapper


def case_or_404(request: HttpRequest, organization, reference: str) -> tuple[Case, set[str]]:
    """The body's case and the viewer's roles on it; 404 when the viewer is recused from it (as if
    it did not exist) or it is another body's."""
    try:
        return selectors.staff_case(
            organization=organization,
            reference=reference,
            user=request.user,
            body_roles=getattr(request, "body_roles", None),  # read by case_roles_required
        )
    except CaseNotFound:
        raise Http404("no such case") from None


def form_problems(form) -> list[str]:
    """A form's errors as sentences, for when the form itself is not on the page."""
    problems = list(form.non_field_errors())
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        label = form.fields[name].label if name in form.fields else name
        problems.extend(f"{label}: {e}" for e in errors)
    return problems
