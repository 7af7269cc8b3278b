"""The demo's invoices and reviewed disclosures: ESPCC's fees in every state (outstanding, overdue,
paid by hand and through a payment system's file, waived), a fine that is an invoice, the CESP
programme holding a renewal while its fee is unpaid; a CSEC agency's application fee; and the
demo holder's conflict-of-interest disclosures, one acknowledged, one under conditions, one not
reviewed yet. Everything goes through the services, as the body's staff and a payment system
would do it. Running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.demo.members_data import CSEC_AGENCY
from ombuds.members import disclosure_review, services
from ombuds.members.models import Disclosure
from ombuds.register import invoice_csv, invoices
from ombuds.register import services as register
from ombuds.register.models import Agency, Credential, CredentialProgram, Invoice, Person

TODAY = timezone.localdate()


def _ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def _admin():
    return get_user_model().objects.filter(username="admin").first()


def _issue(
    organization: Organization,
    payer: invoices.Payer,
    kind: str,
    amount: str,
    description: str,
    *,
    issued: int,
    due: int,
) -> Invoice:
    """The invoice with this description to this payer, issued ``issued`` days ago and due
    ``due`` days after it; the one made on an earlier run when there is one."""
    found = Invoice.objects.filter(
        organization=organization,
        person=payer.person,
        agency=payer.agency,
        description=description,
    ).first()
    if found is not None:
        return found
    return invoices.invoice_issue(
        organization=organization,
        payer=payer,
        fee=invoices.Fee(
            kind=kind,
            amount=Decimal(amount),
            currency="USD",
            due_on=_ago(issued) + dt.timedelta(days=due),
            description=description,
            issued_on=_ago(issued),
        ),
        acting_user=_admin(),
    )


def _settle(
    organization: Organization, invoice: Invoice, *, paid: int | None = None, waived: str = ""
) -> None:
    if invoice.state != Invoice.State.OUTSTANDING:
        return
    if waived:
        invoices.invoice_waive(
            organization=organization, invoice=invoice, reason=waived, acting_user=_admin()
        )
    elif paid is not None:
        invoices.invoice_pay(
            organization=organization,
            invoice=invoice,
            paid_on=_ago(paid),
            reference=f"BANK-{invoice.pk:05d}",
            note="Bank transfer",
            acting_user=_admin(),
        )


def _holders(espcc: Organization) -> list[Credential]:
    """The demo holder who signs in (members_data: the first active holder with an e-mail), then
    the next few active holders."""
    return list(
        Credential.objects.select_related("holder", "program")
        .filter(program__organization=espcc, status="active")
        .exclude(holder__email="")
        .order_by("number")[:5]
    )


def load_espcc(espcc: Organization) -> str:
    holders = _holders(espcc)
    if len(holders) < 5:
        return "ESPCC invoices: not enough active holders in the register"
    CredentialProgram.objects.filter(organization=espcc, code="cesp").update(
        renewal_requires_paid_fee=True
    )
    you, second, third, fourth, fifth = holders
    year = TODAY.year

    def payer(c: Credential, *, credential: bool = False) -> invoices.Payer:
        return invoices.Payer(person=c.holder, credential=c if credential else None)

    certification = _issue(
        espcc,
        payer(you, credential=True),
        "certification",
        "250.00",
        f"CESP certification {year - 1}",
        issued=300,
        due=30,
    )
    _settle(espcc, certification, paid=290)
    _issue(
        espcc,
        payer(you, credential=True),
        "renewal",
        "120.00",
        f"CESP renewal {year + 1}",
        issued=5,
        due=30,
    )
    _issue(
        espcc,
        payer(second, credential=True),
        "renewal",
        "120.00",
        f"CESP renewal {year}",
        issued=50,
        due=30,
    )  # overdue: its renewal waits for it
    exam = _issue(
        espcc, payer(third), "exam", "180.00", "CESP exam sitting, spring", issued=40, due=30
    )
    application = _issue(
        espcc, payer(fourth), "application", "75.00", "CESP application", issued=60, due=30
    )
    _settle(espcc, application, waived="Fee waived: applicant on a hardship bursary.")
    _pay_by_file(espcc, exam)
    _fine(espcc, fifth)
    counts = {s: Invoice.objects.filter(organization=espcc, state=s).count() for s in Invoice.State}
    return "ESPCC invoices: " + ", ".join(f"{n} {s}" for s, n in counts.items())


def _pay_by_file(espcc: Organization, invoice: Invoice) -> None:
    """The exam fee paid through the payment system's file, as `ombuds register invoices import`
    reads it."""
    if invoice.state != Invoice.State.OUTSTANDING:
        return
    text = (
        "number,paid_on,amount,currency,payment_reference\n"
        f"{invoice.number},{_ago(10).isoformat()},{invoice.amount},USD,PSP-{invoice.pk:06d}\n"
    )
    invoice_csv.payments_import(organization=espcc, data=text.encode(), acting_user=_admin())


def _fine(espcc: Organization, credential: Credential) -> None:
    """A private fine on a holder's credential: an invoice too, outstanding."""
    if Invoice.objects.filter(organization=espcc, kind=Invoice.Kind.FINE).exists():
        return
    register.sanction_record(
        organization=espcc,
        record=credential,
        decision=register.SanctionDecision(
            kind="fine",
            decided_on=_ago(7),
            summary="Fined for late reporting of continuing-education hours.",
            amount=Decimal("200.00"),
            currency="USD",
            due_on=_ago(7) + dt.timedelta(days=45),
        ),
        publication=register.SanctionPublication("private"),
        acting_user=_admin(),
    )


def load_csec(csec: Organization) -> str:
    agency = Agency.objects.filter(organization=csec, external_id=CSEC_AGENCY).first()
    if agency is None:
        return "CSEC invoices: the demo agency is not in the register"
    made = _issue(
        csec,
        invoices.Payer(agency=agency),
        "application",
        "400.00",
        f"Member agency application, {agency.legal_name}",
        issued=12,
        due=30,
    )
    return f"CSEC invoices: {made.number} ({made.get_state_display().lower()}) for {agency}"


# --- disclosures --------------------------------------------------------------------------------

DISCLOSURES = (
    ("employment", "Northside Staffing Co", "I am paid to place their job seekers.", "conditions"),
    ("family", "Jordan Reyes", "My cousin, whom another support worker serves.", "acknowledged"),
    ("financial", "Bright Path Training Ltd", "I hold shares in this training provider.", ""),
)


def load_disclosures(espcc: Organization) -> str:
    """The demo holder's disclosures to ESPCC, reviewed by the administrator."""
    holder = _holders(espcc)[:1]
    person: Person | None = holder[0].holder if holder else None
    if person is None or person.user_id is None:
        return "ESPCC disclosures: the demo holder has no account"
    admin = _admin()
    for relationship, party, nature, outcome in DISCLOSURES:
        found = Disclosure.objects.filter(
            user_id=person.user_id, organization=espcc, party_name=party
        ).first()
        if found is None:
            found = services.disclosure_save(
                user=person.user,
                organization=espcc,
                relationship=relationship,
                party_name=party,
                nature=nature,
                started_on=_ago(400),
            )
        if outcome and found.review == Disclosure.Review.PENDING and admin is not None:
            disclosure_review.disclosure_review(
                organization=espcc,
                disclosure=found,
                review=disclosure_review.Review(
                    outcome=outcome,
                    note="Thank you for disclosing it; keep it current.",
                    conditions="Do not take job seekers Northside refers to you without telling "
                    "them of the relationship first."
                    if outcome == "conditions"
                    else "",
                ),
                acting_user=admin,
            )
    reviewed = Disclosure.objects.filter(organization=espcc).exclude(review="pending").count()
    return f"ESPCC disclosures: {reviewed} of the demo holder's reviewed, one waiting"
