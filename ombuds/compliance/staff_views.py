"""The council's compliance pages, for the body's staff and administrators: the coverage of the
latest periods (who filed, who is late, the unresolved findings by provision, with a chart), the
findings to review, a finding with its two actions (close it with a reason, open a case from it)
and a return. A finding or return of another body is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ombuds.bodies.access import body_staff_required
from ombuds.bodies.models import Organization
from ombuds.codes.citing import citation_prefix
from ombuds.compliance import council, display, findings, selectors
from ombuds.compliance.agency_views import finding_context, return_context
from ombuds.compliance.forms import CloseForm, ReferForm
from ombuds.compliance.models import Finding, Return
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.core.charts import bar_chart
from ombuds.core.http import private

FINDINGS_PAGE = 50


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return private(render(request, template, context, status=status))


@never_cache
@body_staff_required
def coverage(request: HttpRequest, organization: Organization) -> HttpResponse:
    today = timezone.localdate()
    counts = council.unresolved_by_provision(organization)
    programme = selectors.programme_current(organization)
    spec = display.programme_spec(programme)
    return _page(
        request,
        "compliance/staff/coverage.html",
        {
            "body": organization,
            "programme": spec,
            "today": today,
            "periods": council.coverage(organization, today=today),
            "counts": counts,
            "chart": bar_chart([(c.provision, c.total) for c in counts]),
            "code": spec.code if spec else citation_prefix(organization),
            "total_unresolved": sum(c.total for c in counts),
            "total_council": sum(c.with_council for c in counts),
        },
    )


def _number(text: str) -> int | None:
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


@never_cache
@body_staff_required
def finding_list(request: HttpRequest, organization: Organization) -> HttpResponse:
    status = request.GET.get("status", council.DEFAULT_STATUS)
    if status not in council.STATUS_FILTERS:
        status = council.DEFAULT_STATUS
    provisions, agencies = council.filter_choices(organization)
    provision = request.GET.get("provision", "")
    provision = provision if provision in provisions else ""
    agency = _number(request.GET.get("agency", ""))
    filed_return = _number(request.GET.get("return", ""))
    found = council.findings_filtered(
        organization,
        status=status,
        provision=provision,
        agency=agency,
        filed_return=filed_return,
    )
    page = Paginator(found, FINDINGS_PAGE).get_page(request.GET.get("page"))
    shown = display.decorate(page.object_list, programme=selectors.programme_current(organization))
    query = request.GET.copy()
    query.pop("page", None)
    return _page(
        request,
        "compliance/staff/findings.html",
        {
            "body": organization,
            "page": page,
            "findings": shown,
            "statuses": [(k, label) for k, (label, _) in council.STATUS_FILTERS.items()],
            "status": status,
            "provisions": provisions,
            "provision": provision,
            "agencies": agencies,
            "agency": agency,
            "filed_return": filed_return,
            "query": query.urlencode(),
            "today": timezone.localdate(),
        },
    )


def _finding(organization: Organization, pk: int) -> Finding:
    found = (
        Finding.objects.select_related(
            "organization",
            "agency",
            "filed_return__programme",
            "filed_return__code_version",
            "case",
        )
        .filter(organization=organization, pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such finding of this body")
    return found


def _finding_page(request, organization, finding, close_form, refer_form, status=200):
    """The page; the problems of a form it no longer shows (the finding was resolved meanwhile)
    at its top."""
    shown = {
        "close_form": finding.status in Finding.UNRESOLVED,
        "refer_form": finding.status in Finding.WITH_COUNCIL,
    }
    forms = {"close_form": close_form, "refer_form": refer_form}
    page_errors = [
        error
        for name, form in forms.items()
        if not shown[name] and form.is_bound
        for errors in form.errors.values()
        for error in errors
    ]
    return _page(
        request,
        "compliance/staff/finding.html",
        {
            "body": organization,
            "agency": finding.agency,
            **finding_context(finding),
            **{name: form if shown[name] else None for name, form in forms.items()},
            "page_errors": page_errors,
        },
        status=status,
    )


@never_cache
@body_staff_required
def finding_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    finding = _finding(organization, pk)
    version = {"version": version_of(finding)}
    return _finding_page(
        request, organization, finding, CloseForm(initial=version), ReferForm(initial=version)
    )


@never_cache
@body_staff_required
def finding_close(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """POST: the council closes the finding, with its reason (`findings.finding_accept`)."""
    finding = _finding(organization, pk)
    if request.method != "POST":
        return redirect(_finding_url(organization, pk))
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            findings.finding_accept(
                finding=finding,
                user=request.user,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            )
        except findings.FindingRefused as exc:
            form.add_error(None, str(exc))
        except ChangedMeanwhile as exc:
            finding = _finding(organization, pk)
            form = CloseForm({**form.cleaned_data, "version": version_of(finding)})
            form.is_valid()
            form.add_error(None, f"{str(exc)[0].upper()}{str(exc)[1:]}.")
        else:
            messages.success(request, "The finding is closed; the agency sees your reason.")
            return redirect(_finding_url(organization, pk))
    refer = ReferForm(initial={"version": version_of(finding)})
    return _finding_page(request, organization, finding, form, refer, status=400)


@never_cache
@body_staff_required
def finding_refer(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """POST: a case opened from the finding (`findings.finding_refer`); its staff page next."""
    finding = _finding(organization, pk)
    if request.method != "POST":
        return redirect(_finding_url(organization, pk))
    form = ReferForm(request.POST)
    if form.is_valid():
        try:
            case = findings.finding_refer(
                finding=finding, user=request.user, version=form.cleaned_data["version"]
            )
        except findings.FindingRefused as exc:
            form.add_error(None, str(exc))
        except ChangedMeanwhile as exc:
            finding = _finding(organization, pk)
            form = ReferForm({"version": version_of(finding)})
            form.is_valid()
            form.add_error(None, f"{str(exc)[0].upper()}{str(exc)[1:]}.")
        else:
            messages.success(
                request,
                f"Case {case.reference} is opened from finding {pk}, its allegation citing "
                f"{finding.provision} and the finding attached. Review the allegation before "
                "the agency is notified.",
            )
            return redirect(
                reverse(
                    "cases_staff:case",
                    kwargs={"org": organization.slug, "reference": case.reference},
                )
            )
    close = CloseForm(initial={"version": version_of(finding)})
    return _finding_page(request, organization, finding, close, form, status=400)


def _finding_url(organization: Organization, pk: int) -> str:
    return reverse("compliance:staff_finding", kwargs={"org": organization.slug, "pk": pk})


@never_cache
@body_staff_required
def return_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    filed = (
        Return.objects.select_related("programme", "code_version", "amends", "agency")
        .filter(organization=organization, pk=pk)
        .first()
    )
    if filed is None:
        raise Http404("No such return of this body")
    return _page(
        request,
        "compliance/staff/return.html",
        {"body": organization, "agency": filed.agency, "staff": True, **return_context(filed)},
    )
