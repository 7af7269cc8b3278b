"""Forms of the disclosure pages; `ombuds.members.services` checks everything again when saving."""

from __future__ import annotations

from django import forms

from ombuds.members.models import Disclosure


class DisclosureForm(forms.Form):
    relationship = forms.ChoiceField(
        label="Kind of relationship",
        choices=Disclosure.Relationship.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of relationship."},
    )
    party_name = forms.CharField(
        label="Who it is with",
        max_length=300,
        help_text="The person's full name or the organisation's name, as the register has it.",
        error_messages={
            "required": "Name the person or organisation you have a conflict of interest with."
        },
    )
    nature = forms.CharField(
        label="What the relationship is",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what the relationship is."},
    )
    started_on = forms.DateField(
        label="When it started",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date it started as a date, e.g. 2024-03-01."},
    )


class EndForm(forms.Form):
    ended_on = forms.DateField(
        label="When it ended",
        required=False,
        help_text="Today, unless you give another date.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date it ended as a date, e.g. 2024-03-01."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "end")
        super().__init__(*args, **kwargs)
