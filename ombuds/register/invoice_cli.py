"""`ombuds register invoices list|issue|paid|waive|import FILE`: the body's invoices on the command
line, over the same services as the staff pages (`ombuds.register.invoices`, `invoice_csv`).
Who acts is named with `--as`: one of the body's administrators or staff. A refusal exits non-zero
with one line saying why."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, OutputWrapper

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.register import invoice_csv, invoices
from ombuds.register.models import Invoice


def add_parser(sub: Any) -> None:
    """The `invoices` action of `ombuds register`, with its own actions."""
    parser = sub.add_parser("invoices", help="fees and fines: list, issue, paid, waive, import")
    actions = parser.add_subparsers(dest="invoices_action", required=True, metavar="ACTION")

    p = actions.add_parser("list", help="list (or export as CSV) the body's invoices")
    _common(p)
    p.add_argument("--state", default="", choices=["", *Invoice.State.values, "overdue"])
    p.add_argument("--kind", default="", choices=["", *Invoice.Kind.values])
    p.add_argument("--payer", default="", help="words of the payer's name, an id or a number")
    p.add_argument("--from", dest="issued_from", help="issued on or after, YYYY-MM-DD")
    p.add_argument("--until", dest="issued_until", help="issued on or before, YYYY-MM-DD")
    p.add_argument("--csv", action="store_true", help="print CSV, as the staff page exports")

    p = actions.add_parser("issue", help="issue a fee's invoice")
    _common(p)
    p.add_argument("--kind", required=True, choices=[k.value for k in invoices.FEE_KINDS])
    p.add_argument("--amount", required=True, help="e.g. 150.00")
    p.add_argument("--currency", required=True, help="three letters, e.g. USD")
    p.add_argument("--due", required=True, help="the due date, YYYY-MM-DD")
    p.add_argument("--person", default="", help="who pays: their identifier or e-mail address")
    p.add_argument("--agency", default="", help="or the agency that pays: its identifier")
    p.add_argument("--credential", default="", help="the credential it is for (its holder pays)")
    p.add_argument("--description", default="", help="what the payer reads")
    p.add_argument("--number", default="", help="your own invoice number, if it has one")

    p = actions.add_parser("paid", help="record an invoice as paid")
    _common(p)
    p.add_argument("number", metavar="NUMBER", help="the invoice's number")
    p.add_argument("--on", required=True, dest="paid_on", help="the day it was paid, YYYY-MM-DD")
    p.add_argument("--reference", default="", help="the transfer's or payment system's reference")
    p.add_argument("--note", default="")
    p.add_argument("--expected-version", default=None, help="refused if it changed since")

    p = actions.add_parser("waive", help="waive an invoice, with the reason")
    _common(p)
    p.add_argument("number", metavar="NUMBER", help="the invoice's number")
    p.add_argument("--reason", required=True, help="why it is waived (the payer reads it)")
    p.add_argument("--expected-version", default=None, help="refused if it changed since")

    p = actions.add_parser("import", help="record the payments a payment system's CSV lists")
    _common(p)
    p.add_argument("path", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="check every row; record nothing")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", required=True, help="the body's slug")
    parser.add_argument(
        "--as", dest="username", required=True, help="who acts: the body's administrator or staff"
    )


def _organization(slug: str) -> Organization:
    found = Organization.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no body with slug {slug!r}")
    return found


def _staff(username: str, organization: Organization) -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no user {username!r}")
    if not is_body_staff(user, organization):
        raise CommandError(
            f"{username!r} is not an administrator or staff of {organization.short_name}"
        )
    return user


def _date(value: str | None, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{what} {value!r}: give a date as YYYY-MM-DD") from None


def _refused(problems: list[str]) -> CommandError:
    return CommandError(" ".join("; ".join(problems).split()))


def _invoice(organization: Organization, number: str) -> Invoice:
    found = invoices.invoice_get(organization, number)
    if found is None:
        raise CommandError(f"no invoice {number} in {organization.short_name}'s register")
    return found


def handle(out: OutputWrapper, err: OutputWrapper, *, invoices_action: str, **options: Any) -> None:
    organization = _organization(options.pop("org"))
    user = _staff(options.pop("username"), organization)
    try:
        HANDLERS[invoices_action](out, err, organization, user, **options)
    except invoices.InvoiceRefused as exc:
        raise _refused(exc.problems) from exc
    except ChangedMeanwhile as exc:
        raise CommandError(str(exc)) from exc


def _list(out, err, organization, user, **options: Any) -> None:
    filters = invoices.InvoiceFilters(
        state=options["state"],
        kind=options["kind"],
        payer=options["payer"],
        issued_from=_date(options["issued_from"], "--from"),
        issued_until=_date(options["issued_until"], "--until"),
    )
    if filters.problems():
        raise _refused(filters.problems())
    if options["csv"]:
        writer = csv.writer(out, lineterminator="\n")
        for row in invoice_csv.export_rows(organization, filters):
            writer.writerow(row)
        return
    count = 0
    for i in invoices.invoices_listed(organization, filters).iterator(chunk_size=500):
        count += 1
        state = "overdue" if invoices.is_overdue(i) else i.state
        out.write(
            f"{i.number}\t{i.kind}\t{i.payer}\t{i.amount} {i.currency}\tdue {i.due_on}\t{state}\t"
            f"version {version_of(i)}"
        )
    err.write(f"{count} invoice{'s' if count != 1 else ''}")


def _issue(out, err, organization, user, **options: Any) -> None:
    payer, problems = invoices.payer_find(
        organization,
        person=options["person"],
        agency=options["agency"],
        credential=options["credential"],
    )
    amount, problem = invoices.amount_read(options["amount"])
    problems += [problem] if problem else []
    if problems:
        raise _refused(problems)
    made = invoices.invoice_issue(
        organization=organization,
        payer=payer,
        fee=invoices.Fee(
            kind=options["kind"],
            amount=amount or Decimal(0),
            currency=options["currency"],
            due_on=_date(options["due"], "--due"),
            description=options["description"],
            number=options["number"],
        ),
        acting_user=user,
    )
    out.write(
        f"Invoice {made.number} issued to {made.payer}: {made.amount} {made.currency}, due {made.due_on}."
    )


def _paid(out, err, organization, user, **options: Any) -> None:
    paid = invoices.invoice_pay(
        organization=organization,
        invoice=_invoice(organization, options["number"]),
        paid_on=_date(options["paid_on"], "--on"),
        reference=options["reference"],
        note=options["note"],
        acting_user=user,
        expected_version=options["expected_version"],
    )
    out.write(f"Invoice {paid.number} ({paid.amount} {paid.currency}) paid on {paid.paid_on}.")


def _waive(out, err, organization, user, **options: Any) -> None:
    waived = invoices.invoice_waive(
        organization=organization,
        invoice=_invoice(organization, options["number"]),
        reason=options["reason"],
        acting_user=user,
        expected_version=options["expected_version"],
    )
    out.write(f"Invoice {waived.number} waived on {waived.waived_on}.")


def _import(out, err, organization, user, **options: Any) -> None:
    path = Path(options["path"])
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc
    report = invoice_csv.payments_import(
        organization=organization, data=data, dry_run=options["dry_run"], acting_user=user
    )
    if not report.ok:
        for error in report.errors:
            err.write(str(error))
        raise CommandError(f"{path}: {report.summary()}")
    out.write(report.summary())


HANDLERS = {"list": _list, "issue": _issue, "paid": _paid, "waive": _waive, "import": _import}
