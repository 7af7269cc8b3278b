"""The public register: search, a page per credential and membership, a printable certificate, and
bulk verification for employers. No login; what each page shows is decided in `public`."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io

import segno
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from ombuds.bodies.access import body_or_404, found_body_or_404
from ombuds.bodies.models import Organization
from ombuds.register import public, public_search
from ombuds.register.addresses import record_path
from ombuds.register.record_page import credential_content, credential_title
from ombuds.register.search_rows import search_rows_html


def _not_indexed(view):
    """Search engines neither index nor keep copies of register pages: a sanction published until a
    date must not outlive that date in someone's cache, and the register is not to be listed."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, noarchive"
        return response

    return wrapped


def _too_many(request: HttpRequest, organization: Organization, throttled: public.Throttled):
    response = render(
        request,
        "register/rate_limited.html",
        {"body": organization, "throttled": throttled},
        status=429,
    )
    response["Retry-After"] = str(throttled.retry_after)
    return response


@_not_indexed
def search(request: HttpRequest, org: str) -> HttpResponse:
    # The body and its programmes in one query, before the rate limit as the body was.
    organization, programs = public_search.body_and_programs(org)
    found_body_or_404(organization)
    query = public.clean_query(request.GET.get("q", ""))
    if query:
        throttled = public.throttle_hit(request, "search")
        if throttled:
            return _too_many(request, organization, throttled)
    result = public.register_search(organization, query, programs=programs)
    return render(
        request,
        "register/search.html",
        {
            "body": organization,
            "search": result,
            "rows_html": search_rows_html(organization, result.results),
        },
    )


def _not_found(request: HttpRequest, organization: Organization, number: str, what: str):
    return render(
        request,
        "register/not_found.html",
        {"body": organization, "number": number, "what": what},
        status=404,
    )


def _verification_url(request: HttpRequest, organization: Organization, number: str) -> str:
    return request.build_absolute_uri(record_path("register:credential", organization, number))


def _lookup_credential(request: HttpRequest, org: str, number: str, view_name: str):
    """(organization, credential, response): a response when the page cannot be shown as asked.
    The body and its credential are read together (one query: this is the register's busiest
    page); a throttled visitor is then told only to wait, before anything else is read."""
    organization, row = public.credential_in_body(org, number)
    found_body_or_404(organization)
    throttled = public.throttle_hit(request, "lookup")
    if throttled:
        return organization, None, _too_many(request, organization, throttled)
    credential = public.credential_shown(organization, row) if row is not None else None
    if credential is None:
        return organization, None, _not_found(request, organization, number, "credential")
    if credential.number != number:
        # "cgp 0001" and "CGP-0001" are one credential, with one address.
        return (
            organization,
            None,
            redirect(view_name, org=organization.slug, number=credential.number, permanent=True),
        )
    return organization, credential, None


@_not_indexed
def credential(request: HttpRequest, org: str, number: str) -> HttpResponse:
    """A credential's stable verification page: what the certificate's QR code leads to."""
    organization, found, response = _lookup_credential(request, org, number, "register:credential")
    if response is not None:
        return response
    dates = _shown_dates(
        issued_on=found.issued_on,
        expires_on=found.expires_on,
        suspended_until=found.suspended_until,
        today=timezone.localdate(),
    )
    content = credential_content(
        organization,
        found,
        dates,
        _verification_url(request, organization, found.number),
        record_path("register:certificate", organization, found.number),
    )
    return render(
        request,
        "register/credential.html",
        {
            "body": organization,
            "title": credential_title(organization, found),
            "content": content,
        },
    )


def _shown_dates(**dates: dt.date | None) -> dict[str, dict[str, str] | None]:
    """Each date as a record's page writes it, formatted once here rather than by two `date`
    filters in the template: ISO for the `datetime` attribute, "2 May 2024" to read (the month in
    the active language, as the filter writes it)."""
    return {
        name: {"iso": d.isoformat(), "text": day_month_year(d)} if d else None
        for name, d in dates.items()
    }


def day_month_year(d: dt.date) -> str:
    """`dateformat.format(d, "j F Y")` ("2 May 2024", the month in the active language) without
    parsing the format each time: a lookup page writes four dates."""
    return f"{d.day} {MONTHS[d.month]} {d.year:04d}"


def _qr_svg(url: str) -> str:
    # segno writes only path data and our own URL (which build_absolute_uri has escaped): safe to
    # embed. Scaled by CSS through the viewBox, so it prints sharp at any size.
    svg = segno.make(url, error="m").svg_inline(scale=1, omitsize=True, light="#fff")
    return mark_safe(svg)  # generated just above, no user markup


def certificate_holds(found: public.VerifiedCredential, today) -> bool:
    """Whether a certificate may say "This certifies that…" today: the credential is active, issued
    and not past its expiry date. Anything else is shown as its status, never as a certificate."""
    return (
        found.status == "active"
        and found.issued_on is not None
        and found.issued_on <= today
        and (found.expires_on is None or found.expires_on >= today)
    )


@_not_indexed
def certificate(request: HttpRequest, org: str, number: str) -> HttpResponse:
    """The holder's printable certificate, with a QR code of the verification URL; for a credential
    that is not valid today, a statement of its status instead (no certifying sentence at all)."""
    organization, found, response = _lookup_credential(request, org, number, "register:certificate")
    if response is not None:
        return response
    url = _verification_url(request, organization, found.number)
    today = timezone.localdate()
    return render(
        request,
        "register/certificate.html",
        {
            "body": organization,
            "credential": found,
            "verification_url": url,
            "qr_svg": _qr_svg(url),
            "today": today,
            "holds": certificate_holds(found, today),
        },
    )


@_not_indexed
def membership(request: HttpRequest, org: str, number: str) -> HttpResponse:
    """A membership's verification page: the body and the record read together, as a
    credential's are (`_lookup_credential`)."""
    organization, row = public.membership_in_body(org, number)
    found_body_or_404(organization)
    throttled = public.throttle_hit(request, "lookup")
    if throttled:
        return _too_many(request, organization, throttled)
    found = public.membership_shown(organization, row) if row is not None else None
    if found is None:
        return _not_found(request, organization, number, "membership")
    if found.number != number:
        return redirect(
            "register:membership", org=organization.slug, number=found.number, permanent=True
        )
    return render(
        request,
        "register/membership.html",
        {
            "body": organization,
            "membership": found,
            "verification_url": request.build_absolute_uri(
                record_path("register:membership", organization, found.number)
            ),
            "dates": _shown_dates(
                start_date=found.start_date,
                renewal_date=found.renewal_date,
                suspended_until=found.suspended_until,
                today=timezone.localdate(),
            ),
        },
    )


# --- bulk verification ----------------------------------------------------------------------------


def _max_bytes() -> int:
    return int(getattr(settings, "OMBUDS_REGISTER_BULK_MAX_BYTES", 256 * 1024))


class BulkVerifyForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row with the columns name and number, then one row per person or agency.",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = _max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} KB; the limit is {limit // 1024} KB. "
                "Split it into smaller files."
            )
        try:
            self.rows = public.bulk_csv_parse(upload.read())
        except public.BulkCsvError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload


@_not_indexed
@require_http_methods(["GET", "HEAD", "POST"])
def bulk(request: HttpRequest, org: str) -> HttpResponse:
    """Upload a CSV of names and numbers; get back a CSV with each row's standing."""
    organization = body_or_404(org)
    form = BulkVerifyForm()
    if request.method == "POST":
        throttled = public.throttle_hit(request, "bulk")
        if throttled:
            return _too_many(request, organization, throttled)
        form = BulkVerifyForm(request.POST, request.FILES)
        if form.is_valid():
            return _bulk_csv_response(request, organization, form.rows)
    return render(
        request,
        "register/bulk.html",
        {
            "body": organization,
            "form": form,
            "max_rows": getattr(settings, "OMBUDS_REGISTER_BULK_MAX_ROWS", 500),
            "max_kb": _max_bytes() // 1024,
        },
        status=400 if form.errors else 200,
    )


def _bulk_csv_response(request: HttpRequest, organization: Organization, rows) -> HttpResponse:
    results = public.bulk_verify(organization, rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(public.BULK_RESULT_COLUMNS)
    for r in results:
        url = ""
        if r.url_number:
            name = "register:credential" if r.kind == "credential" else "register:membership"
            url = request.build_absolute_uri(
                reverse(name, kwargs={"org": organization.slug, "number": r.url_number})
            )
        writer.writerow(
            [
                r.line,
                public.csv_safe(r.name),
                public.csv_safe(r.number),
                r.result,
                r.entry,
                r.status,
                r.expires_on.isoformat() if r.expires_on else "",
                url,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"{organization.slug}-register-check-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
