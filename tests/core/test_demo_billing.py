"""The demo's invoices and disclosures (ombuds/demo/billing_data.py): every state of an invoice, a
fine that is one, a renewal held by its unpaid fee, and the demo holder's reviewed disclosures,
which they see on their own page."""

import pytest

from ombuds.demo import billing_data
from ombuds.members.models import Disclosure
from ombuds.register.models import Invoice, Organization
from ombuds.register.recertification import RecertificationError, cycle_close, cycle_open

pytestmark = pytest.mark.django_db


def test_the_demo_has_invoices_in_every_state_and_reviewed_disclosures(demo, client):
    espcc = Organization.objects.get(slug="espcc")
    states = set(Invoice.objects.filter(organization=espcc).values_list("state", flat=True))
    assert states == {"outstanding", "paid", "waived"}
    kinds = set(Invoice.objects.values_list("kind", flat=True))
    assert kinds == {"application", "exam", "certification", "renewal", "fine"}
    assert Invoice.objects.filter(kind="fine", sanction__isnull=False).exists()
    assert Invoice.objects.filter(payment_reference__startswith="PSP-", state="paid").exists()
    assert Invoice.objects.filter(organization__slug="csec", agency__isnull=False).exists()
    reviews = set(Disclosure.objects.filter(organization=espcc).values_list("review", flat=True))
    assert reviews == {"pending", "acknowledged", "conditions"}
    assert "ESPCC invoices: 3 outstanding, 2 paid, 1 waived" in demo.output
    holder = Disclosure.objects.filter(organization=espcc).first().user
    client.force_login(holder)
    assert "Conditions set on" in client.get("/me/espcc/disclosures/").content.decode()
    assert "CESP renewal" in client.get("/me/").content.decode()
    # Running it again changes nothing.
    before = (Invoice.objects.count(), Disclosure.objects.count())
    billing_data.load_espcc(espcc)
    billing_data.load_disclosures(espcc)
    assert (Invoice.objects.count(), Disclosure.objects.count()) == before


def test_the_demos_overdue_renewal_fee_holds_the_renewal(demo):
    unpaid = Invoice.objects.get(kind="renewal", state="outstanding", due_on__lt=billing_data.TODAY)
    cycle = unpaid.credential.cycles.filter(outcome="open").first() or cycle_open(
        credential=unpaid.credential
    )
    with pytest.raises(RecertificationError, match=f"invoice {unpaid.number}"):
        cycle_close(cycle=cycle, outcome="exempt", reason="On leave")
