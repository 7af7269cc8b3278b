"""Invoices: what people in the register owe the body, and whether it was paid or waived.

Every change is one function here, each in one transaction with the invoice locked, a stale change
refused (`ChangedMeanwhile`, against the version the caller read) and its audit event:

- `invoice_issue`: an application, exam, certification or renewal fee (a fine's invoice is made with
  its sanction: `fine_invoice`, called by `sanction_record`);
- `invoice_pay`: recorded as paid, by staff or a payment system (the same payment recorded again,
  with the same reference and date, changes nothing); a fine's sanction is marked paid with it;
- `invoice_waive`: waived, with the reason.

A fine recorded as paid through its sanction (`sanction_fine_paid`: the case page, the register API,
`ombuds register fine-paid`) marks its invoice paid (`fine_paid`), and a fine lifted on appeal
waives it (`fine_lifted`). `renewal_fee_check` is what a renewal asks when its programme holds it
while the renewal fee is unpaid. Refusals raise `InvoiceRefused` with every problem; nothing is
written then. Payments imported from a payment system's CSV, and the export, are in `invoice_csv`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Agency,
    Credential,
    Invoice,
    InvoiceCounter,
    Person,
    RecertificationCycle,
    Sanction,
)

# A fine whose decision gave no due date is due this many days after it.
FINE_DAYS = 30
AMOUNT_MAX = Decimal("10000000000")
NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,29}")
NOTE_MAX = 2000
DESCRIPTION_MAX = 300
REFERENCE_MAX = 100
# Fees staff issue; a fine's invoice comes with its sanction.
FEE_KINDS = (
    Invoice.Kind.APPLICATION,
    Invoice.Kind.EXAM,
    Invoice.Kind.CERTIFICATION,
    Invoice.Kind.RENEWAL,
)


class InvoiceRefused(TransitionRefused):
    """A change to an invoice that cannot be made; ``problems`` lists every reason."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def _actor(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def amount_read(value: Any) -> tuple[Decimal | None, str]:
    """An amount as written (``"150"``, ``"150.00"``), and the problem with it, if any."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None, f"{value!r} is not an amount: write it as 150.00"
    if not amount.is_finite() or amount <= 0:
        return None, "the amount is more than nothing"
    if amount != amount.quantize(Decimal("0.01")) or amount >= AMOUNT_MAX:
        return None, "write the amount in units and cents, under 10,000,000,000"
    return amount.quantize(Decimal("0.01")), ""


def currency_problem(currency: str) -> str:
    if len(currency) == 3 and currency.isalpha() and currency.isascii():
        return ""
    return "give the currency as a three-letter code (USD, EUR)"


# --- numbers ------------------------------------------------------------------------------------


def number_prefix(organization: Organization) -> str:
    return f"{(organization.acronym or organization.slug).upper()[:12]}-INV"


def _next_number(organization: Organization, year: int) -> str:
    """The body's next invoice number for the year (ESPCC-INV-2026-00042); the counter row is
    locked until the transaction ends, so two issues never draw the same number."""
    InvoiceCounter.objects.get_or_create(organization=organization, year=year)
    counter = InvoiceCounter.objects.select_for_update().get(organization=organization, year=year)
    while True:
        counter.last += 1
        number = f"{number_prefix(organization)}-{year}-{counter.last:05d}"
        if not Invoice.objects.filter(organization=organization, number=number).exists():
            counter.save(update_fields=["last"])
            return number


# --- payers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payer:
    """Who owes an invoice: a person or an agency of the body, and the credential it is for."""

    person: Person | None = None
    agency: Agency | None = None
    credential: Credential | None = None


def payer_find(
    organization: Organization, *, person: str = "", agency: str = "", credential: str = ""
) -> tuple[Payer, list[str]]:
    """The payer named by references the doors take: a person's identifier (``ombuds:N`` or their
    e-mail address too), an agency's identifier, a credential number (its holder pays unless a
    person is named). The payer, and every problem finding it."""
    problems: list[str] = []
    found_person = found_agency = found_credential = None
    person, agency, credential = person.strip(), agency.strip(), credential.strip()
    if credential:
        found_credential = (
            Credential.objects.select_related("holder", "program")
            .filter(program__organization=organization, number="".join(credential.split()).upper())
            .first()
        )
        if found_credential is None:
            problems.append(f"no credential {credential} in {organization.short_name}'s register")
    if person:
        found_person = _by_reference(Person.objects.filter(organization=organization), person)
        if found_person is None:
            problems.append(f"no one in {organization.short_name}'s register is {person!r}")
    elif found_credential is not None and not agency:
        found_person = found_credential.holder
    if agency:
        found_agency = _by_reference(Agency.objects.filter(organization=organization), agency)
        if found_agency is None:
            problems.append(f"no agency in {organization.short_name}'s register is {agency!r}")
    if not (person or agency or credential):
        problems.append("say who pays: a person, an agency or a credential")
    return Payer(found_person, found_agency, found_credential), problems


def _by_reference(records: QuerySet, reference: str) -> Any:
    match = Q(external_id=reference)
    if reference.startswith("ombuds:") and reference[7:].isdigit():
        match |= Q(pk=int(reference[7:]))
    if "@" in reference:
        match |= Q(email__iexact=reference)
    found = list(records.filter(match)[:2])
    return found[0] if len(found) == 1 else None


# --- issuing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fee:
    """What an invoice asks for: its kind, amount, currency, due date and what it is for."""

    kind: str
    amount: Decimal | None
    currency: str
    due_on: dt.date | None
    description: str = ""
    issued_on: dt.date | None = None
    number: str = ""  # the body's own number, if it has one; else the next of Ombuds' own


def _fee_problems(organization: Organization, payer: Payer, fee: Fee) -> list[str]:
    problems = []
    if fee.kind not in FEE_KINDS:
        problems.append(
            f"the kind is one of {', '.join(FEE_KINDS)} (a fine's invoice comes with its sanction)"
        )
    if (payer.person is None) == (payer.agency is None):
        problems.append("an invoice has one payer: a person or an agency")
    for record in (payer.person, payer.agency):
        if record is not None and record.organization_id != organization.pk:
            problems.append("the payer is in another body's register")
    credential = payer.credential
    if credential is not None:
        if credential.program.organization_id != organization.pk:
            problems.append("the credential is in another body's register")
        elif payer.person is not None and credential.holder_id != payer.person.pk:
            problems.append(f"credential {credential.number} is not the payer's")
    if fee.kind == Invoice.Kind.RENEWAL and credential is None:
        problems.append("a renewal fee is for a credential: give its number")
    if fee.amount is None or fee.amount <= 0:
        problems.append("the amount is more than nothing")
    elif fee.amount != fee.amount.quantize(Decimal("0.01")) or fee.amount >= AMOUNT_MAX:
        problems.append("write the amount in units and cents, under 10,000,000,000")
    if currency_problem(fee.currency.strip()):
        problems.append(currency_problem(fee.currency.strip()))
    issued = fee.issued_on or timezone.localdate()
    if fee.due_on is None:
        problems.append("give the date it is due")
    elif fee.due_on < issued:
        problems.append(f"it cannot be due before it is issued ({issued})")
    if len(fee.description.strip()) > DESCRIPTION_MAX:
        problems.append(f"write what it is for in {DESCRIPTION_MAX} characters or fewer")
    number = fee.number.strip()
    if number and not NUMBER.fullmatch(number):
        problems.append(
            "an invoice number is up to 30 letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    elif number and Invoice.objects.filter(organization=organization, number=number).exists():
        problems.append(f"invoice number {number} is already used")
    return problems


def _audit(invoice: Invoice, action: str, data: dict[str, Any], user: Any, label: str) -> None:
    audit.record(
        action=action,
        subject_type="invoice",
        subject_id=invoice.pk,
        data={
            "number": invoice.number,
            "kind": invoice.kind,
            "amount": f"{invoice.amount} {invoice.currency}",
            **data,
        },
        organization=Organization(pk=invoice.organization_id),
        actor=_actor(user),
        actor_label=label,
    )


@transaction.atomic
def invoice_issue(
    *, organization: Organization, payer: Payer, fee: Fee, acting_user: Any = None
) -> Invoice:
    """Issue a fee's invoice to a person or agency of the body (for a credential of the payer's,
    when given), numbered by the body's next number unless it has its own. Outstanding until paid
    or waived. Raises InvoiceRefused listing every problem, writing nothing."""
    problems = _fee_problems(organization, payer, fee)
    if problems:
        raise InvoiceRefused(problems)
    issued = fee.issued_on or timezone.localdate()
    invoice = Invoice.objects.create(
        organization=organization,
        number=fee.number.strip() or _next_number(organization, issued.year),
        kind=fee.kind,
        person=payer.person,
        agency=payer.agency,
        credential=payer.credential,
        description=fee.description.strip(),
        amount=fee.amount.quantize(Decimal("0.01")),
        currency=fee.currency.strip().upper(),
        issued_on=issued,
        due_on=fee.due_on,
        created_by=_actor(acting_user),
    )
    _audit(
        invoice,
        "register.invoice_issued",
        {
            "payer": f"person:{payer.person.pk}" if payer.person else f"agency:{payer.agency.pk}",
            "credential": payer.credential.number if payer.credential else None,
            "due_on": invoice.due_on,
            "description": invoice.description,
        },
        acting_user,
        "",
    )
    return invoice


def fine_invoice(*, sanction: Sanction, acting_user: Any = None) -> Invoice | None:
    """The invoice of a fine just recorded (an amount and a currency), in the caller's transaction:
    owed by the credential's holder, or by the membership's person or agency; due when the decision
    says, else `FINE_DAYS` after it. None for a sanction that is not such a fine."""
    if sanction.kind != Sanction.Kind.FINE or not sanction.amount or not sanction.currency:
        return None
    if sanction.credential_id:
        record = sanction.credential
        person, agency = record.holder, None
    else:
        record = sanction.membership
        person, agency = record.person, record.agency
    decided = sanction.decided_on
    invoice = Invoice.objects.create(
        organization_id=sanction.organization_id,
        number=_next_number(sanction.organization, decided.year),
        kind=Invoice.Kind.FINE,
        person=person,
        agency=agency,
        credential=sanction.credential,
        sanction=sanction,
        description=f"Fine on {record.number}",
        amount=sanction.amount,
        currency=sanction.currency.upper(),
        issued_on=decided,
        due_on=max(sanction.due_on or decided + dt.timedelta(days=FINE_DAYS), decided),
        created_by=_actor(acting_user),
    )
    _audit(
        invoice,
        "register.invoice_issued",
        {"sanction": sanction.pk, "due_on": invoice.due_on},
        acting_user,
        "",
    )
    return invoice


# --- settling -----------------------------------------------------------------------------------


def _locked(organization: Organization, invoice: Invoice, expected_version: str | None) -> Invoice:
    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("sanction")
        .filter(pk=invoice.pk, organization=organization)
        .first()
    )
    if locked is None:
        raise InvoiceRefused(f"no such invoice in {organization.short_name}'s register")
    if expected_version is not None and version_of(locked) != expected_version:
        raise ChangedMeanwhile(
            f"invoice {locked.number} changed since you read it: read it again first"
        )
    return locked


def _state_problem(invoice: Invoice) -> str:
    if invoice.state == Invoice.State.PAID:
        return f"invoice {invoice.number} is already paid (on {invoice.paid_on})"
    if invoice.state == Invoice.State.WAIVED:
        return (
            f"invoice {invoice.number} was waived on {invoice.waived_on}: there is nothing to pay"
        )
    return ""


def _date_problems(invoice: Invoice, on: dt.date, what: str) -> list[str]:
    problems = []
    if on > timezone.localdate():
        problems.append(f"the {what} date is in the future")
    if on < invoice.issued_on:
        problems.append(f"the {what} date is before the invoice was issued ({invoice.issued_on})")
    return problems


def payment_problems(invoice: Invoice, *, paid_on: dt.date, reference: str, note: str) -> list[str]:
    """Why the payment cannot be recorded on the invoice as it is now (nothing when it can, or when
    it is the very payment recorded already: `is_recorded`)."""
    if is_recorded(invoice, paid_on=paid_on, reference=reference):
        return []
    problems = []
    state = _state_problem(invoice)
    if state:
        problems.append(state)
    problems += _date_problems(invoice, paid_on, "payment")
    if len(reference.strip()) > REFERENCE_MAX:
        problems.append(f"the payment's reference is at most {REFERENCE_MAX} characters")
    if len(note.strip()) > NOTE_MAX:
        problems.append(f"write the note in {NOTE_MAX} characters or fewer")
    if invoice.sanction_id and invoice.sanction.state == Sanction.State.LIFTED:
        problems.append("the fine was lifted: there is nothing to pay")
    return problems


def is_recorded(invoice: Invoice, *, paid_on: dt.date, reference: str) -> bool:
    """Whether this payment (its reference and day) is the one the invoice is already paid by."""
    return (
        invoice.state == Invoice.State.PAID
        and bool(reference.strip())
        and invoice.payment_reference == reference.strip()
        and invoice.paid_on == paid_on
    )


def mark_paid(
    invoice: Invoice, *, paid_on: dt.date, reference: str, note: str, acting_user: Any
) -> None:
    """Write the payment on a locked, outstanding invoice, and on its fine's sanction (no event:
    the caller writes it)."""
    invoice.state = Invoice.State.PAID
    invoice.paid_on = paid_on
    invoice.payment_reference = reference.strip()
    invoice.payment_note = note.strip()
    invoice.settled_by = _actor(acting_user)
    invoice.save()
    if invoice.sanction_id and invoice.sanction.paid_on is None:
        Sanction.objects.filter(pk=invoice.sanction_id).update(
            paid_on=paid_on, payment_note=note.strip() or reference.strip()
        )


@transaction.atomic
def invoice_pay(
    *,
    organization: Organization,
    invoice: Invoice,
    paid_on: dt.date,
    reference: str = "",
    note: str = "",
    acting_user: Any = None,
    actor_label: str = "",
    expected_version: str | None = None,
) -> Invoice:
    """Record that an outstanding invoice was paid on a day (not in the future, not before it was
    issued), with the payment's reference and a note; a fine's sanction is recorded as paid with
    it. The same payment recorded again (same reference and day) changes nothing. Raises
    InvoiceRefused (every problem) or ChangedMeanwhile, writing nothing."""
    locked = _locked(organization, invoice, expected_version)
    problems = payment_problems(locked, paid_on=paid_on, reference=reference, note=note)
    if problems:
        raise InvoiceRefused(problems)
    if is_recorded(locked, paid_on=paid_on, reference=reference):
        return locked
    mark_paid(locked, paid_on=paid_on, reference=reference, note=note, acting_user=acting_user)
    data = {"paid_on": paid_on, "reference": locked.payment_reference, "note": locked.payment_note}
    _audit(locked, "register.invoice_paid", data, acting_user, actor_label)
    return locked


@transaction.atomic
def invoice_waive(
    *,
    organization: Organization,
    invoice: Invoice,
    reason: str,
    on: dt.date | None = None,
    acting_user: Any = None,
    expected_version: str | None = None,
) -> Invoice:
    """Waive an outstanding invoice, with the reason (the payer reads it). Raises InvoiceRefused
    (every problem) or ChangedMeanwhile, writing nothing."""
    on = on or timezone.localdate()
    locked = _locked(organization, invoice, expected_version)
    problems = [p for p in [_state_problem(locked)] if p]
    if not reason.strip():
        problems.append("say why the invoice is waived")
    elif len(reason.strip()) > NOTE_MAX:
        problems.append(f"write the reason in {NOTE_MAX} characters or fewer")
    problems += _date_problems(locked, on, "waiver's")
    if problems:
        raise InvoiceRefused(problems)
    locked.state = Invoice.State.WAIVED
    locked.waived_on = on
    locked.waive_reason = reason.strip()
    locked.settled_by = _actor(acting_user)
    locked.save()
    data = {"waived_on": on, "reason": locked.waive_reason}
    _audit(locked, "register.invoice_waived", data, acting_user, "")
    return locked


def fine_paid(*, sanction: Sanction, paid_on: dt.date, note: str, acting_user: Any) -> None:
    """A fine recorded as paid through its sanction (`sanction_fine_paid`), in its transaction:
    its invoice is marked paid too. Refused when the invoice was waived."""
    invoice = Invoice.objects.select_for_update().filter(sanction=sanction).first()
    if invoice is None or invoice.state == Invoice.State.PAID:
        return
    if invoice.state == Invoice.State.WAIVED:
        raise InvoiceRefused(
            f"the fine's invoice {invoice.number} was waived on {invoice.waived_on}: "
            "there is nothing to pay"
        )
    invoice.sanction = sanction
    mark_paid(invoice, paid_on=paid_on, reference="", note=note, acting_user=acting_user)
    _audit(invoice, "register.invoice_paid", {"paid_on": paid_on, "note": note}, acting_user, "")


def fine_lifted(*, sanction: Sanction, reason: str, acting_user: Any) -> None:
    """A fine lifted (an appeal allowed), in `sanction_lift`'s transaction: its outstanding invoice
    is waived. One already paid stays paid: a refund is the body's to make outside Ombuds."""
    invoice = Invoice.objects.select_for_update().filter(sanction=sanction).first()
    if invoice is None or invoice.state != Invoice.State.OUTSTANDING:
        return
    invoice.state = Invoice.State.WAIVED
    invoice.waived_on = max(timezone.localdate(), invoice.issued_on)
    invoice.waive_reason = f"The fine was lifted: {reason.strip()}"
    invoice.settled_by = _actor(acting_user)
    invoice.save()
    data = {"waived_on": invoice.waived_on, "reason": invoice.waive_reason}
    _audit(invoice, "register.invoice_waived", data, acting_user, "")


# --- renewals -----------------------------------------------------------------------------------

RENEWING = ("compliant", "exempt")


def renewal_fee_check(
    cycle: RecertificationCycle, *, outcome: str, refuse: type[Exception]
) -> None:
    """Raise ``refuse`` with the reason when closing the cycle with this outcome would renew the
    credential (compliant or exempt) while its programme holds a renewal until the renewal fee is
    paid (`CredentialProgram.renewal_requires_paid_fee`) and a renewal invoice of the credential is
    outstanding. Waiving the invoice, or recording it paid, lets the renewal through."""
    if outcome not in RENEWING or not cycle.credential.program.renewal_requires_paid_fee:
        return
    unpaid = (
        Invoice.objects.filter(
            credential_id=cycle.credential_id,
            kind=Invoice.Kind.RENEWAL,
            state=Invoice.State.OUTSTANDING,
        )
        .order_by("due_on", "pk")
        .first()
    )
    if unpaid is not None:
        raise refuse(
            f"the renewal fee is unpaid: invoice {unpaid.number} ({unpaid.amount} "
            f"{unpaid.currency}, due {unpaid.due_on}) is outstanding, and "
            f"{cycle.credential.program} renews only once it is paid; record the payment or "
            "waive the invoice first"
        )


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFilters:
    """What the staff list is narrowed to; empty values narrow nothing."""

    state: str = ""  # an Invoice.State value, or "overdue" (outstanding past its due date)
    kind: str = ""
    payer: str = ""  # words of a person's name or an agency's, an identifier, a number
    issued_from: dt.date | None = None
    issued_until: dt.date | None = None

    def problems(self) -> list[str]:
        found = []
        if self.state and self.state not in [*Invoice.State.values, "overdue"]:
            found.append(f"state must be one of {', '.join(Invoice.State.values)}, overdue")
        if self.kind and self.kind not in Invoice.Kind.values:
            found.append(f"kind must be one of {', '.join(Invoice.Kind.values)}")
        if self.issued_from and self.issued_until and self.issued_until < self.issued_from:
            found.append("the end of the period is before its start")
        return found


def invoices_listed(
    organization: Organization, filters: InvoiceFilters | None = None
) -> QuerySet[Invoice]:
    """The body's invoices, newest first, with their payers and credentials, narrowed by the
    filters (which the caller has checked: `InvoiceFilters.problems`)."""
    filters = filters or InvoiceFilters()
    found = Invoice.objects.filter(organization=organization)
    if filters.state == "overdue":
        found = found.filter(state=Invoice.State.OUTSTANDING, due_on__lt=timezone.localdate())
    elif filters.state:
        found = found.filter(state=filters.state)
    if filters.kind:
        found = found.filter(kind=filters.kind)
    words = filters.payer.split()[:5]
    if words:
        person, agency = Q(), Q()
        for word in words:
            person &= Q(person__given_name__icontains=word) | Q(person__family_name__icontains=word)
            agency &= Q(agency__legal_name__icontains=word)
        whole = filters.payer.strip()
        found = found.filter(
            person
            | agency
            | Q(number__iexact=whole)
            | Q(credential__number__iexact=whole)
            | Q(person__external_id=whole)
            | Q(agency__external_id=whole)
        )
    if filters.issued_from:
        found = found.filter(issued_on__gte=filters.issued_from)
    if filters.issued_until:
        found = found.filter(issued_on__lte=filters.issued_until)
    return found.select_related("person", "agency", "credential", "settled_by").order_by(
        "-issued_on", "-pk"
    )


def invoice_get(organization: Organization, number: str) -> Invoice | None:
    """The body's invoice with this number, or None."""
    return invoices_listed(organization).filter(number=number.strip()).first()


def invoice_totals(organization: Organization) -> dict[str, int]:
    """How many of the body's invoices are in each state, and overdue."""
    counts = dict.fromkeys([*Invoice.State.values, "overdue"], 0)
    today = timezone.localdate()
    rows = Invoice.objects.filter(organization=organization).values_list("state", "due_on")
    for state, due_on in rows:
        counts[state] += 1
        counts["overdue"] += int(state == Invoice.State.OUTSTANDING and due_on < today)
    return counts


def is_overdue(invoice: Invoice, today: dt.date | None = None) -> bool:
    return invoice.state == Invoice.State.OUTSTANDING and invoice.due_on < (
        today or timezone.localdate()
    )


def invoices_owed_by(people: list[int], agencies: list[int]) -> QuerySet[Invoice]:
    """The invoices of these people and agencies (a member's own, and their agencies'),
    outstanding ones first, soonest due first, then the latest settled."""
    return (
        Invoice.objects.filter(Q(person_id__in=people) | Q(agency_id__in=agencies))
        .select_related("credential", "agency")
        .order_by("state", "due_on", "-pk")
    )
