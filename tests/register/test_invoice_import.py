"""Payments imported from a payment system's CSV file (`invoice_csv.payments_import`): every row
checked before any is written, every bad row reported, nothing recorded with one bad row, and the
same file imported twice changing nothing."""

from __future__ import annotations

import pytest

from ombuds.audit.models import Event
from ombuds.register import invoice_csv
from ombuds.register.models import Invoice
from tests.register.invoice_world import agency, cgp, credential, days, holder, holder_user, issue

pytestmark = pytest.mark.django_db
__all__ = ["agency", "cgp", "credential", "holder", "holder_user"]


@pytest.fixture
def three(body, holder, credential, agency):
    return [
        issue(body, person=holder, credential=credential),
        issue(body, kind="exam", amount="80", person=holder),
        issue(body, kind="application", amount="25.50", agency=agency),
    ]


def run(body, text: str, **kwargs):
    return invoice_csv.payments_import(organization=body, data=text.encode(), **kwargs)


def states() -> list[str]:
    return list(Invoice.objects.order_by("pk").values_list("state", flat=True))


def test_a_good_file_records_every_payment_once(body, three, personas):
    a, b, _c = three
    text = (
        "number,paid_on,amount,currency,payment_reference\n"
        f"{a.number},{days(0)},150.00,USD,PSP-1\n"
        f"{b.number},{days(0)},80,usd,PSP-2\n"
    )
    report = run(body, text, acting_user=personas["body_staff"])
    assert report.ok and (report.rows, report.paid, report.unchanged) == (2, 2, 0)
    assert states() == ["paid", "paid", "outstanding"]
    event = Event.objects.get(action="register.invoice_payments_imported")
    assert [p["number"] for p in event.data["paid"]] == [a.number, b.number]
    assert event.actor == personas["body_staff"]
    again = run(body, text)
    assert again.ok and (again.paid, again.unchanged) == (0, 2)
    assert Event.objects.filter(action="register.invoice_payments_imported").count() == 1
    assert again.summary() == "payments: 2 rows: 0 paid, 2 already recorded"


def test_one_bad_row_records_nothing_and_every_bad_row_is_reported(body, three):
    a, b, c = three
    text = (
        "number,paid_on,amount,payment_reference\n"
        f"{a.number},{days(0)},150.00,PSP-1\n"  # good
        f"{b.number},{days(0)},79.99,PSP-2\n"  # not the invoice's amount
        "NOPE-1,2026-13-01,12,PSP-3\n"  # no such invoice, not a date
        f"{c.number},{days(3)},25.5,PSP-4\n"  # in the future
        f"{a.number},{days(0)},150.00,PSP-5\n"  # twice in the file
        f"{c.number},{days(0)},-1\n"  # too few values
    )
    report = run(body, text)
    assert not report.ok and report.paid == report.rows == 0
    assert [str(e) for e in report.errors] == [
        "line 4, column paid_on: '2026-13-01' is not a date; write it as YYYY-MM-DD",
        f"line 6, column number: invoice {a.number} is on line 2 too",
        "line 7: 3 values where the header has 4",
    ]
    assert states() == ["outstanding"] * 3
    # Once the file reads well, each row is checked against its invoice.
    text = (
        "number,paid_on,amount,payment_reference\n"
        f"{a.number},{days(0)},150.00,PSP-1\n"
        f"{b.number},{days(0)},79.99,PSP-2\n"
        "NOPE-1,2026-01-01,12,PSP-3\n"
        f"{c.number},{days(3)},25.5,PSP-4\n"
    )
    report = run(body, text)
    assert [str(e) for e in report.errors] == [
        "line 3, column number: the invoice is for 80.00 USD, not 79.99",
        "line 4, column number: no invoice NOPE-1 in GOE's register",
        "line 5, column number: the payment date is in the future",
    ]
    assert report.summary() == "payments: 3 bad lines, 3 errors; nothing was recorded"
    assert states() == ["outstanding"] * 3
    assert not Event.objects.filter(action="register.invoice_payments_imported").exists()


def test_a_dry_run_checks_and_records_nothing(body, three):
    a = three[0]
    report = run(body, f"number,paid_on,amount\n{a.number},{days(0)},150\n", dry_run=True)
    assert report.ok and report.paid == 1
    assert (
        report.summary()
        == "dry run, nothing recorded: 1 payments would be: 1 paid, 0 already recorded"
    )
    assert states() == ["outstanding"] * 3


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "line 1: the file is empty"),
        (b"\xff\xfenumber", "line 1: the file is UTF-16; save it as CSV UTF-8"),
        (b"number,paid_on\nX,2026-01-01\n", "line 1, column amount: payments need this column"),
        (b"number,paid_on,amount,colour\n", "line 1, column colour: unknown column"),
        (b"number,paid_on,amount\n", "line 1: the file lists no payment"),
    ],
    ids=["empty", "utf16", "missing-column", "unknown-column", "no-rows"],
)
def test_a_file_that_cannot_be_read_is_refused_whole(body, three, data, reason):
    report = invoice_csv.payments_import(organization=body, data=data)
    assert not report.ok and str(report.errors[0]).startswith(reason)
    assert states() == ["outstanding"] * 3


def test_another_bodys_invoice_is_not_found(body, other_body, three):
    a = three[0]
    report = invoice_csv.payments_import(
        organization=other_body, data=f"number,paid_on,amount\n{a.number},{days(0)},150\n".encode()
    )
    assert [e.reason for e in report.errors] == [f"no invoice {a.number} in OC's register"]


def test_a_waived_invoice_or_a_different_payment_of_a_paid_one_is_refused(body, three):
    from ombuds.register import invoices

    a, b, _c = three
    invoices.invoice_pay(organization=body, invoice=a, paid_on=days(0), reference="PSP-1")
    invoices.invoice_waive(organization=body, invoice=b, reason="Hardship")
    report = run(
        body,
        "number,paid_on,amount,payment_reference\n"
        f"{a.number},{days(0)},150,PSP-9\n"
        f"{b.number},{days(0)},80,PSP-2\n",
    )
    assert [e.reason for e in report.errors] == [
        f"invoice {a.number} is already paid (on {days(0)})",
        f"invoice {b.number} was waived on {days(0)}: there is nothing to pay",
    ]


def test_the_export_reads_back_as_a_payment_file(body, three):
    a = three[0]
    rows = list(invoice_csv.export_rows(body))
    assert rows[0][:3] == ["number", "kind", "payer"] and len(rows) == 4
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[a.number][2] == "Hana Holder" and by_number[a.number][6] == "150.00"
