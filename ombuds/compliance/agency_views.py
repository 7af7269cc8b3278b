"""An agency's own compliance pages, for its administrators (as `ombuds.members.agency_roles` says
who they are): what is due and when, what it filed, and the findings it may answer. The filing
form is in `filing_views`. Another agency's return or finding is a 404, as is one that does not
exist: the address says nothing of what is not the viewer's."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ombuds.compliance import display, findings, schedule, selectors
from ombuds.compliance.forms import AnswerForm, period_value
from ombuds.compliance.models import Finding, Return
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.core.http import private
from ombuds.members.first_tier_views import agency_admin_required
from ombuds.register.models import Agency


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return private(noindex=True, response=render(request, template, context, status=status))


@never_cache
@agency_admin_required
def agency(request: HttpRequest, agency: Agency) -> HttpResponse:
    """What is due and filed, the findings to answer first, then the history."""
    today = timezone.localdate()
    programme = selectors.programme_current(agency.organization)
    spec = display.programme_spec(programme)
    found = display.decorate(selectors.agency_findings(agency)[:200], programme=programme)
    fileable = [(k, r.label) for k, r in spec.returns.items()] if spec else []
    due = [
        (d, filed, period_value(d.spec.period, d.start, d.end))
        for d, filed in schedule.agency_calendar(agency, today=today)[:24]
    ]
    return _page(
        request,
        "compliance/agency.html",
        {
            "body": agency.organization,
            "agency": agency,
            "today": today,
            "due": due,
            "fileable": fileable,
            "to_answer": [f for f in found if f.status == Finding.Status.OPEN],
            "other_findings": [f for f in found if f.status != Finding.Status.OPEN],
            "returns": _labelled(selectors.agency_returns(agency)[:50], spec),
        },
    )


def _labelled(returns, spec) -> list[Return]:
    found = list(returns)
    for r in found:
        declared = spec.returns.get(r.return_key) if spec else None
        r.label = declared.label if declared else r.return_key
    return found


def return_context(filed: Return) -> dict:
    """What a return's page shows, for the agency and for the council alike."""
    spec = display.programme_spec(filed.programme)
    declared = spec.returns.get(filed.return_key) if spec else None
    return {
        "filed": filed,
        "return_label": declared.label if declared else filed.return_key,
        "fileable": declared is not None,
        "period_value": period_value(declared.period, filed.period_start, filed.period_end)
        if declared
        else "",
        "files": list(filed.files.all()),
        "documents": list(filed.documents.all()),
        "statements": list(filed.statements.all()),
        "findings": display.decorate(
            selectors.return_findings(filed).select_related("case"),
            programme=filed.programme,
            version=filed.code_version,
            evidence=True,
        ),
        "amended_by": filed.amended_by.order_by("-filed_at").first(),
    }


@never_cache
@agency_admin_required
def return_detail(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    filed = (
        Return.objects.select_related("programme", "code_version", "amends")
        .filter(agency=agency, pk=pk)
        .first()
    )
    if filed is None:
        raise Http404("No such return of this agency")
    return _page(
        request,
        "compliance/return.html",
        {"body": agency.organization, "agency": agency, **return_context(filed)},
    )


def finding_context(finding: Finding) -> dict:
    """What a finding's page shows, for the agency and for the council alike."""
    programme = finding.filed_return.programme if finding.filed_return_id else None
    programme = programme or selectors.programme_current(finding.organization)
    version = finding.filed_return.code_version if finding.filed_return_id else None
    (shown,) = display.decorate([finding], programme=programme, version=version, evidence=True)
    spec = display.programme_spec(programme)
    declared = spec.returns.get(finding.return_key) if spec else None
    return {
        "finding": shown,
        "return_label": declared.label if declared else finding.return_key,
        "continued_by": Finding.objects.filter(carried_from=finding).first(),
        "today": timezone.localdate(),
    }


def finding_get(agency: Agency, pk: int) -> Finding:
    found = (
        Finding.objects.select_related(
            "organization",
            "agency",
            "filed_return__programme",
            "filed_return__code_version",
            "case",
        )
        .filter(agency=agency, pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such finding of this agency")
    return found


@never_cache
@agency_admin_required
def finding_detail(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    """The finding, its evidence, and the answer form while the agency may answer it."""
    finding = finding_get(agency, pk)
    form = AnswerForm(initial={"version": version_of(finding)})
    status = 200
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                findings.finding_answer(
                    finding=finding,
                    user=request.user,
                    text=form.cleaned_data["answer"],
                    version=form.cleaned_data["version"],
                )
            except findings.FindingRefused as exc:
                form.add_error("answer", str(exc))
            except ChangedMeanwhile as exc:
                finding = finding_get(agency, pk)
                form = AnswerForm(
                    {"answer": form.cleaned_data["answer"], "version": version_of(finding)}
                )
                form.is_valid()
                form.add_error(None, f"{str(exc)[0].upper()}{str(exc)[1:]}.")
            else:
                messages.success(request, "Your answer is recorded: the council reviews it next.")
                return redirect(
                    reverse("compliance:finding", kwargs={"agency": agency.pk, "pk": pk})
                )
        status = 400
    may_answer = finding.status == Finding.Status.OPEN and timezone.localdate() <= finding.cure_by
    return _page(
        request,
        "compliance/finding.html",
        {
            "body": agency.organization,
            "agency": agency,
            **finding_context(finding),
            "form": form if may_answer else None,
            "page_errors": [] if may_answer else [e for es in form.errors.values() for e in es],
        },
        status=status,
    )
