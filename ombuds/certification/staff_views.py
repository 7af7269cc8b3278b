"""The body's staff pages for certification: applications to review (and each one's page with the
decisions), exam windows with their sittings, results entered or imported from the vendor's file.
Every page checks the staff role on the body (`body_staff_required`); every change is one service
call."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_staff_required
from ombuds.bodies.models import Organization
from ombuds.certification import selectors, services, workflow
from ombuds.certification.forms import (
    ImportForm,
    ResultForm,
    ReviewForm,
    SuspendForm,
    VersionForm,
    WindowForm,
    refusal_onto,
)
from ombuds.certification.models import Application
from ombuds.certification.services.common import sentence
from ombuds.certification.views import document_response
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.core.http import private
from ombuds.register.models import CredentialProgram

IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _application_url(organization: Organization, pk: int) -> str:
    return reverse("certification_staff:application", kwargs={"org": organization.slug, "pk": pk})


@body_staff_required
def applications(request: HttpRequest, organization: Organization) -> HttpResponse:
    show = request.GET.get("show", "to_review")
    if show not in selectors.STAFF_FILTERS:
        show = "to_review"
    query = request.GET.get("q", "")[:100]
    page = Paginator(
        selectors.staff_applications(organization, show=show, query=query), selectors.PAGE
    ).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return private(
        render(
            request,
            "certification/staff/applications.html",
            {
                "body": organization,
                "page": page,
                "rows": [(a, selectors.overdue(a, today)) for a in page.object_list],
                "show": show,
                "query": query,
                "filters": [
                    (k, label, n)
                    for (k, (label, _s)), n in zip(
                        selectors.STAFF_FILTERS.items(),
                        selectors.state_counts(organization).values(),
                        strict=True,
                    )
                ],
            },
        )
    )


def _render_application(
    request: HttpRequest,
    organization: Organization,
    pk: int,
    *,
    review_form=None,
    suspend_form=None,
    status: int = 200,
) -> HttpResponse:
    application = selectors.staff_application(organization, pk)
    if application is None:
        raise Http404("No such application")
    spec = services.spec_of(application.requirements)
    allowed = [
        d
        for d, target in workflow.DECISIONS.items()
        if any(m.target == target for m in workflow.moves_for(application.state, workflow.STAFF))
    ]
    version = version_of(application)
    documents = list(application.documents.all())
    evidence_rows = []
    for item in spec.evidence:
        claim = dict((application.evidence or {}).get(item.key) or {})
        if item.is_level and claim.get("level"):
            claim["level_label"] = item.level_label(claim["level"])
        evidence_rows.append((item, claim, [d for d in documents if d.evidence_key == item.key]))
    return private(
        render(
            request,
            "certification/staff/application.html",
            {
                "body": organization,
                "application": application,
                "spec": spec,
                "routes_met": [r.key for r in spec.routes_met(application.evidence or {})],
                "evidence_rows": evidence_rows,
                "review_form": review_form
                or (ReviewForm(allowed=allowed, initial={"version": version}) if allowed else None),
                "suspend_form": suspend_form
                or (
                    SuspendForm(initial={"version": version})
                    if application.state == workflow.ELIGIBLE
                    else None
                ),
                "restore_form": VersionForm(initial={"version": version})
                if application.state == workflow.SUSPENDED
                else None,
                "retake": services.retake_of(application, spec),
                "overdue": selectors.overdue(application),
                "error_form": next(
                    (f for f in (review_form, suspend_form) if f is not None and f.errors), None
                ),
            },
            status=status,
        )
    )


@body_staff_required
def application(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    return _render_application(request, organization, pk)


def _found(organization: Organization, pk: int) -> Application:
    found = Application.objects.filter(organization=organization, pk=pk).first()
    if found is None:
        raise Http404("No such application")
    return found


@body_staff_required
@require_POST
def review(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    found = _found(organization, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.application_review(
                application=found,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"] or None,
                acting_user=request.user,
            )
        except services.CertificationRefused as exc:
            refusal_onto(form, exc)
        except ChangedMeanwhile as exc:
            form.add_error(None, sentence(str(exc)))
        else:
            messages.success(
                request,
                f"{found.reference}: {dict(form.fields['decision'].choices)[form.cleaned_data['decision']]}. The candidate is told.",
            )
            return redirect(_application_url(organization, pk))
    return _render_application(request, organization, pk, review_form=form, status=400)


@body_staff_required
@require_POST
def suspend(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    found = _found(organization, pk)
    form = SuspendForm(request.POST)
    if form.is_valid():
        try:
            services.eligibility_suspend(
                application=found,
                until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"],
                decision_ref=form.cleaned_data["decision_ref"],
                expected_version=form.cleaned_data["version"] or None,
                acting_user=request.user,
            )
        except services.CertificationRefused as exc:
            refusal_onto(form, exc)
        except ChangedMeanwhile as exc:
            form.add_error(None, sentence(str(exc)))
        else:
            messages.success(request, f"{found.reference}: eligibility suspended.")
            return redirect(_application_url(organization, pk))
    return _render_application(request, organization, pk, suspend_form=form, status=400)


@body_staff_required
@require_POST
def restore(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    found = _found(organization, pk)
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        services.eligibility_restore(
            application=found,
            reason=form.cleaned_data.get("reason", ""),
            expected_version=form.cleaned_data.get("version") or None,
            acting_user=request.user,
        )
    except (services.CertificationRefused, ChangedMeanwhile) as exc:
        messages.error(request, sentence(str(exc)))
    else:
        messages.success(request, f"{found.reference}: eligibility restored.")
    return redirect(_application_url(organization, pk))


@body_staff_required
def document(request: HttpRequest, organization: Organization, pk: int, token: str) -> FileResponse:
    kept = _found(organization, pk).documents.filter(token=token).first()
    if kept is None:
        raise Http404("No such document")
    return document_response(kept)


# --- exam windows and results ---------------------------------------------------------------------


@body_staff_required
def windows(request: HttpRequest, organization: Organization) -> HttpResponse:
    programs = CredentialProgram.objects.filter(organization=organization).order_by("name")
    form = WindowForm(request.POST if request.method == "POST" else None)
    program = (
        programs.filter(code=request.POST.get("program", "")).first()
        if request.method == "POST"
        else None
    )
    if request.method == "POST" and form.is_valid():
        if program is None:
            form.add_error(None, "Choose the credential the window is for.")
        else:
            try:
                window = services.window_save(
                    program=program, values=form.cleaned_data, acting_user=request.user
                )
            except services.CertificationRefused as exc:
                refusal_onto(form, exc)
            else:
                messages.success(request, f"Window {window.name} added.")
                return redirect("certification_staff:window", org=organization.slug, pk=window.pk)
    return private(
        render(
            request,
            "certification/staff/windows.html",
            {
                "body": organization,
                "windows": list(selectors.windows(organization)),
                "form": form,
                "programs": programs,
                "chosen": program,
            },
            status=400 if form.errors else 200,
        )
    )


def _render_window(
    request, organization, pk, *, result_form=None, import_form=None, report=None, status=200
):
    window = selectors.window_get(organization, pk)
    if window is None:
        raise Http404("No such window")
    return private(
        render(
            request,
            "certification/staff/window.html",
            {
                "body": organization,
                "window": window,
                "sittings": list(selectors.window_sittings(window)),
                "result_form": result_form or ResultForm(),
                "import_form": import_form or ImportForm(),
                "report": report,
                "error_form": result_form
                if result_form is not None and result_form.errors
                else None,
            },
            status=status,
        )
    )


@body_staff_required
def window(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    return _render_window(request, organization, pk)


@body_staff_required
@require_POST
def result(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Staff enter one candidate's result in the window."""
    window = selectors.window_get(organization, pk)
    if window is None:
        raise Http404("No such window")
    form = ResultForm(request.POST)
    if form.is_valid():
        found = Application.objects.filter(
            organization=organization, reference=form.cleaned_data["reference"].strip().upper()
        ).first()
        if found is None:
            form.add_error("reference", "No application with this reference.")
        else:
            try:
                sitting = services.result_record(
                    window=window,
                    application=found,
                    given=services.ResultIn(
                        form.cleaned_data["sat_on"],
                        form.cleaned_data["result"],
                        form.cleaned_data["score"],
                    ),
                    source="staff",
                    acting_user=request.user,
                )
            except services.CertificationRefused as exc:
                refusal_onto(form, exc)
            else:
                messages.success(
                    request, f"{found.reference}: {sitting.get_result_display().lower()} recorded."
                )
                return redirect("certification_staff:window", org=organization.slug, pk=pk)
    return _render_window(request, organization, pk, result_form=form, status=400)


@body_staff_required
@require_POST
def results_import(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """The vendor's file: checked (nothing stored), or imported, all of it or nothing."""
    form = ImportForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            form.add_error(
                "file", f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB."
            )
        else:
            report = services.results_import(
                organization=organization,
                data=upload.read(),
                dry_run=request.POST.get("action") != "import",
                acting_user=request.user,
            )
            if report.ok and not report.dry_run:
                messages.success(request, f"Imported: {report.summary()}.")
                return redirect("certification_staff:window", org=organization.slug, pk=pk)
    status = 400 if form.errors or (report is not None and not report.ok) else 200
    return _render_window(request, organization, pk, import_form=form, report=report, status=status)
