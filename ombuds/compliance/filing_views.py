"""The agency's filing form: choose the period, upload the return's CSV files and documents (with
their expiry dates), tick the statements attested, check them first
(every shape problem with its file, line and column, or the findings, nothing filed), then file
(`ombuds.compliance.services.return_file`). A return already filed for the period is amended by
naming it: the form offers it.

Uploads never sit in memory whole: a file over Django's memory threshold is spooled to a
temporary file by Django itself, one over the limit (OMBUDS_COMPLIANCE_MAX_FILE_BYTES) is skipped
as it arrives, and what is kept is copied in chunks into a temporary folder that DuckDB reads and
that is removed after the request. The upload limit is set before the request's body is read,
so the view is exempt from the CSRF middleware (which would read it first) and checks the token
itself, as Django's documentation says to."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from ombuds.compliance import display, locating, periods, schedule, selectors, services
from ombuds.compliance.documents import DocumentGiven
from ombuds.compliance.forms import ReturnFilingForm, recent_periods
from ombuds.compliance.models import Finding, Return
from ombuds.compliance.programme import ReturnSpec
from ombuds.core.changes import ChangedMeanwhile
from ombuds.core.http import private
from ombuds.members.first_tier_views import agency_admin_required
from ombuds.register.models import Agency

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


class SizeLimit(FileUploadHandler):
    """Skips a file as soon as it passes ``limit`` bytes, noting its field: the form says so."""

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.too_large: set[str] = set()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.too_large.add(self.field_name)
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) keeps it


def _declared(agency: Agency, return_key: str):
    programme = selectors.programme_current(agency.organization)
    spec = display.programme_spec(programme)
    declared = spec.returns.get(return_key) if spec else None
    if declared is None:
        raise Http404("No such return to file")
    return programme, spec, declared


def _current(agency: Agency, return_key: str, period) -> Return | None:
    """The return filed for the period now (the one a new filing amends)."""
    if period is None:
        return None
    return Return.objects.filter(
        agency=agency,
        return_key=return_key,
        period_start=period[0],
        period_end=period[1],
        status=Return.Status.FILED,
    ).first()


def _choices(agency: Agency, spec, declared: ReturnSpec, today) -> list[tuple[str, str]]:
    filed = {
        r.period_start: r
        for r in Return.objects.filter(
            agency=agency, return_key=declared.key, status=Return.Status.FILED
        )
    }
    choices = []
    for p in recent_periods(declared.period, today):
        due = schedule.due_on(declared, spec, p.end)
        said = f"{p.label} · due {due.day} {due:%B %Y}"
        if p.start in filed:
            said += f" · filed as return {filed[p.start].pk}"
        choices.append((p.value, said))
    return choices


def _copy(upload, folder: Path, key: str) -> Path:
    """The upload copied in chunks to ``folder/key/<its name, made safe>``."""
    name = SAFE_NAME.sub("_", Path(upload.name or "").name).strip(" .")[:100] or f"{key}.csv"
    (folder / key).mkdir()
    path = folder / key / name
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


@csrf_exempt
@never_cache
@agency_admin_required
def file_return(request: HttpRequest, agency: Agency, return_key: str) -> HttpResponse:
    limit = SizeLimit(request, settings.OMBUDS_COMPLIANCE_MAX_FILE_BYTES)
    if request.method == "POST":
        request.upload_handlers.insert(0, limit)
    return csrf_protect(_file_return)(request, agency, return_key, limit)


def _file_return(
    request: HttpRequest, agency: Agency, return_key: str, limit: SizeLimit
) -> HttpResponse:
    programme, spec, declared = _declared(agency, return_key)
    today = timezone.localdate()
    kwargs = {
        "declared": declared,
        "choices": _choices(agency, spec, declared, today),
        "max_bytes": settings.OMBUDS_COMPLIANCE_MAX_FILE_BYTES,
    }
    context = {"body": agency.organization, "agency": agency, "declared": declared}
    if request.method != "POST":
        # "?period=2026-03": the period chosen already (the link to amend a return gives it).
        asked = request.GET.get("period", "")[:30]
        try:
            chosen = periods.parse(asked) if asked else None
        except ValueError:
            chosen = None
        listed = asked in dict(kwargs["choices"])
        form = ReturnFilingForm(
            initial={"period" if listed else "other_period": asked if chosen else ""}, **kwargs
        )
        return _render(request, form, context, current=_current(agency, return_key, chosen))
    form = ReturnFilingForm(
        request.POST, request.FILES, too_large=frozenset(limit.too_large), **kwargs
    )
    if not form.is_valid():
        period = form.cleaned_data.get("period_dates")
        return _render(request, form, context, current=_current(agency, return_key, period))
    period = form.cleaned_data["period_dates"]
    context["current"] = _current(agency, return_key, period)
    chosen, expires = form.documents_given()
    given = {
        # Documents are at most 10 MB (the form refused larger ones): read whole, as uploads are.
        "documents": [
            DocumentGiven(key, upload.name or key, upload.read()) for key, upload in chosen
        ],
        "expires": expires,
        "statements": form.statements_attested(),
    }
    with tempfile.TemporaryDirectory(prefix="ombuds-return-") as folder:
        paths = {key: _copy(form.cleaned_data[key], Path(folder), key) for key in form.file_keys()}
        if request.POST.get("action") == "check":
            return _check(
                request, form, context, agency, return_key, period, paths, programme, given
            )
        try:
            filed = services.return_file(
                organization=agency.organization,
                agency=agency,
                return_key=return_key,
                period=period,
                paths=paths,
                user=request.user,
                amends=form.cleaned_data.get("amends"),
                **given,
            )
        except services.ReturnRefused as exc:
            return _refused(request, form, context, exc, declared, paths)
        except ChangedMeanwhile as exc:
            context["current"] = _current(agency, return_key, period)
            form.add_error(None, f"{str(exc)[0].upper()}{str(exc)[1:]}.")
            return _render(request, form, context)
    count = filed.findings.count()
    messages.success(
        request,
        f"Return {filed.pk} is filed. The checks found {count} "
        f"thing{'s' if count != 1 else ''} to answer or correct."
        if count
        else f"Return {filed.pk} is filed. The checks found nothing wrong.",
    )
    return redirect(reverse("compliance:return", kwargs={"agency": agency.pk, "pk": filed.pk}))


def _check(
    request, form, context, agency, return_key, period, paths, programme, given
) -> HttpResponse:
    """The return checked as if filed: the shape problems, or the findings; nothing kept."""
    try:
        outcome = services.return_check(
            organization=agency.organization,
            agency=agency,
            return_key=return_key,
            period=period,
            paths=paths,
            **given,
        )
    except services.ReturnRefused as exc:
        return _refused(request, form, context, exc, context["declared"], paths)
    if outcome.refused:
        context["located"] = locating.locate(outcome.problems, context["declared"].files, paths)
        context["truncated"] = outcome.truncated
        return _render(request, form, context, status=400)
    context["checked"] = display.decorate(
        [_as_finding(f) for f in outcome.findings], programme=programme
    )
    context["truncated"] = outcome.truncated
    return _render(request, form, context)


def _as_finding(found) -> Finding:
    """An engine's finding as a Finding row (not saved) so that the pages show it alike."""
    return Finding(
        rule_key=found.rule,
        provision=found.provision,
        severity=found.severity,
        client_ref=found.client or "",
        date=found.date,
        amount=found.amount,
        detail=found.detail,
        evidence=dict(found.evidence),
    )


def _refused(request, form, context, exc, declared, paths) -> HttpResponse:
    if exc.outcome is not None and exc.outcome.problems:
        context["located"] = locating.locate(exc.outcome.problems, declared.files, paths)
        context["truncated"] = exc.outcome.truncated
    else:
        for problem in exc.problems:
            form.add_error(None, f"{problem[0].upper()}{problem[1:]}.")
    return _render(request, form, context, status=400)


def _render(request, form, context, *, current=None, status=None) -> HttpResponse:
    if current is not None:
        context.setdefault("current", current)
    if status is None:
        status = 400 if form.errors else 200
    context["form"] = form
    return private(
        noindex=True,
        response=render(request, "compliance/file.html", context, status=status),
    )
