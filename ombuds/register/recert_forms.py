"""Forms for the staff recertification pages: open a cycle, record an activity, review it, close a
cycle. They check what a person can fix on the form; the services in recertification.py decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import PurePath

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from ombuds.register.models import RecertificationCycle
from ombuds.register.recertification import EVIDENCE_MAX_BYTES, EVIDENCE_TYPES

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
EVIDENCE_HINT = (
    f"{', '.join(sorted(t.lstrip('.').upper() for t in EVIDENCE_TYPES))}; "
    f"up to {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB."
)


class CycleOpenForm(forms.Form):
    starts_on = forms.DateField(
        label="Cycle starts on",
        required=False,
        widget=DATE_INPUT,
        help_text="Leave empty to start on the issue date. The cycle is due on the expiry date.",
    )


class ActivityForm(forms.Form):
    """An activity staff record on the holder's behalf; its units count once it is approved."""

    category = forms.ChoiceField(label="Category")
    title = forms.CharField(label="Title", max_length=300)
    provider = forms.CharField(label="Provider", max_length=200, required=False)
    completed_on = forms.DateField(label="Completed on", widget=DATE_INPUT)
    units = forms.DecimalField(
        label="Units", max_digits=5, decimal_places=1, min_value=Decimal("0.1")
    )
    evidence = forms.FileField(
        label="Evidence",
        required=False,
        help_text=f"A certificate of attendance or similar: {EVIDENCE_HINT}",
    )

    def __init__(self, *args, cycle: RecertificationCycle, **kwargs):
        super().__init__(*args, **kwargs)
        self.cycle = cycle
        categories = sorted(cycle.required_by_category or {})
        if categories:
            self.fields["category"].choices = [
                ("", "Choose a category"),
                *((c, c) for c in categories),
            ]
        else:
            # The program sets no categories: any short name will do.
            self.fields["category"] = forms.CharField(label="Category", max_length=50)

    def clean_title(self) -> str:
        value = self.cleaned_data["title"].strip()
        if not value:
            raise forms.ValidationError("The activity needs a title.")
        return value

    def clean_completed_on(self) -> dt.date:
        day = self.cleaned_data["completed_on"]
        cycle = self.cycle
        if day > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        if not cycle.starts_on <= day <= cycle.due_on:
            raise forms.ValidationError(
                "The activity must be completed within the cycle, "
                f"{date_format(cycle.starts_on, 'j F Y')} to {date_format(cycle.due_on, 'j F Y')}."
            )
        return day

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if not evidence:
            return None
        suffix = PurePath(evidence.name).suffix.lower()
        if suffix not in EVIDENCE_TYPES:
            raise forms.ValidationError(
                f"The evidence must be a {', '.join(sorted(EVIDENCE_TYPES))} file, "
                f"not {suffix or 'a file without an extension'}."
            )
        if evidence.size > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError(
                f"The evidence is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB."
            )
        return evidence


class ReviewForm(forms.Form):
    """Approve an activity, or reject it with a reason the holder will read. The decision comes
    from the button pressed."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")],
        required=False,
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to reject; the holder reads it.",
    )

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision not in ("approve", "reject"):
            raise forms.ValidationError("Choose Approve or Reject.")
        if decision == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", "Give the reason for rejecting; the holder reads it.")
        return data


class CycleCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[
            (RecertificationCycle.Outcome.COMPLIANT, "Compliant: the requirements are met"),
            (
                RecertificationCycle.Outcome.NON_COMPLIANT,
                "Non-compliant: the credential expires on its date",
            ),
            (RecertificationCycle.Outcome.EXEMPT, "Exempt: recertified without the units"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed for non-compliant or exempt.",
    )

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if (
            outcome
            and outcome != RecertificationCycle.Outcome.COMPLIANT
            and not data.get("reason", "").strip()
        ):
            self.add_error("reason", "Say why the cycle is closed this way.")
        return data
