"""Invoices as CSV: the staff's export, and payments imported from a payment system's file.

`payments_import` checks every row before it writes any, like the register's import: a file with
one bad row records no payment, and the report names every bad row with its line, column and
reason. Rows name invoices by their number. A good file is recorded in one transaction, the
invoices locked, with one audit event for the file (its SHA-256 and every payment); a payment
already recorded with the same reference and day is unchanged, so importing the same file twice
changes nothing. The columns are those of the export (`number`, `paid_on`, `amount`, `currency`,
`payment_reference`, `payment_note`): docs/guide-certification.md.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.register import invoices
from ombuds.register.csv.reading import (
    FileUnreadable,
    RowError,
    decode,
    escape_formula,
    unescape_formula,
)
from ombuds.register.models import Invoice

PAYMENT_COLUMNS = ("number", "paid_on", "amount", "currency", "payment_reference", "payment_note")
PAYMENT_REQUIRED = ("number", "paid_on", "amount")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LOOKUP_CHUNK = 900

EXPORT_COLUMNS = (
    "number",
    "kind",
    "payer",
    "payer_external_id",
    "credential",
    "description",
    "amount",
    "currency",
    "issued_on",
    "due_on",
    "state",
    "paid_on",
    "payment_reference",
    "payment_note",
    "waived_on",
    "waive_reason",
)


def export_rows(
    organization: Organization, filters: invoices.InvoiceFilters | None = None
) -> Iterator[list[str]]:
    """The header, then one row per invoice the filters keep, each value as text; a value a
    spreadsheet would read as a formula is escaped. A payment system's file imports the columns
    `number`, `paid_on`, `amount`, `currency` and `payment_reference` of it back."""

    yield list(EXPORT_COLUMNS)
    for i in invoices.invoices_listed(organization, filters).iterator(chunk_size=500):
        payer = i.payer
        row = [
            i.number,
            i.kind,
            str(payer),
            payer.external_id,
            i.credential.number if i.credential else "",
            i.description,
            str(i.amount),
            i.currency,
            i.issued_on.isoformat(),
            i.due_on.isoformat(),
            i.state,
            i.paid_on.isoformat() if i.paid_on else "",
            i.payment_reference,
            i.payment_note,
            i.waived_on.isoformat() if i.waived_on else "",
            i.waive_reason,
        ]
        yield [escape_formula(value) for value in row]


# --- payments -----------------------------------------------------------------------------------


@dataclass
class PaymentReport:
    """What an import of payments did or, in a dry run, would do. With any error, nothing was
    written and the counts are zero."""

    dry_run: bool
    rows: int = 0
    paid: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line: what was done, or why nothing was."""
        if self.errors:
            bad = len({e.line for e in self.errors if e.line is not None})
            n = len(self.errors)
            return (
                f"payments: {bad} bad line{'s' if bad != 1 else ''}, {n} "
                f"error{'s' if n != 1 else ''}; nothing was recorded"
            )
        counts = f"{self.paid} paid, {self.unchanged} already recorded"
        if self.dry_run:
            return f"dry run, nothing recorded: {self.rows} payments would be: {counts}"
        return f"payments: {self.rows} rows: {counts}"


@dataclass(frozen=True)
class _Payment:
    line: int
    number: str
    paid_on: dt.date
    amount: Any
    currency: str
    reference: str
    note: str


class _Changed(Exception):
    """An invoice changed between the check and the lock: the report's errors say which."""


def _rows(text: str, report: PaymentReport) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, cells) of each row under a checked header; problems go to the report."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    start = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if header is None:
                raise FileUnreadable(start, f"the header row cannot be read: {exc}") from None
            report.errors.append(RowError(start, None, f"malformed CSV: {exc}"))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        if header is None:
            header = [v.strip().lower() for v in values]
            if not _header_ok(header, line, report):
                return
            continue
        if len(values) != len(header):
            report.errors.append(
                RowError(line, None, f"{len(values)} values where the header has {len(header)}")
            )
            continue
        yield line, {n: unescape_formula(v.strip()) for n, v in zip(header, values, strict=True)}


def _header_ok(header: list[str], line: int, report: PaymentReport) -> bool:
    ok = True
    for position, name in enumerate(header, start=1):
        if name not in PAYMENT_COLUMNS:
            report.errors.append(
                RowError(
                    line,
                    name or str(position),
                    f"unknown column; the columns are: {', '.join(PAYMENT_COLUMNS)}",
                )
            )
            ok = False
        elif header.index(name) != position - 1:
            report.errors.append(RowError(line, name, "this column appears twice"))
            ok = False
    for name in PAYMENT_REQUIRED:
        if name not in header:
            report.errors.append(RowError(line, name, "payments need this column; it is missing"))
            ok = False
    return ok


def _payment(line: int, cells: dict[str, str], errors: list[RowError]) -> _Payment | None:
    """One row read and checked on its own; None when something in it is wrong."""
    before = len(errors)

    def error(column: str, reason: str) -> None:
        errors.append(RowError(line, column, reason))

    number = cells.get("number", "")
    if not number:
        error("number", "a value is required")
    paid_on = None
    value = cells.get("paid_on", "")
    if _ISO_DATE.fullmatch(value):
        with contextlib.suppress(ValueError):
            paid_on = dt.date.fromisoformat(value)
    if paid_on is None:
        error("paid_on", f"{value!r} is not a date; write it as YYYY-MM-DD")
    amount, problem = invoices.amount_read(cells.get("amount", ""))
    if problem:
        error("amount", problem)
    currency = cells.get("currency", "").upper()
    if currency and invoices.currency_problem(currency):
        error("currency", invoices.currency_problem(currency))
    reference = cells.get("payment_reference", "")
    if len(reference) > invoices.REFERENCE_MAX:
        error("payment_reference", f"{len(reference)} characters; at most 100")
    note = cells.get("payment_note", "")
    if len(note) > invoices.NOTE_MAX:
        error("payment_note", f"{len(note)} characters; at most {invoices.NOTE_MAX}")
    if len(errors) > before:
        return None
    return _Payment(line, number, paid_on, amount, currency, reference, note)


def _against(payment: _Payment, invoice: Invoice | None, organization: Organization) -> list[str]:
    """Why the payment does not settle the invoice its row names."""
    if invoice is None:
        return [f"no invoice {payment.number} in {organization.short_name}'s register"]
    problems = []
    if payment.amount != invoice.amount:
        problems.append(
            f"the invoice is for {invoice.amount} {invoice.currency}, not {payment.amount}"
        )
    if payment.currency and payment.currency != invoice.currency:
        problems.append(f"the invoice is in {invoice.currency}, not {payment.currency}")
    problems += invoices.payment_problems(
        invoice, paid_on=payment.paid_on, reference=payment.reference, note=payment.note
    )
    return problems


def _invoices(organization: Organization, numbers: list[str], *, lock: bool) -> dict[str, Invoice]:
    found: dict[str, Invoice] = {}
    rows = Invoice.objects.filter(organization=organization).select_related("sanction")
    if lock:
        rows = rows.select_for_update(of=("self",))
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        found.update({i.number: i for i in rows.filter(number__in=chunk).order_by("pk")})
    return found


def _checked(
    organization: Organization, payments: list[_Payment], report: PaymentReport, *, lock: bool
) -> dict[str, Invoice]:
    """The invoices the payments name, each payment checked against its invoice (errors to the
    report)."""
    found = _invoices(organization, [p.number for p in payments], lock=lock)
    for payment in payments:
        for problem in _against(payment, found.get(payment.number), organization):
            report.errors.append(RowError(payment.line, "number", problem))
    return found


def payments_import(
    *,
    organization: Organization,
    data: bytes,
    dry_run: bool = False,
    acting_user: Any = None,
    actor_label: str = "",
) -> PaymentReport:
    """Record the payments a payment system's CSV file lists, all of them or none (see the
    module's docstring). Never raises for what is in the file: the report says what is wrong."""
    report = PaymentReport(dry_run=dry_run)
    try:
        text = decode(data)
        payments: list[_Payment] = []
        seen: dict[str, int] = {}
        for line, cells in _rows(text, report):
            payment = _payment(line, cells, report.errors)
            if payment is None:
                continue
            if payment.number in seen:
                report.errors.append(
                    RowError(
                        line,
                        "number",
                        f"invoice {payment.number} is on line {seen[payment.number]} too",
                    )
                )
                continue
            seen[payment.number] = line
            payments.append(payment)
    except FileUnreadable as exc:
        report.errors.append(RowError(exc.line, None, exc.reason))
        return report
    if not payments and not report.errors:
        report.errors.append(RowError(1, None, "the file lists no payment"))
    if report.errors:
        report.errors.sort(key=lambda e: e.line or 0)
        return report
    _checked(organization, payments, report, lock=False)
    if report.errors:
        return report
    report.rows = len(payments)
    if dry_run:
        found = _invoices(organization, [p.number for p in payments], lock=False)
        _count(report, payments, found)
        return report
    try:
        _record(organization, payments, report, data, acting_user, actor_label)
    except _Changed:
        report.rows = report.paid = report.unchanged = 0
    return report


def _count(report: PaymentReport, payments: list[_Payment], found: dict[str, Invoice]) -> None:
    for p in payments:
        if invoices.is_recorded(found[p.number], paid_on=p.paid_on, reference=p.reference):
            report.unchanged += 1
        else:
            report.paid += 1


@transaction.atomic
def _record(
    organization: Organization,
    payments: list[_Payment],
    report: PaymentReport,
    data: bytes,
    acting_user: Any,
    actor_label: str,
) -> None:
    found = _checked(organization, payments, report, lock=True)
    if report.errors:  # changed since the check: nothing is written
        transaction.set_rollback(True)
        raise _Changed
    _count(report, payments, found)
    recorded = []
    for p in payments:
        invoice = found[p.number]
        if invoices.is_recorded(invoice, paid_on=p.paid_on, reference=p.reference):
            continue
        invoices.mark_paid(
            invoice, paid_on=p.paid_on, reference=p.reference, note=p.note, acting_user=acting_user
        )
        recorded.append({"number": p.number, "paid_on": p.paid_on, "reference": p.reference})
    if recorded:
        audit.record(
            action="register.invoice_payments_imported",
            subject_type="organization",
            subject_id=organization.pk,
            data={
                "sha256": hashlib.sha256(data).hexdigest(),
                "rows": len(payments),
                "paid": recorded,
            },
            organization=organization,
            actor=acting_user if getattr(acting_user, "pk", None) else None,
            actor_label=actor_label,
        )
