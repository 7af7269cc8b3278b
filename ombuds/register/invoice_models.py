"""Fees and fines as records: a body's invoices (application, exam, certification and renewal
fees; a fine imposed as a sanction is an invoice too), each outstanding until it is recorded as
paid or waived with a reason. Ombuds processes no card: a payment is recorded by staff or imported
from a payment system's file (`ombuds.register.invoices`, `ombuds.register.invoice_import`).

Imported by `ombuds.register.models`, so that Django finds the models with the register's."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ombuds.core.models import TimeStamped


class Invoice(TimeStamped):
    """What someone in the register owes the body: a person, or an agency (a fine on its
    membership); for a credential when it is its fee, for a sanction when it is its fine."""

    class Kind(models.TextChoices):
        APPLICATION = "application", "Application fee"
        EXAM = "exam", "Exam fee"
        CERTIFICATION = "certification", "Certification fee"
        RENEWAL = "renewal", "Renewal fee"
        FINE = "fine", "Fine"

    class State(models.TextChoices):
        OUTSTANDING = "outstanding", "Outstanding"
        PAID = "paid", "Paid"
        WAIVED = "waived", "Waived"

    organization = models.ForeignKey(
        "bodies.Organization", on_delete=models.PROTECT, related_name="invoices"
    )
    # What the payer and a payment system quote: unique within the body.
    number = models.CharField(max_length=30)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    person = models.ForeignKey(
        "register.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    agency = models.ForeignKey(
        "register.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    credential = models.ForeignKey(
        "register.Credential",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    sanction = models.OneToOneField(
        "register.Sanction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice",
    )
    description = models.CharField(max_length=300, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. USD")
    issued_on = models.DateField()
    due_on = models.DateField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.OUTSTANDING)
    paid_on = models.DateField(null=True, blank=True)
    # The payment system's or the bank transfer's reference: what makes a payment recorded twice
    # (the same file imported again) the same payment.
    payment_reference = models.CharField(max_length=100, blank=True)
    payment_note = models.TextField(blank=True)
    waived_on = models.DateField(null=True, blank=True)
    waive_reason = models.TextField(blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_on", "-pk"]
        indexes = [
            models.Index(fields=["organization", "state", "due_on"]),
            models.Index(fields=["organization", "kind", "issued_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="invoice_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(person__isnull=False, agency__isnull=True)
                | models.Q(person__isnull=True, agency__isnull=False),
                name="invoice_one_payer",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="invoice_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__gte=models.F("issued_on")),
                name="invoice_due_after_issue",
            ),
            models.CheckConstraint(
                condition=models.Q(sanction__isnull=True) | models.Q(kind="fine"),
                name="invoice_sanction_is_a_fine",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    state="outstanding", paid_on__isnull=True, waived_on__isnull=True
                )
                | models.Q(state="paid", paid_on__isnull=False, waived_on__isnull=True)
                | (
                    models.Q(state="waived", paid_on__isnull=True, waived_on__isnull=False)
                    & ~models.Q(waive_reason="")
                ),
                name="invoice_state_has_its_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.get_kind_display()} · {self.amount} {self.currency}"

    @property
    def payer(self):
        return self.person if self.person_id else self.agency


class InvoiceCounter(models.Model):
    """The last invoice number given per body and year; locked while the next one is drawn."""

    organization = models.ForeignKey("bodies.Organization", on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="invoicecounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.year}: {self.last}"
