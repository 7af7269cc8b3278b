"""A fine imposed in a case is an invoice of the register too: the case page names it, shows it
waived, and offers no payment once it is."""

from __future__ import annotations

import pytest

from ombuds.register import invoices
from ombuds.register.models import Invoice
from tests.cases.test_fine_paid import _url, fine

pytestmark = pytest.mark.django_db
__all__ = ["fine"]


def test_the_case_page_names_the_invoice_and_shows_it_waived(client, csec, fine):
    invoice = Invoice.objects.get(sanction=fine)
    assert invoice.amount == fine.amount and invoice.state == "outstanding"
    client.force_login(csec.staff)
    case_url = f"/staff/csec/cases/{fine.case_choice.case.reference}/"
    html = client.get(case_url).content.decode()
    assert f"invoice {invoice.number}" in html and 'action="' + _url(fine) + '"' in html
    invoices.invoice_waive(organization=csec.org, invoice=invoice, reason="Reduced on review")
    html = client.get(case_url).content.decode()
    assert "waived on" in html and "Reduced on review" in html
    assert 'action="' + _url(fine) + '"' not in html
    refused = client.post(_url(fine), {"paid_on": invoice.issued_on.isoformat()})
    assert refused.status_code == 400 and "was waived" in refused.content.decode()
