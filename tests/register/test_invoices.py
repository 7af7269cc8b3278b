"""Invoices as records (`ombuds.register.invoices`): issued, paid or waived through one service
each (locked, stale changes refused, audited), a fine an invoice too whichever door records its
payment, and a renewal held while its fee is outstanding when the programme says so."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from ombuds.audit.models import Event
from ombuds.audit.services import verify
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.register import invoices, services
from ombuds.register.models import Invoice, Membership, MembershipType, Sanction
from ombuds.register.recertification import RecertificationError, cycle_close, cycle_open
from tests.register.invoice_world import agency, cgp, credential, days, holder, holder_user, issue

pytestmark = pytest.mark.django_db
__all__ = ["agency", "cgp", "credential", "holder", "holder_user"]


# --- issuing ------------------------------------------------------------------------------------


def test_an_invoice_is_numbered_by_the_body_and_audited(body, holder, credential, personas):
    first = issue(body, person=holder, credential=credential, user=personas["body_staff"])
    second = issue(body, kind="exam", person=holder)
    year = days(0).year
    assert first.number == f"GOE-INV-{year}-00001" and second.number == f"GOE-INV-{year}-00002"
    assert first.state == "outstanding" and first.amount == Decimal("150.00")
    event = Event.objects.filter(action="register.invoice_issued").first()
    assert event.data["number"] == first.number and event.actor == personas["body_staff"]
    own = issue(body, kind="application", person=holder, number="FIN-7")
    assert own.number == "FIN-7"


def test_issuing_refuses_with_every_problem_and_writes_nothing(body, other_body, holder):
    stranger = holder.__class__.objects.create(
        organization=other_body, given_name="Out", family_name="Sider"
    )
    with pytest.raises(invoices.InvoiceRefused) as refused:
        invoices.invoice_issue(
            organization=body,
            payer=invoices.Payer(person=stranger),
            fee=invoices.Fee(
                kind="fine", amount=Decimal("0.001"), currency="dollars", due_on=days(-1)
            ),
        )
    assert refused.value.problems == [
        "the kind is one of application, exam, certification, renewal (a fine's invoice comes "
        "with its sanction)",
        "the payer is in another body's register",
        "write the amount in units and cents, under 10,000,000,000",
        "give the currency as a three-letter code (USD, EUR)",
        f"it cannot be due before it is issued ({days(0)})",
    ]
    assert (
        not Invoice.objects.exists()
        and not Event.objects.filter(action__startswith="register.invoice").exists()
    )


def test_a_renewal_fee_is_for_a_credential_of_the_payer(body, holder, credential, agency):
    with pytest.raises(invoices.InvoiceRefused, match="a renewal fee is for a credential"):
        issue(body, person=holder)
    with pytest.raises(invoices.InvoiceRefused, match="one payer"):
        issue(body, kind="exam", person=holder, agency=agency)
    payer, problems = invoices.payer_find(body, credential=" cgp-1 ")
    assert problems == [] and payer.person == holder and payer.credential == credential
    payer, problems = invoices.payer_find(body, person="nobody", agency="A-1")
    assert problems == ["no one in GOE's register is 'nobody'"]
    assert invoices.payer_find(body)[1] == ["say who pays: a person, an agency or a credential"]


def test_the_database_keeps_an_invoices_state_and_dates_together(body, holder):
    invoice = issue(body, kind="exam", person=holder)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(state="paid")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(state="waived", waived_on=days(0))


# --- paid and waived ----------------------------------------------------------------------------


def test_recording_a_payment_and_the_same_payment_again(body, holder, personas):
    invoice = issue(body, kind="exam", person=holder)
    paid = invoices.invoice_pay(
        organization=body,
        invoice=invoice,
        paid_on=days(0),
        reference="TX-1",
        acting_user=personas["body_admin"],
        expected_version=version_of(invoice),
    )
    assert (
        paid.state == "paid"
        and paid.paid_on == days(0)
        and paid.settled_by == personas["body_admin"]
    )
    again = invoices.invoice_pay(
        organization=body, invoice=invoice, paid_on=days(0), reference="TX-1"
    )
    assert again.updated_at == paid.updated_at
    assert Event.objects.filter(action="register.invoice_paid").count() == 1
    with pytest.raises(invoices.InvoiceRefused, match="already paid"):
        invoices.invoice_pay(organization=body, invoice=invoice, paid_on=days(0), reference="TX-2")
    assert verify().ok


def test_a_payment_refused_names_every_problem(body, holder):
    invoice = issue(body, kind="exam", person=holder)
    with pytest.raises(invoices.InvoiceRefused) as refused:
        invoices.invoice_pay(
            organization=body, invoice=invoice, paid_on=days(1), reference="x" * 101
        )
    assert refused.value.problems == [
        "the payment date is in the future",
        "the payment's reference is at most 100 characters",
    ]
    invoice.refresh_from_db()
    assert invoice.state == "outstanding"


def test_a_stale_change_is_refused(body, holder):
    invoice = issue(body, kind="exam", person=holder)
    read = version_of(invoice)
    invoices.invoice_waive(organization=body, invoice=invoice, reason="Hardship")
    with pytest.raises(ChangedMeanwhile):
        invoices.invoice_pay(
            organization=body, invoice=invoice, paid_on=days(0), expected_version=read
        )
    with pytest.raises(invoices.InvoiceRefused, match="was waived"):
        invoices.invoice_pay(organization=body, invoice=invoice, paid_on=days(0))


def test_waiving_needs_a_reason_and_an_outstanding_invoice(body, holder, other_body):
    invoice = issue(body, kind="exam", person=holder)
    with pytest.raises(invoices.InvoiceRefused, match="say why"):
        invoices.invoice_waive(organization=body, invoice=invoice, reason=" ")
    with pytest.raises(invoices.InvoiceRefused, match="no such invoice in OC's register"):
        invoices.invoice_waive(organization=other_body, invoice=invoice, reason="x")
    waived = invoices.invoice_waive(organization=body, invoice=invoice, reason="Hardship")
    assert waived.state == "waived" and waived.waive_reason == "Hardship"
    assert Event.objects.get(action="register.invoice_waived").data["reason"] == "Hardship"


# --- fines --------------------------------------------------------------------------------------


def _fine(body, credential, **fields) -> Sanction:
    return services.sanction_record(
        organization=body,
        record=credential,
        decision=services.SanctionDecision(
            kind="fine",
            decided_on=days(0),
            summary="Fined for late reporting.",
            amount=Decimal("250.00"),
            currency="usd",
            **fields,
        ),
        publication=services.SanctionPublication("private"),
    )


def test_a_fine_is_an_invoice_and_its_old_door_marks_it_paid(body, credential, holder):
    fine = _fine(body, credential, due_on=days(45))
    invoice = fine.invoice
    assert invoice.kind == "fine" and invoice.person == holder and invoice.due_on == days(45)
    assert invoice.amount == Decimal("250.00") and invoice.currency == "USD"
    assert Event.objects.get(action="register.sanction_recorded").data["invoice"] == invoice.number
    services.sanction_fine_paid(organization=body, sanction=fine, paid_on=days(0), note="Cheque 9")
    invoice.refresh_from_db()
    assert invoice.state == "paid" and invoice.paid_on == days(0)
    assert invoice.payment_note == "Cheque 9"


def test_paying_a_fines_invoice_marks_the_fine_paid(body, credential):
    fine = _fine(body, credential)
    assert fine.invoice.due_on == days(invoices.FINE_DAYS)
    invoices.invoice_pay(organization=body, invoice=fine.invoice, paid_on=days(0), reference="T-1")
    fine.refresh_from_db()
    assert fine.paid_on == days(0) and fine.payment_note == "T-1"
    with pytest.raises(services.TransitionRefused, match="already recorded as paid"):
        services.sanction_fine_paid(organization=body, sanction=fine, paid_on=days(0))


def test_a_waived_fine_is_not_paid_through_its_sanction(body, credential):
    fine = _fine(body, credential)
    invoices.invoice_waive(organization=body, invoice=fine.invoice, reason="Reduced on review")
    with pytest.raises(services.TransitionRefused, match="was waived"):
        services.sanction_fine_paid(organization=body, sanction=fine, paid_on=days(0))
    fine.refresh_from_db()
    assert fine.paid_on is None


def test_a_fine_lifted_on_appeal_waives_its_invoice(body, credential):
    fine = _fine(body, credential)
    services.sanction_lift(sanction=fine, reason="Appeal allowed")
    invoice = Invoice.objects.get(sanction=fine)
    assert (
        invoice.state == "waived" and invoice.waive_reason == "The fine was lifted: Appeal allowed"
    )


def test_a_fine_on_an_agencys_membership_is_the_agencys_invoice(body, agency):
    kind = MembershipType.objects.create(organization=body, code="m", name="M", kind="organization")
    membership = Membership.objects.create(
        organization=body, membership_type=kind, agency=agency, number="AG-1", status="active"
    )
    fine = _fine(body, membership)
    assert fine.invoice.agency == agency and fine.invoice.person is None


def test_the_migration_makes_invoices_of_the_fines_already_imposed(body, credential):
    paid = _fine(body, credential)
    lifted = _fine(body, credential)
    open_fine = _fine(body, credential)
    Invoice.objects.all().delete()
    Sanction.objects.filter(pk=paid.pk).update(paid_on=days(0), payment_note="Cash")
    Sanction.objects.filter(pk=lifted.pk).update(
        state="lifted", lift_reason="Appeal", lifted_on=days(0)
    )
    migration = importlib.import_module("ombuds.register.migrations.0016_invoices")
    migration.fines_as_invoices(apps, None)
    states = {i.sanction_id: i.state for i in Invoice.objects.all()}
    assert states == {paid.pk: "paid", lifted.pk: "waived", open_fine.pk: "outstanding"}
    assert len({i.number for i in Invoice.objects.all()}) == 3


# --- renewals -----------------------------------------------------------------------------------


def _cycle(credential):
    cycle = cycle_open(credential=credential, starts_on=dt.date(2024, 1, 1))
    return cycle


@pytest.mark.parametrize("outcome", ["compliant", "exempt"])
def test_an_unpaid_renewal_fee_holds_the_renewal_when_the_programme_says_so(
    body, cgp, credential, holder, outcome
):
    cycle = _cycle(credential)
    fee = issue(body, person=holder, credential=credential)
    cgp.renewal_requires_paid_fee = True
    cgp.save()
    with pytest.raises(RecertificationError) as held:
        cycle_close(cycle=cycle, outcome=outcome, reason="Met")
    assert f"invoice {fee.number} (150.00 USD, due {fee.due_on}) is outstanding" in str(held.value)
    cycle.refresh_from_db()
    assert cycle.outcome == "open"
    invoices.invoice_pay(organization=body, invoice=fee, paid_on=days(0))
    assert cycle_close(cycle=cycle, outcome=outcome, reason="Met").outcome == outcome


def test_a_renewal_is_not_held_when_the_programme_does_not_say_so(body, credential, holder):
    cycle = _cycle(credential)
    issue(body, person=holder, credential=credential)
    assert cycle_close(cycle=cycle, outcome="exempt", reason="Leave").outcome == "exempt"


def test_a_non_compliant_close_is_never_held(body, cgp, credential, holder):
    cgp.renewal_requires_paid_fee = True
    cgp.save()
    cycle = _cycle(credential)
    issue(body, person=holder, credential=credential)
    closed = cycle_close(cycle=cycle, outcome="non_compliant", reason="Too few units")
    assert closed.outcome == "non_compliant"
