from __future__ import annotations

from django import forms

from ombuds.register.lifecycle import Transition
from ombuds.register.models import Agency, Organization, Person, Sanction


class _ExternalIdUnique:
    """The body's own identifiers are unique within the body (the database says so too; this says it
    on the form, where the person can fix it)."""

    def clean_external_id(self) -> str:
        value = self.cleaned_data["external_id"].strip()
        instance = self.instance
        model = type(instance)
        if (
            value
            and model.objects.filter(organization_id=instance.organization_id, external_id=value)
            .exclude(pk=instance.pk)
            .exists()
        ):
            raise forms.ValidationError(
                f"{value!r} is already the identifier of another record of this body."
            )
        return value


class PersonForm(_ExternalIdUnique, forms.ModelForm):
    def clean_country(self) -> str:
        value = self.cleaned_data["country"].strip().upper()
        if value and not (len(value) == 2 and value.isalpha()):
            raise forms.ValidationError("Use the two-letter ISO 3166 code, e.g. US.")
        return value

    class Meta:
        model = Person
        fields = [
            "given_name",
            "family_name",
            "email",
            "phone",
            "city",
            "region",
            "country",
            "external_id",
        ]
        help_texts = {"external_id": "Your own identifier for this person; imports match on it."}


class AgencyForm(_ExternalIdUnique, forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https")
    trade_names_text = forms.CharField(
        label="Trade names",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line.",
    )

    class Meta:
        model = Agency
        fields = [
            "legal_name",
            "address",
            "city",
            "region",
            "postal_code",
            "country",
            "email",
            "phone",
            "website",
            "external_id",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["trade_names_text"].initial = "\n".join(self.instance.trade_names)
        # Put trade names right after the legal name.
        order = [
            "legal_name",
            "trade_names_text",
            *[f for f in self.fields if f not in ("legal_name", "trade_names_text")],
        ]
        self.order_fields(order)

    def clean_trade_names_text(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["trade_names_text"].splitlines()]
        return [line for line in lines if line]

    def save(self, commit: bool = True):
        self.instance.trade_names = self.cleaned_data["trade_names_text"]
        return super().save(commit)


class CredentialIssueForm(forms.Form):
    program = forms.ModelChoiceField(queryset=None, label="Credential")
    number = forms.CharField(
        max_length=50, label="Credential number", help_text="As printed on the certificate."
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs


class TransitionForm(forms.Form):
    """A status change: the target is one of the moves the lifecycle allows from the current status."""

    to_status = forms.ChoiceField(label="New status", widget=forms.RadioSelect)
    effective_date = forms.DateField(
        label="Effective date", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))
    decision_ref = forms.CharField(
        label="Decision reference",
        required=False,
        max_length=200,
        help_text="Required for a suspension, revocation or expulsion.",
    )
    until = forms.DateField(
        label="Suspended until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required for a suspension.",
    )
    expires_on = forms.DateField(
        label="New expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required to reinstate an expired or lapsed credential.",
    )
    renewal_date = forms.DateField(
        label="Next renewal date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required to renew or reinstate a membership.",
    )
    expected_status = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self, *args, transitions: list[Transition], current: str, with_expiry: bool, **kwargs
    ):
        super().__init__(*args, **kwargs)
        seen: dict[str, str] = {}
        for t in transitions:
            seen.setdefault(t.target, f"{t.name} → {t.target}")
        self.fields["to_status"].choices = list(seen.items())
        self.fields["expected_status"].initial = current
        # Credentials have an expiry; memberships a renewal date.
        del self.fields["renewal_date" if with_expiry else "expires_on"]


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(choices=Sanction.Kind.choices, label="Sanction")
    decided_on = forms.DateField(label="Decided on", widget=forms.DateInput(attrs={"type": "date"}))
    effective_from = forms.DateField(
        label="In effect from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_until = forms.DateField(
        label="In effect until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    summary = forms.CharField(
        label="Summary (shown publicly when the sanction is public)",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    provisions = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Provisions breached",
        widget=forms.CheckboxSelectMultiple,
        help_text="From the version of the code in force.",
    )
    publication = forms.ChoiceField(
        choices=Sanction.Publication.choices, label="Publication", widget=forms.RadioSelect
    )
    public_until = forms.DateField(
        label="Public until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required when the sanction is public until a date.",
    )
    decision_url = forms.URLField(
        label="Link to the published decision", required=False, assume_scheme="https"
    )

    def __init__(self, *args, provisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provisions"].queryset = provisions
        self.fields["provisions"].label_from_instance = lambda p: (
            f"{p.citation} {p.heading or p.text[:90]}"
        )

    def clean(self):
        data = super().clean()
        if data.get("publication") == Sanction.Publication.PUBLIC_UNTIL and not data.get(
            "public_until"
        ):
            self.add_error("public_until", "Give the date until which the sanction is public.")
        start, end = data.get("effective_from"), data.get("effective_until")
        if start and end and end < start:
            self.add_error("effective_until", "The sanction must end after it starts.")
        return data


class ProfileForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Organization
        fields = ["about", "how_to_complain", "faq", "website", "contact_email"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 8}) for name in ("about", "how_to_complain", "faq")
        }
        help_texts = {
            "about": "Markdown. Shown on the body's home page.",
            "how_to_complain": "Markdown. Where and how anyone can complain, member or not.",
            "faq": "Markdown: use ## for each question.",
        }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="People, agencies, memberships or credentials, in the columns of docs/register-csv.md "
        "(an export from this page has them). Nothing is written until you have seen the check.",
    )
