"""The staff's invoice pages: the body's invoices with their filters and CSV export, one invoice
(recorded as paid, or waived), a fee's invoice issued, a payment system's file imported.

For the body's administrators and staff (a superuser too): anyone else signed in gets 403, another
body's invoice 404. Every change goes through `ombuds.register.invoices` and `invoice_csv`. Every
page is private: kept by no cache.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombuds.bodies.access import body_staff_required
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.core.http import csv_download, private
from ombuds.register import invoice_csv, invoices
from ombuds.register.invoice_forms import FilterForm, ImportForm, IssueForm, PayForm, WaiveForm

PAGE = 50
IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _filters(request: HttpRequest) -> tuple[FilterForm, invoices.InvoiceFilters, str]:
    form = FilterForm(request.GET)
    filters = form.filters()
    kept = {k: v for k, v in request.GET.items() if k in form.fields and v and form.is_valid()}
    return form, filters, urlencode(kept)


@body_staff_required
def invoice_list(request: HttpRequest, organization) -> HttpResponse:
    form, filters, query = _filters(request)
    page = Paginator(invoices.invoices_listed(organization, filters), PAGE).get_page(
        request.GET.get("page")
    )
    return private(
        render(
            request,
            "register/staff/invoices.html",
            {
                "body": organization,
                "form": form,
                "page": page,
                "query": query,
                "totals": invoices.invoice_totals(organization),
            },
            status=400 if form.errors else 200,
        )
    )


@body_staff_required
def invoice_export(request: HttpRequest, organization) -> HttpResponse:
    form, filters, _query = _filters(request)
    if form.errors:
        problems = [e for errors in form.errors.values() for e in errors]
        return private(HttpResponse(" ".join(problems), status=400, content_type="text/plain"))
    return csv_download(
        invoice_csv.export_rows(organization, filters), f"{organization.slug}-invoices.csv"
    )


@body_staff_required
def invoice_new(request: HttpRequest, organization) -> HttpResponse:
    form = IssueForm(request.POST if request.method == "POST" else None, initial=request.GET)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payer, problems = invoices.payer_find(
            organization,
            person=data["person"],
            agency=data["agency"],
            credential=data["credential"],
        )
        if not problems:
            try:
                made = invoices.invoice_issue(
                    organization=organization,
                    payer=payer,
                    fee=invoices.Fee(
                        kind=data["kind"],
                        amount=data["amount"],
                        currency=data["currency"],
                        due_on=data["due_on"],
                        description=data["description"],
                        number=data["number"],
                    ),
                    acting_user=request.user,
                )
            except invoices.InvoiceRefused as exc:
                problems = exc.problems
            else:
                messages.success(request, f"Invoice {made.number} is issued.")
                return redirect("register_staff:invoice", org=organization.slug, number=made.number)
        for problem in problems:
            form.add_error(None, problem[:1].upper() + problem[1:] + ".")
    return private(
        render(
            request,
            "register/staff/invoice_new.html",
            {"body": organization, "form": form},
            status=400 if form.errors else 200,
        )
    )


def _settle(request: HttpRequest, organization, invoice, form) -> bool:
    """Record the payment or the waiver the valid form says; its refusals join the form."""
    data = form.cleaned_data
    try:
        if isinstance(form, PayForm):
            invoices.invoice_pay(
                organization=organization,
                invoice=invoice,
                paid_on=data["paid_on"],
                reference=data["reference"],
                note=data["note"],
                acting_user=request.user,
                expected_version=data["version"],
            )
        else:
            invoices.invoice_waive(
                organization=organization,
                invoice=invoice,
                reason=data["reason"],
                acting_user=request.user,
                expected_version=data["version"],
            )
    except invoices.InvoiceRefused as exc:
        for problem in exc.problems:
            form.add_error(None, problem[:1].upper() + problem[1:] + ".")
        return False
    except ChangedMeanwhile as exc:
        form.add_error(None, f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        return False
    return True


@body_staff_required
def invoice_detail(request: HttpRequest, organization, number: str) -> HttpResponse:
    invoice = invoices.invoice_get(organization, number)
    if invoice is None:
        raise Http404("no such invoice")
    version = {"version": version_of(invoice)}
    pay, waive = PayForm(initial=dict(version)), WaiveForm(initial=dict(version))
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action in ("pay", "waive"):
        form = PayForm(request.POST) if action == "pay" else WaiveForm(request.POST)
        if form.is_valid() and _settle(request, organization, invoice, form):
            done = "recorded as paid" if action == "pay" else "waived"
            messages.success(request, f"Invoice {invoice.number} is {done}.")
            return redirect("register_staff:invoice", org=organization.slug, number=number)
        pay, waive = (form, waive) if action == "pay" else (pay, form)
        invoice = invoices.invoice_get(organization, number) or invoice
    return private(
        render(
            request,
            "register/staff/invoice.html",
            {
                "body": organization,
                "invoice": invoice,
                "overdue": invoices.is_overdue(invoice),
                "pay_form": pay,
                "waive_form": waive,
            },
            status=400 if pay.errors or waive.errors else 200,
        )
    )


@body_staff_required
def invoice_import(request: HttpRequest, organization) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            form.add_error(
                "file", f"The file is larger than {IMPORT_MAX_BYTES // 1024 // 1024} MB."
            )
        else:
            report = invoice_csv.payments_import(
                organization=organization,
                data=upload.read(),
                dry_run=form.cleaned_data["dry_run"],
                acting_user=request.user,
            )
    return private(
        render(
            request,
            "register/staff/invoice_import.html",
            {"body": organization, "form": form, "report": report},
            status=400 if form.errors or (report and not report.ok) else 200,
        )
    )
