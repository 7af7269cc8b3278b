"""The invoices' API: for the body's staff (list, read, issue, waive) and for its payment system
(record payments one by one or as the CSV file it exports). Over the same services as the staff
pages (`ombuds.register.invoices`, `ombuds.register.invoice_csv`). Ombuds takes no payment itself.

A staff token of the body in the path: `invoices:read` to read, `payments:write` to record payments
(what a payment system's token needs: it implies `invoices:read`), `invoices:write` to issue and
waive (it implies both). Errors are RFC 9457 problems (`ombuds.api.problems`, the reason in `detail`): 401 without a usable token, 403 for
another body's path or a scope missing, 404 for an invoice number the body does not have, 400 when
the service refuses (every reason; for a file, every bad row), 409 when the invoice changed since
the `expected_version` sent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from ombuds.api.auth import INVOICES_READ, INVOICES_WRITE, PAYMENTS_WRITE
from ombuds.api.limits import DETAILS, NO_NUL, column, text
from ombuds.api.pages import CURSOR, page
from ombuds.api.problems import ProblemOut
from ombuds.bodies.models import Organization
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.register import invoice_csv, invoices
from ombuds.register.models import Agency, Credential, Invoice, Person

router = Router(tags=["invoices (staff and payment systems)"], auth=INVOICES_WRITE)

MAX_ROWS = 200
AMOUNT = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
FILE_MAX = 5 * 1024 * 1024


_AUTH_ERRORS: dict[int, type[Schema]] = {401: ProblemOut, 403: ProblemOut}


def _body(request: HttpRequest, org: str) -> Organization:
    token = request.api_token
    if token.organization.slug != org:
        raise HttpError(403, "this token is for another body")
    return token.organization


class InvoiceOut(Schema):
    number: str
    kind: str = Field(..., description=", ".join(Invoice.Kind.values))
    payer_name: str
    person_external_id: str | None = Field(..., description="When a person pays.")
    agency_external_id: str | None = Field(..., description="When an agency pays.")
    credential_number: str | None
    sanction_id: int | None = Field(..., description="For a fine: the sanction it is.")
    description: str
    amount: Decimal
    currency: str
    issued_on: dt.date
    due_on: dt.date
    state: str = Field(..., description=", ".join(Invoice.State.values))
    overdue: bool
    paid_on: dt.date | None
    payment_reference: str
    payment_note: str
    waived_on: dt.date | None
    waive_reason: str
    version: str = Field(..., description="Send it back as `expected_version` with a change.")


def _out(i: Invoice) -> dict[str, Any]:
    return {
        "number": i.number,
        "kind": i.kind,
        "payer_name": str(i.payer),
        "person_external_id": i.person.external_id if i.person_id else None,
        "agency_external_id": i.agency.external_id if i.agency_id else None,
        "credential_number": i.credential.number if i.credential_id else None,
        "sanction_id": i.sanction_id,
        "description": i.description,
        "amount": i.amount,
        "currency": i.currency,
        "issued_on": i.issued_on,
        "due_on": i.due_on,
        "state": i.state,
        "overdue": invoices.is_overdue(i),
        "paid_on": i.paid_on,
        "payment_reference": i.payment_reference,
        "payment_note": i.payment_note,
        "waived_on": i.waived_on,
        "waive_reason": i.waive_reason,
        "version": version_of(i),
    }


def _invoice(organization: Organization, number: str) -> Invoice:
    found = invoices.invoice_get(organization, number)
    if found is None:
        raise HttpError(404, f"no invoice {number} in {organization.short_name}'s register")
    return found


class InvoiceFilters(Schema):
    state: str = Field("", max_length=20, pattern=NO_NUL, description="Or `overdue`.")
    kind: str = Field("", max_length=20, pattern=NO_NUL)
    payer: str = Field("", max_length=100, pattern=NO_NUL)
    issued_from: dt.date | None = None
    issued_until: dt.date | None = None
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(100, ge=1, le=MAX_ROWS)


@router.get(
    "/bodies/{org}/invoices",
    auth=INVOICES_READ,
    response={200: list[InvoiceOut], 400: ProblemOut, **_AUTH_ERRORS},
    summary="List the body's invoices",
    description="Newest first, narrowed as on the staff page: the state (or `overdue`), what for, "
    "the payer (words of their name, an identifier, an invoice or credential number) and the "
    f"days issued. At most {MAX_ROWS} from `offset`. 400 for an unknown filter value.",
)
def invoice_list(
    request: HttpRequest,
    response: HttpResponse,
    org: str,
    filters: Query[InvoiceFilters],
    cursor: str | None = CURSOR,
) -> list[dict[str, Any]]:
    organization = _body(request, org)
    chosen = invoices.InvoiceFilters(
        state=filters.state,
        kind=filters.kind,
        payer=filters.payer,
        issued_from=filters.issued_from,
        issued_until=filters.issued_until,
    )
    if chosen.problems():
        raise HttpError(400, "; ".join(chosen.problems()))
    rows = invoices.invoices_listed(organization, chosen)
    return [_out(i) for i in page(request, response, rows[filters.offset :], cursor, filters.limit)]


@router.get(
    "/bodies/{org}/invoices/{number}",
    auth=INVOICES_READ,
    response={200: InvoiceOut, 404: ProblemOut, **_AUTH_ERRORS},
    summary="Read one invoice, by its number",
)
def invoice_read(request: HttpRequest, org: str, number: str) -> dict[str, Any]:
    return _out(_invoice(_body(request, org), number))


class InvoiceIn(Schema):
    kind: str = column(Invoice, "kind", description=", ".join(invoices.FEE_KINDS))
    person_external_id: str = column(Person, "external_id", "", description="Who pays.")
    agency_external_id: str = column(Agency, "external_id", "", description="Or the agency.")
    credential_number: str = column(
        Credential, "number", "", description="The credential it is for; its holder pays."
    )
    amount: str = Field(..., max_length=14, pattern=AMOUNT, description="e.g. `150.00`")
    currency: str = column(Invoice, "currency", description="Three letters (ISO 4217).")
    due_on: dt.date
    description: str = column(Invoice, "description", "")
    number: str = column(Invoice, "number", "", description="Your own number; else the next.")


@router.post(
    "/bodies/{org}/invoices",
    auth=INVOICES_WRITE,
    response={201: InvoiceOut, 400: ProblemOut, **_AUTH_ERRORS},
    summary="Issue a fee's invoice",
    description="An application, exam, certification or renewal fee, owed by a person or an "
    "agency of the body (a credential's holder when only the credential is named). A fine's "
    "invoice is made with its sanction. 400 with every reason when refused.",
)
def invoice_issue(request: HttpRequest, org: str, payload: InvoiceIn) -> Status:
    organization = _body(request, org)
    payer, problems = invoices.payer_find(
        organization,
        person=payload.person_external_id,
        agency=payload.agency_external_id,
        credential=payload.credential_number,
    )
    amount, problem = invoices.amount_read(payload.amount)
    problems += [problem] if problem else []
    if problems:
        raise HttpError(400, "; ".join(problems))
    try:
        made = invoices.invoice_issue(
            organization=organization,
            payer=payer,
            fee=invoices.Fee(
                kind=payload.kind,
                amount=amount,
                currency=payload.currency,
                due_on=payload.due_on,
                description=payload.description,
                number=payload.number,
            ),
            acting_user=request.api_token.user,
        )
    except invoices.InvoiceRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _out(_invoice(organization, made.number)))


class PaymentIn(Schema):
    paid_on: dt.date = Field(..., description="Not in the future, not before the invoice.")
    amount: str | None = Field(
        None, max_length=14, pattern=AMOUNT, description="If given, the invoice's amount."
    )
    payment_reference: str = column(
        Invoice, "payment_reference", "", description="The same payment sent again changes nothing."
    )
    payment_note: str = text(DETAILS, "")
    expected_version: str | None = text(64, None, description="409 if it changed since.")


@router.post(
    "/bodies/{org}/invoices/{number}/payment",
    auth=PAYMENTS_WRITE,
    response={200: InvoiceOut, 400: ProblemOut, 404: ProblemOut, 409: ProblemOut, **_AUTH_ERRORS},
    summary="Record that an invoice was paid",
    description="By staff or a payment system. A fine's sanction is recorded as paid with it. "
    "The same payment sent again (same `payment_reference` and `paid_on`) answers 200 and changes "
    "nothing. 400 when the invoice is already paid otherwise, waived, the amount is not the "
    "invoice's, or the date is wrong.",
)
def invoice_payment(
    request: HttpRequest, org: str, number: str, payload: PaymentIn
) -> dict[str, Any]:
    organization = _body(request, org)
    found = _invoice(organization, number)
    if payload.amount is not None and Decimal(payload.amount) != found.amount:
        raise HttpError(
            400, f"the invoice is for {found.amount} {found.currency}, not {payload.amount}"
        )
    try:
        invoices.invoice_pay(
            organization=organization,
            invoice=found,
            paid_on=payload.paid_on,
            reference=payload.payment_reference,
            note=payload.payment_note,
            acting_user=request.api_token.user,
            expected_version=payload.expected_version,
        )
    except invoices.InvoiceRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    return _out(_invoice(organization, number))


class WaiverIn(Schema):
    reason: str = text(DETAILS, description="Why it is waived: the payer reads it.")
    expected_version: str | None = text(64, None, description="409 if it changed since.")


@router.post(
    "/bodies/{org}/invoices/{number}/waiver",
    auth=INVOICES_WRITE,
    response={200: InvoiceOut, 400: ProblemOut, 404: ProblemOut, 409: ProblemOut, **_AUTH_ERRORS},
    summary="Waive an outstanding invoice",
)
def invoice_waiver(
    request: HttpRequest, org: str, number: str, payload: WaiverIn
) -> dict[str, Any]:
    organization = _body(request, org)
    found = _invoice(organization, number)
    try:
        invoices.invoice_waive(
            organization=organization,
            invoice=found,
            reason=payload.reason,
            acting_user=request.api_token.user,
            expected_version=payload.expected_version,
        )
    except invoices.InvoiceRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    return _out(_invoice(organization, number))


class PaymentFileIn(Schema):
    csv: str = text(FILE_MAX, description="The file's text: a header row, then one payment a row.")
    dry_run: bool = Field(False, description="Check every row; record nothing.")


class PaymentRowErrorOut(Schema):
    line: int | None
    column: str | None
    reason: str


class PaymentFileOut(Schema):
    summary: str
    rows: int
    paid: int
    unchanged: int = Field(..., description="Payments recorded already (same reference and day).")
    dry_run: bool


class PaymentFileRefusedOut(Schema):
    detail: str
    errors: list[PaymentRowErrorOut] = Field(
        default_factory=list, description="Every bad row of the file (none for a bad request)."
    )


@router.post(
    "/bodies/{org}/payments",
    auth=PAYMENTS_WRITE,
    response={200: PaymentFileOut, 400: PaymentFileRefusedOut, **_AUTH_ERRORS},
    summary="Record the payments of a payment system's CSV file",
    description="Columns `number`, `paid_on`, `amount`, and optionally `currency`, "
    "`payment_reference`, `payment_note`. Every row is checked first: with one bad row nothing is "
    "recorded, and the 400 answer lists every bad row (`errors`). The same file sent twice "
    "changes nothing the second time.",
)
def invoice_payments(request: HttpRequest, org: str, payload: PaymentFileIn) -> Status:
    organization = _body(request, org)
    report = invoice_csv.payments_import(
        organization=organization,
        data=payload.csv.encode("utf-8"),
        dry_run=payload.dry_run,
        acting_user=request.api_token.user,
        actor_label=f"API token {request.api_token.prefix}",
    )
    if not report.ok:
        errors = [{"line": e.line, "column": e.column, "reason": e.reason} for e in report.errors]
        return Status(400, {"detail": report.summary(), "errors": errors})
    return Status(
        200,
        {
            "summary": report.summary(),
            "rows": report.rows,
            "paid": report.paid,
            "unchanged": report.unchanged,
            "dry_run": report.dry_run,
        },
    )
