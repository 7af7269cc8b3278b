"""Forms of the staff's invoice pages. They read what was typed; the services check it all again
(`ombuds.register.invoices`), so the pages, the API and the command give the same answers."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from ombuds.register.invoices import FEE_KINDS, NOTE_MAX, InvoiceFilters
from ombuds.register.models import Invoice

_DATE = forms.DateInput(attrs={"type": "date"})


def _date(label: str, *, required: bool = False, example: str = "2026-03-01") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=_DATE,
        error_messages={
            "invalid": f"Enter a date, e.g. {example}.",
            "required": f"Give the {label.lower()}.",
        },
    )


class FilterForm(forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Any"), *Invoice.State.choices, ("overdue", "Overdue")],
    )
    kind = forms.ChoiceField(
        label="What for", required=False, choices=[("", "Anything"), *Invoice.Kind.choices]
    )
    payer = forms.CharField(
        label="Payer or number",
        required=False,
        max_length=100,
        help_text="Words of the payer's name, their identifier, an invoice or credential number.",
    )
    issued_from = _date("Issued from")
    issued_until = _date("Issued until")

    def clean(self):
        data = super().clean()
        for problem in InvoiceFilters(**{k: v for k, v in data.items() if v}).problems():
            self.add_error(None, problem[:1].upper() + problem[1:] + ".")
        return data

    def filters(self) -> InvoiceFilters:
        """The filters of a valid form (none of an invalid one)."""
        return InvoiceFilters(**self.cleaned_data) if self.is_valid() else InvoiceFilters()


class IssueForm(forms.Form):
    kind = forms.ChoiceField(
        label="What for",
        choices=[(k.value, k.label) for k in FEE_KINDS],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the invoice is for."},
    )
    credential = forms.CharField(
        label="Credential number",
        required=False,
        max_length=50,
        help_text="For a certification or renewal fee: its holder pays, unless you name someone.",
    )
    person = forms.CharField(
        label="Person who pays",
        required=False,
        max_length=254,
        help_text="Your identifier for them, or their e-mail address.",
    )
    agency = forms.CharField(
        label="Agency that pays",
        required=False,
        max_length=100,
        help_text="Your identifier for the agency, instead of a person.",
    )
    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        min_value=0.01,
        error_messages={"required": "Give the amount.", "invalid": "Write the amount as 150.00."},
    )
    currency = forms.CharField(
        label="Currency",
        max_length=3,
        min_length=3,
        help_text="Three letters: USD, EUR …",
        error_messages={"required": "Give the currency."},
    )
    due_on = _date("Due date", required=True)
    description = forms.CharField(
        label="What the payer reads",
        required=False,
        max_length=300,
        help_text="e.g. “CESP renewal 2027” or “Exam sitting, 12 March”.",
    )
    number = forms.CharField(
        label="Your invoice number",
        required=False,
        max_length=30,
        help_text="If your finance system has numbered it; otherwise Ombuds numbers it.",
    )


class PayForm(forms.Form):
    paid_on = _date("Day it was paid", required=True)
    reference = forms.CharField(
        label="Payment reference",
        required=False,
        max_length=100,
        help_text="The transfer's or the payment system's reference.",
    )
    note = forms.CharField(
        label="Note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "pay")
        kwargs.setdefault("initial", {}).setdefault("paid_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class WaiveForm(forms.Form):
    reason = forms.CharField(
        label="Why it is waived",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The payer reads it.",
        error_messages={"required": "Say why the invoice is waived."},
    )
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "waive")
        super().__init__(*args, **kwargs)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="The payment system's CSV file",
        help_text="Columns: number, paid_on, amount, and optionally currency, payment_reference, "
        "payment_note.",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose the file."},
    )
    dry_run = forms.BooleanField(
        label="Check the file only: record nothing", required=False, initial=False
    )
