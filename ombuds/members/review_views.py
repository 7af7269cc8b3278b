"""The staff's pages of the body's holders' disclosures (CESP 3.8): the list with its filters
(`/staff/<body>/disclosures/holders/`), its CSV export, and one disclosure with its review form.

For the body's administrators, staff and ethics chair (`disclosure_review.may_review`); anyone
else signed in gets 403, another body's disclosure (or a body person's own) 404. Every review goes
through `disclosure_review.disclosure_review`. Every page is private: kept by no cache.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombuds.bodies.access import body_or_404
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.core.http import csv_download, private
from ombuds.members import disclosure_review as service
from ombuds.members.review_forms import FilterForm, ReviewForm

PAGE = 50


def reviewer_required(view):
    """The body is in the URL; the viewer reviews its disclosures. Anonymous users go to sign in;
    others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = body_or_404(org)
        if not service.may_review(request.user, organization):
            raise PermissionDenied("You do not review this body's disclosures.")
        return view(request, organization, *args, **kwargs)

    return wrapper


def _filters(request: HttpRequest) -> tuple[FilterForm, service.ReviewFilters, str]:
    """The filter form, the filters it says (none when invalid) and the query string to keep."""
    form = FilterForm(request.GET)
    filters = form.filters()
    kept = {k: v for k, v in request.GET.items() if k in form.fields and v and form.is_valid()}
    return form, filters, urlencode(kept)


@reviewer_required
def holder_disclosures(request: HttpRequest, organization) -> HttpResponse:
    form, filters, query = _filters(request)
    page = Paginator(service.disclosures_for_review(organization, filters), PAGE).get_page(
        request.GET.get("page")
    )
    return private(
        render(
            request,
            "members/review/list.html",
            {
                "body": organization,
                "form": form,
                "page": page,
                "query": query,
                "counts": service.review_counts(organization),
            },
            status=400 if form.errors else 200,
        )
    )


@reviewer_required
def holder_disclosures_csv(request: HttpRequest, organization) -> HttpResponse:
    form, filters, _query = _filters(request)
    if form.errors:
        problems = [e for errors in form.errors.values() for e in errors]
        return private(HttpResponse(" ".join(problems), status=400, content_type="text/plain"))
    return csv_download(
        service.export_rows(organization, filters), f"{organization.slug}-disclosures.csv"
    )


@reviewer_required
def holder_disclosure(request: HttpRequest, organization, pk: int) -> HttpResponse:
    disclosure = service.disclosure_for_review(organization, pk)
    if disclosure is None:
        raise Http404("no such disclosure")
    form = ReviewForm(initial={"version": version_of(disclosure)})
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                reviewed = service.disclosure_review(
                    organization=organization,
                    disclosure=disclosure,
                    review=service.Review(
                        outcome=data["outcome"],
                        note=data["note"],
                        conditions=data["conditions"],
                        reason=data["reason"],
                        citations=form.citation_list(),
                    ),
                    acting_user=request.user,
                    expected_version=data["version"],
                )
            except service.ReviewRefused as refused:
                for problem in refused.problems:
                    form.add_error(None, problem)
            except ChangedMeanwhile as exc:
                # The page shows the disclosure as it is now, and the form carries its version.
                disclosure = service.disclosure_for_review(organization, pk) or disclosure
                data = request.POST.copy()
                data["version"] = version_of(disclosure)
                form = ReviewForm(data)
                form.is_valid()
                form.add_error(None, str(exc))
            else:
                text = f"The disclosure is reviewed: {reviewed.get_review_display().lower()}."
                if reviewed.review_case:
                    text += f" Case {reviewed.review_case.reference} is opened."
                messages.success(request, text)
                return redirect("members:holder_disclosure", org=organization.slug, pk=pk)
    return private(
        render(
            request,
            "members/review/disclosure.html",
            {"body": organization, "disclosure": disclosure, "form": form},
            status=400 if form.errors else 200,
        )
    )
