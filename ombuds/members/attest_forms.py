"""Forms of the attestation pages; `ombuds.members.attestations` checks everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from ombuds.codes.models import CodeVersion
from ombuds.members.models import AttestationCampaign
from ombuds.register.models import Affiliation

_DATE = {
    "widget": forms.DateInput(attrs={"type": "date"}),
}

STATEMENT = "I have read, understand and agree to abide by all provisions of this code of conduct."


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CodeVersion) -> str:
        published = f", published {obj.published_at:%d %b %Y}" if obj.published_at else ""
        return f"{obj.title} — version {obj.label}{published}"


class CampaignForm(forms.Form):
    code_version = VersionChoiceField(
        label="Code version",
        queryset=CodeVersion.objects.none(),
        empty_label=None,
        help_text="People attest to this exact version. Only the current version can be chosen "
        "for a new campaign.",
        error_messages={
            "required": "Choose the code version to attest to.",
            "invalid_choice": "Choose the current version of the code: an earlier version was "
            "superseded and can no longer be attested to.",
        },
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        required=False,
        help_text="What people see, e.g. “2025 code of conduct attestation”. Leave empty for the "
        "code's title and version.",
    )
    audience = forms.ChoiceField(
        label="Who must attest",
        choices=AttestationCampaign.Audience.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who must attest."},
    )
    material = forms.BooleanField(
        label="This version changes the code materially",
        required=False,
        initial=True,
        help_text="Then attestations to earlier versions are outdated and everyone attests again. "
        "Untick for a correction or a minor change: earlier attestations carry over.",
    )
    due_on = forms.DateField(
        label="Due date",
        error_messages={
            "required": "Give the due date.",
            "invalid": "Enter the due date as a date, e.g. 2025-09-30.",
        },
        **_DATE,
    )
    reminder_days = forms.CharField(
        label="Reminders, in days before the due date",
        required=False,
        initial="14, 3",
        help_text="Whole numbers separated by commas, e.g. 14, 3. Each reminder goes out once to "
        "each person who has not attested yet.",
    )
    new_joiner_days = forms.IntegerField(
        label="Days a new joiner gets to attest",
        initial=30,
        min_value=1,
        max_value=365,
        help_text="Someone who joins the audience after the start is due this many days after "
        "joining (never before the campaign's due date).",
        error_messages={
            "required": "Say how many days a new joiner gets.",
            "invalid": "Enter a whole number of days.",
            "min_value": "New joiners get from 1 to 365 days to attest.",
            "max_value": "New joiners get from 1 to 365 days to attest.",
        },
    )
    statement = forms.CharField(
        label="Statement each person confirms",
        initial=STATEMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the statement each person confirms."},
    )

    def __init__(self, *args: Any, versions: QuerySet[CodeVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code_version"].queryset = versions

    def clean_reminder_days(self) -> list[int]:
        text = self.cleaned_data.get("reminder_days", "")
        parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(
                "Write the reminder days as whole numbers separated by commas, e.g. 14, 3."
            )
        return [int(p) for p in parts]


class AttestForm(forms.Form):
    confirm = forms.BooleanField(
        label="I confirm",
        error_messages={"required": "Tick “I confirm” to confirm the statement."},
    )


class ProxyForm(forms.Form):
    reason = forms.CharField(
        label="Why you record it on their behalf",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: signed the paper form at the annual meeting on 3 May 2025.",
        error_messages={"required": "Say why you record this attestation on their behalf."},
    )


class AgencyPersonForm(forms.Form):
    given_name = forms.CharField(
        label="Given name",
        max_length=150,
        error_messages={"required": "Give their given name."},
    )
    family_name = forms.CharField(
        label="Family name",
        max_length=150,
        error_messages={"required": "Give their family name."},
    )
    email = forms.EmailField(
        label="Email address",
        help_text="The invitation to open their account goes there.",
        error_messages={
            "required": "Give their email address: the invitation goes there.",
            "invalid": "Enter their email address in the form name@example.org.",
        },
    )
    role = forms.ChoiceField(
        label="Role",
        choices=[
            (Affiliation.Role.EMPLOYEE.value, "Employee"),
            (Affiliation.Role.AGENT.value, "Agent"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose employee or agent."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "add")
        super().__init__(*args, **kwargs)
