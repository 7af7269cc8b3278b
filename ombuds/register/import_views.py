"""Staff pages for importing a body's register from CSV and exporting it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from ombuds.bodies.access import body_staff_required
from ombuds.register import import_jobs
from ombuds.register.csv import KINDS, export_csv
from ombuds.register.forms import ImportUploadForm
from ombuds.register.models import ImportJob

_RECENT_JOBS = 10


@body_staff_required
def register_import(request: HttpRequest, organization) -> HttpResponse:
    """Upload a CSV file: it is checked in the background, and the job's page shows the check."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_jobs.job_start(
            organization=organization,
            data=upload.read(),
            filename=upload.name,
            acting_user=request.user,
        )
        return redirect("register_staff:import_job", org=organization.slug, token=job.token)
    jobs = ImportJob.objects.filter(organization=organization).select_related("created_by")
    return render(
        request,
        "register/staff/import.html",
        {"body": organization, "form": form, "jobs": jobs[:_RECENT_JOBS]},
        status=400 if form.errors else 200,
    )


@body_staff_required
def import_job(request: HttpRequest, organization, token: str) -> HttpResponse:
    """A job's check, progress and outcome; POST confirms the import of a file checked clean.
    htmx polls the status part of the page while the job runs."""
    job = get_object_or_404(
        ImportJob.objects.select_related("organization", "created_by"),
        organization=organization,
        token=token,
    )
    if request.method == "POST":
        try:
            import_jobs.job_confirm(job=job, acting_user=request.user)
        except import_jobs.ImportRefused as exc:
            messages.error(request, str(exc))
        return redirect("register_staff:import_job", org=organization.slug, token=job.token)
    context = {
        "body": organization,
        "job": job,
        "progress": import_jobs.job_progress(job),
        "form": ImportUploadForm(),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "register/staff/_import_job.html", context)
    return render(request, "register/staff/import_job.html", context)


@body_staff_required
def register_export(request: HttpRequest, organization, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404("no such kind")
    response = HttpResponse(
        export_csv(organization=organization, kind=kind), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{organization.slug}-{kind}.csv"'
    return response
