"""Staff pages for importing a body's register from CSV and exporting it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombuds.core.access import body_staff_required

_SHOWN_ERRORS = 200


def _pending_path(organization, token: str):
    from pathlib import Path

    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / "imports" / organization.slug / f"{token}.csv"


@body_staff_required
def register_import(request: HttpRequest, organization) -> HttpResponse:
    """Upload a CSV: a dry run first, listing every bad row; then, if all is well, the import itself,
    of exactly the file that was checked (kept outside the web root until then)."""
    import secrets

    from ombuds.register.csv_io import import_csv
    from ombuds.register.forms import ImportUploadForm

    form = ImportUploadForm(request.POST or None, request.FILES or None)
    context = {"body": organization, "form": form, "shown": _SHOWN_ERRORS}
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        path = _pending_path(organization, token)
        if not token.isalnum() or not path.is_file():
            messages.error(request, "That upload is no longer waiting: upload the file again.")
            return redirect("register_staff:import", org=organization.slug)
        report = import_csv(
            organization=organization,
            data=path.read_bytes(),
            dry_run=False,
            acting_user=request.user,
        )
        path.unlink(missing_ok=True)
        if report.ok:
            messages.success(request, report.summary())
            return redirect("register_staff:home", org=organization.slug)
        context["report"] = report
        return render(request, "register/staff/import.html", context, status=400)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        report = import_csv(
            organization=organization, data=data, dry_run=True, acting_user=request.user
        )
        context["report"] = report
        if report.ok:
            token = secrets.token_hex(16)
            path = _pending_path(organization, token)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            context["token"] = token
        return render(
            request, "register/staff/import.html", context, status=200 if report.ok else 400
        )
    return render(
        request, "register/staff/import.html", context, status=400 if form.errors else 200
    )


@body_staff_required
def register_export(request: HttpRequest, organization, kind: str) -> HttpResponse:
    from django.http import Http404

    from ombuds.register.csv_io import KINDS, export_csv

    if kind not in KINDS:
        raise Http404("no such kind")
    response = HttpResponse(
        export_csv(organization=organization, kind=kind), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{organization.slug}-{kind}.csv"'
    return response
