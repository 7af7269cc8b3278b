"""Exam-security incidents: the public report (a proctor, the vendor or anyone; anonymously if they
wish), staff reporting one, the list, and the sanction the decided case leads to. A report is a case
(filed through the complaint flow): the case's page is where it is worked."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_or_404, body_staff_required
from ombuds.bodies.models import Organization
from ombuds.certification import selectors, services
from ombuds.certification.forms import IncidentForm, SanctionForm, refusal_onto
from ombuds.certification.models import Incident
from ombuds.certification.views import _posted
from ombuds.core.http import private
from ombuds.core.throttle import throttle_hit


def _report_of(form: IncidentForm, reporter: str) -> services.IncidentReport:
    data = form.cleaned_data
    upload = data.get("file")
    return services.IncidentReport(
        kind=data["kind"],
        reported_by=reporter,
        what_happened=data["what_happened"],
        reporter_name=data.get("name", ""),
        reporter_email=data.get("email", ""),
        anonymous=bool(data.get("anonymous")),
        passphrase=data.get("passphrase", ""),
        application_reference=data.get("application", ""),
        window_code=data.get("window", ""),
        happened_on=data.get("happened_on"),
        files=[(upload.name, upload.read())] if upload else [],
        submission_key=form.data.get("submission_key", "")[:100],
    )


def report(request: HttpRequest, org: str) -> HttpResponse:
    """Anyone reports an exam-security incident; it becomes a case citing exam confidentiality."""
    body = body_or_404(org)
    form = IncidentForm(*_posted(request))
    if request.method == "POST" and form.is_valid():
        throttled = throttle_hit(request, "complaint")
        if throttled is not None:
            form.add_error(
                None, f"Too many reports from here: try again in {throttled.retry_text}."
            )
        else:
            try:
                _incident, filed = services.incident_report(
                    organization=body,
                    report=_report_of(form, form.cleaned_data["reporter"]),
                    acting_user=request.user if request.user.is_authenticated else None,
                )
            except services.CertificationRefused as exc:
                refusal_onto(form, exc)
            else:
                return private(
                    render(request, "certification/reported.html", {"body": body, "filed": filed}),
                    noindex=True,
                )
    return private(
        render(
            request,
            "certification/report.html",
            {
                "body": body,
                "form": form,
                "submission_key": request.POST.get("submission_key", "")[:100]
                or secrets.token_urlsafe(16),
            },
            status=400 if form.errors else 200,
        ),
        noindex=True,
    )


@body_staff_required
def incidents(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The body's incidents, and a form for staff to report one."""
    form = IncidentForm(*_posted(request), initial={"reporter": "proctor"})
    form.fields["reporter"].required = False
    form.fields.pop("anonymous")
    form.fields.pop("passphrase")
    if request.method == "POST" and form.is_valid():
        try:
            incident, filed = services.incident_report(
                organization=organization,
                report=_report_of(form, Incident.Reporter.STAFF),
                acting_user=request.user,
                key_scope=f"staff:{request.user.pk}",
            )
        except services.CertificationRefused as exc:
            refusal_onto(form, exc)
        else:
            messages.success(request, f"Reported as case {filed.case.reference}.")
            return redirect("certification_staff:incident", org=organization.slug, pk=incident.pk)
    return private(
        render(
            request,
            "certification/staff/incidents.html",
            {
                "body": organization,
                "incidents": list(selectors.incidents(organization)[:200]),
                "form": form,
            },
            status=400 if form.errors else 200,
        )
    )


def _render_incident(request, organization, pk, *, form=None, status=200) -> HttpResponse:
    incident = selectors.incident_get(organization, pk)
    if incident is None:
        raise Http404("No such incident")
    sittings = (
        [s for s in incident.application.sittings.select_related("window") if s.counts]
        if incident.application_id
        else []
    )
    return private(
        render(
            request,
            "certification/staff/incident.html",
            {
                "body": organization,
                "incident": incident,
                "form": form or SanctionForm(sittings=sittings),
                "error_form": form if form is not None and form.errors else None,
            },
            status=status,
        )
    )


@body_staff_required
def incident(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    return _render_incident(request, organization, pk)


@body_staff_required
@require_POST
def sanction(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """The decided case's sanction on the candidate: a result voided, or eligibility suspended."""
    incident = selectors.incident_get(organization, pk)
    if incident is None:
        raise Http404("No such incident")
    sittings = (
        list(incident.application.sittings.select_related("window"))
        if incident.application_id
        else []
    )
    form = SanctionForm(request.POST, sittings=[s for s in sittings if s.counts])
    if form.is_valid():
        chosen = next((s for s in sittings if s.pk == form.cleaned_data.get("sitting")), None)
        try:
            services.incident_sanction(
                incident=incident,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
                sitting=chosen,
                until=form.cleaned_data.get("until"),
                acting_user=request.user,
            )
        except services.CertificationRefused as exc:
            refusal_onto(form, exc)
        else:
            messages.success(request, f"Sanction recorded, citing case {incident.case.reference}.")
            return redirect("certification_staff:incident", org=organization.slug, pk=pk)
    return _render_incident(request, organization, pk, form=form, status=400)
