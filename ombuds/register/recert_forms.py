"""Forms for recertification: open a cycle, record an activity (the staff's form and the holder's),
add the evidence of one, submit a cycle, review an activity, close a cycle, draw an audit. They check
what a person can fix on the form; the services in recertification.py and recert_audit.py decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.formats import date_format

from ombuds.core import uploads
from ombuds.register.models import RecertificationCycle
from ombuds.register.recertification import EVIDENCE_MAX_BYTES

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
EVIDENCE_HINT = f"{uploads.ACCEPTED}; up to {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB."


def evidence_field(*, required: bool, help_text: str) -> forms.FileField:
    return forms.FileField(
        label="Evidence",
        required=required,
        help_text=help_text,
        widget=forms.ClearableFileInput(attrs={"accept": uploads.ACCEPT_ATTRIBUTE}),
    )


def clean_evidence_file(evidence: UploadedFile | None) -> UploadedFile | None:
    """The file, or a ValidationError saying what is wrong with it (`ombuds.core.uploads`: its
    content, not its name, decides what it is)."""
    if not evidence:
        return None
    if evidence.size > EVIDENCE_MAX_BYTES:
        raise forms.ValidationError(
            f"The evidence is larger than {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB."
        )
    data = evidence.read()
    evidence.seek(0)
    try:
        uploads.check_upload(evidence.name, data)
    except uploads.UploadRefused as exc:
        raise forms.ValidationError(f"The file {exc}.") from None
    return evidence


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
    evidence = evidence_field(
        required=False, help_text=f"A certificate of attendance or similar: {EVIDENCE_HINT}"
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

    def clean_evidence(self) -> UploadedFile | None:
        return clean_evidence_file(self.cleaned_data.get("evidence"))


class EvidenceForm(forms.Form):
    """The evidence of an activity sent without it."""

    evidence = evidence_field(required=True, help_text=EVIDENCE_HINT)

    def clean_evidence(self) -> UploadedFile | None:
        return clean_evidence_file(self.cleaned_data.get("evidence"))


class CycleSubmitForm(forms.Form):
    """The holder's confirmation that the cycle's activities are all in; it carries the version of
    the cycle the page showed, so that a page opened before a change is refused, not merged."""

    version = forms.CharField(widget=forms.HiddenInput, max_length=40)
    confirm = forms.BooleanField(
        label="I confirm that the activities listed are accurate and complete, and that I can "
        "show the evidence of each if asked.",
        error_messages={"required": "Confirm that the activities are accurate and complete."},
    )


class AuditDrawForm(forms.Form):
    """Draw a random sample of a programme's submitted cycles for audit."""

    program = forms.ChoiceField(label="Programme")
    fraction = forms.DecimalField(
        label="Fraction to draw",
        min_value=Decimal("0.001"),
        max_value=Decimal("1"),
        max_digits=4,
        decimal_places=3,
        help_text="0.05 draws one in twenty (rounded up). Leave empty for the programme's own.",
        required=False,
    )
    seed = forms.CharField(
        label="Seed",
        required=False,
        max_length=64,
        help_text="Leave empty for a random one. With the same seed and the same cycles, the "
        "draw gives the same sample.",
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.programs = {str(p.pk): p for p in programs}
        self.fields["program"].choices = [
            (str(p.pk), f"{p.name} ({p.abbreviation}); the programme draws {p.audit_fraction}")
            for p in programs
        ]
        if len(programs) == 1:
            self.fields["program"].initial = str(programs[0].pk)


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
