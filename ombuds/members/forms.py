"""Forms of the member's pages (disclosures, API tokens); the services check everything again."""

from __future__ import annotations

from django import forms

from ombuds.bodies.models import Organization
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
        max_length=2000,  # as the API's (`ombuds.api.limits.DETAILS`)
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say what the relationship is."},
    )
    started_on = forms.DateField(
        label="When it started",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date it started as a date, e.g. 2024-03-01."},
    )

    @staticmethod
    def values_of(disclosure: Disclosure) -> dict:
        return {
            "relationship": disclosure.relationship,
            "party_name": disclosure.party_name,
            "nature": disclosure.nature,
            "started_on": disclosure.started_on,
        }

    @classmethod
    def refusing(cls, disclosure: Disclosure, reason: str) -> DisclosureForm:
        """The disclosure as it is, with `reason` as the form's error: for a request that said
        neither to save nor to end it. (A form that was not sent has no cleaned data, so Django
        cannot add an error to it: this one is bound to the disclosure's own values.)"""
        form = cls(cls.values_of(disclosure))
        form.is_valid()
        form.add_error(None, reason)
        return form


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


class TokenForm(forms.Form):
    """A member's API token: for which body (one they are a member of) and what it is for."""

    body = forms.ModelChoiceField(
        label="For which body",
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the body the token is for."},
    )
    name = forms.CharField(
        label="What the token is for",
        max_length=100,
        help_text="For example “my spreadsheet” or “the agency's HR system”.",
        error_messages={"required": "Say what the token is for."},
    )

    def __init__(self, *args, bodies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = Organization.objects.filter(pk__in=[b.pk for b in bodies])
        if len(bodies) == 1:
            self.fields["body"].initial = bodies[0].pk
