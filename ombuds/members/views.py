"""The pages where the body's people and members disclose their conflicts of interest: the staff
pages (`/staff/<org>/disclosures/`, for anyone with a role on the body) and the member's own
(`/me/<org>/disclosures/`, for anyone with a role on the body or a record in its register). The
same form, services and templates; each person sees and changes their own disclosures, and nobody
else's (someone else's answers 404)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombuds.bodies.access import body_or_404
from ombuds.core.http import private
from ombuds.members import selectors, services
from ombuds.members.forms import DisclosureForm, EndForm
from ombuds.members.models import Disclosure


def body_role_required(view):
    """The body is in the URL; the viewer needs a role on it. Anonymous users go to sign in;
    others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = body_or_404(org)
        if not services.has_body_role(request.user, organization):
            raise PermissionDenied("You have no role on this body.")
        return view(request, organization, *args, **kwargs)

    return wrapper


def member_required(view):
    """The body is in the URL; the viewer needs a role on it or a record in its register linked to
    their account. Anonymous users go to sign in; others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = body_or_404(org)
        if not services.may_disclose(request.user, organization):
            raise PermissionDenied("You have no role on this body and no record in its register.")
        return view(request, organization, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Pages:
    """The URL names of one set of disclosure pages: the list (with the form) and the edit page."""

    list: str
    edit: str
    back: str = ""  # where "back" goes from the list, if anywhere


STAFF_PAGES = Pages(list="members:disclosures", edit="members:edit")
MEMBER_PAGES = Pages(list="me:disclosures", edit="me:disclosure_edit", back="me:home")


def _save(request: HttpRequest, organization, form: DisclosureForm, disclosure=None):
    """Save through the service; its refusals join the form's errors. The disclosure, or None."""
    if not form.is_valid():
        return None
    try:
        return services.disclosure_save(
            user=request.user, organization=organization, disclosure=disclosure, **form.cleaned_data
        )
    except services.DisclosureRefused as refused:
        for problem in refused.problems:
            form.add_error(None, problem)
        return None


def _saved_message(request: HttpRequest, disclosure: Disclosure) -> None:
    text = f"Your disclosure about {disclosure.party_name} is saved."
    if disclosure.recused_from:
        text += " You are now recused from " + ", ".join(disclosure.recused_from) + "."
    messages.success(request, text)


@body_role_required
def disclosures(request: HttpRequest, organization) -> HttpResponse:
    return _list(request, organization, STAFF_PAGES)


@body_role_required
def disclosure_edit(request: HttpRequest, organization, pk: int) -> HttpResponse:
    return _edit(request, organization, pk, STAFF_PAGES)


@member_required
def my_disclosures(request: HttpRequest, organization) -> HttpResponse:
    return _list(request, organization, MEMBER_PAGES)


@member_required
def my_disclosure_edit(request: HttpRequest, organization, pk: int) -> HttpResponse:
    return _edit(request, organization, pk, MEMBER_PAGES)


def _list(request: HttpRequest, organization, pages: Pages) -> HttpResponse:
    form = DisclosureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        disclosure = _save(request, organization, form)
        if disclosure is not None:
            _saved_message(request, disclosure)
            return redirect(pages.list, org=organization.slug)
    own = selectors.disclosures_of(request.user, organization)
    return private(
        render(
            request,
            "members/disclosures.html",
            {
                "body": organization,
                "disclosures": own,
                "form": form,
                "pages": pages,
                "recusing": services.has_body_role(request.user, organization),
                # The body reviews the disclosures of the people in its register (CESP 3.8).
                "reviewed": services.is_member(request.user, organization),
            },
            status=400 if form.errors else 200,
        )
    )


def _edit(request: HttpRequest, organization, pk: int, pages: Pages) -> HttpResponse:
    disclosure = selectors.disclosure_get(request.user, organization, pk)
    if disclosure is None:
        raise Http404("no such disclosure")
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = DisclosureForm(initial=DisclosureForm.values_of(disclosure))
    end_form = EndForm()
    if action == "save":
        form = DisclosureForm(request.POST)
        saved = _save(request, organization, form, disclosure)
        if saved is not None:
            _saved_message(request, saved)
            return redirect(pages.list, org=organization.slug)
    elif action == "end":
        end_form = EndForm(request.POST)
        if end_form.is_valid():
            try:
                services.disclosure_end(
                    user=request.user,
                    disclosure=disclosure,
                    ended_on=end_form.cleaned_data["ended_on"],
                )
            except services.DisclosureRefused as refused:
                for problem in refused.problems:
                    end_form.add_error(None, problem)
            else:
                messages.success(request, f"Your disclosure about {disclosure.party_name} ended.")
                return redirect(pages.list, org=organization.slug)
    elif request.method == "POST":
        # Neither button: the disclosure as it is, and why nothing changed.
        form = DisclosureForm.refusing(
            disclosure,
            "Nothing was changed: choose “Save the changes” or “End the disclosure”. "
            "If you did, reload the page and try again.",
        )
    return private(
        render(
            request,
            "members/disclosure_edit.html",
            {
                "body": organization,
                "disclosure": disclosure,
                "form": form,
                "end_form": end_form,
                "pages": pages,
                "recusing": services.has_body_role(request.user, organization),
                "reviewed": services.is_member(request.user, organization),
            },
            status=400 if form.errors or end_form.errors else 200,
        )
    )
