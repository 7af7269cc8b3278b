from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.core.fields import RecordsField
from ombuds.register import services
from ombuds.register.csv import OMBUDS_ID_PREFIX
from ombuds.register.lifecycle import Transition, TransitionRefused
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    Membership,
    MembershipType,
    Person,
    Sanction,
)
from ombuds.register.subjects import LifecycleSubject

_DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


def _accept(value: Any) -> None:
    """Nothing to check on the form: the service checks it."""


class _ParseOnly(forms.ModelForm):
    """A form that only reads what was typed (text stripped, a website's scheme): what is required,
    how long a value may be, its format and what must be unique are the service's to say
    (`ombuds.register.records`, `ombuds.bodies.services`), so that the staff page, the API and the
    admin give the same answers. ``required`` stays set for the page's labels. The hidden version
    is the one the page was opened on: the service refuses the change if the record has changed
    since."""

    expected_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, version: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.validate = _accept
            field.run_validators = _accept
        self.fields["expected_version"].initial = version

    def _post_clean(self) -> None:
        """A ModelForm validates its model here; the service does that."""

    def values(self) -> dict[str, Any]:
        """What the form read, by the service's field names."""
        return {
            name: value for name, value in self.cleaned_data.items() if name != "expected_version"
        }

    def expected_version_read(self) -> str | None:
        return self.cleaned_data.get("expected_version") or None

    def refused(self, errors: dict[str, list[str]], names: dict[str, str] | None = None) -> None:
        """Show a service's reasons on the fields they are about (the rest above the form)."""
        names = names or {}
        for name, messages in errors.items():
            field = names.get(name, name)
            self.add_error(field if field in self.fields else None, messages)


class PersonForm(_ParseOnly):
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


class AgencyForm(_ParseOnly):
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
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

    def values(self) -> dict[str, Any]:
        values = super().values()
        values["trade_names"] = values.pop("trade_names_text")
        return values


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
        self,
        *args,
        transitions: list[Transition],
        current: str,
        subject: LifecycleSubject,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        seen: dict[str, str] = {}
        for t in transitions:
            seen.setdefault(t.target, f"{t.name} → {t.target}")
        self.fields["to_status"].choices = list(seen.items())
        self.fields["expected_status"].initial = current
        self.subject = subject
        # Credentials have an expiry; memberships a renewal date.
        for name in ("expires_on", "renewal_date"):
            if name != subject.due_field:
                del self.fields[name]

    def change(self) -> dict[str, Any]:
        """The valid form as the arguments of `services.lifecycle_transition`."""
        data = self.cleaned_data
        return {
            "to_status": data["to_status"],
            "effective_date": data["effective_date"],
            "reason": data["reason"],
            "decision_ref": data["decision_ref"],
            "until": data["until"],
            "due_date": data.get(self.subject.due_field),
            "expected_status": data["expected_status"],
        }


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
    provisions = RecordsField(
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

    # Kinds that do not apply to the subject: a membership is not revoked, a credential not expelled.
    _NOT_FOR = {"credential": {Sanction.Kind.EXPULSION}, "membership": {Sanction.Kind.REVOCATION}}

    def __init__(self, *args, provisions, subject: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        excluded = self._NOT_FOR.get(subject or "", set())
        self.fields["kind"].choices = [c for c in Sanction.Kind.choices if c[0] not in excluded]
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

    def sanction_decision(self, *, provisions: list | None = None) -> services.SanctionDecision:
        """What the valid form says was decided (``provisions`` in place of the ticked ones)."""
        data = self.cleaned_data
        return services.SanctionDecision(
            kind=data["kind"],
            decided_on=data["decided_on"],
            summary=data["summary"],
            effective_from=data["effective_from"],
            effective_until=data["effective_until"],
            decision_url=data["decision_url"],
            provisions=list(data["provisions"]) if provisions is None else provisions,
        )

    def sanction_publication(self) -> services.SanctionPublication:
        data = self.cleaned_data
        return services.SanctionPublication(data["publication"], data["public_until"])


class MembershipForm(forms.Form):
    """A new membership for a person or an agency, as an applicant. The number and the identifier
    are checked here, so that every problem shows at once; the service checks them again."""

    membership_type = forms.ModelChoiceField(
        queryset=None, label="Membership type", widget=forms.RadioSelect, empty_label=None
    )
    number = forms.CharField(
        max_length=50,
        label="Membership number",
        help_text="Letters, digits, '.', '-' and '_'; shown on the public register.",
    )
    external_id = forms.CharField(
        max_length=100,
        required=False,
        label="Your identifier",
        help_text="Your own identifier for this membership; imports match on it.",
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        membership_types: QuerySet[MembershipType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["membership_type"].queryset = membership_types

    def clean_number(self) -> str:
        try:
            number = services.check_membership_number(self.cleaned_data["number"])
        except TransitionRefused as exc:
            raise forms.ValidationError(_sentence(str(exc))) from exc
        used = (
            Membership.objects.filter(organization=self.organization, number__iexact=number)
            .values_list("number", flat=True)
            .first()
        )
        if used is not None:
            raise forms.ValidationError(f"Membership number {used} is already used.")
        return number

    def clean_external_id(self) -> str:
        value = self.cleaned_data["external_id"].strip()
        if (
            value
            and Membership.objects.filter(
                organization=self.organization, external_id=value
            ).exists()
        ):
            raise forms.ValidationError(
                f"{value!r} is already the identifier of another membership of this body."
            )
        return value


def _sentence(message: str) -> str:
    """A service's refusal ("the expiry date …") as a sentence on a form."""
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


PERSON_REF_HELP = (
    "Their identifier in your records (as on their page, e.g. HR-7 or ombuds:42) or their email "
    "address. Not sure? Find them by name above."
)


def find_person(people: QuerySet[Person], reference: str) -> Person:
    """The one person of ``people`` (the body's) that ``reference`` names: their external id,
    "ombuds:N" (Ombuds' own id, as the CSV export writes it) or their email address. Raises
    ValidationError saying why not: nobody, or several people (an email address two share)."""
    reference = reference.strip()
    match = Q(external_id=reference)
    if "@" in reference:
        match |= Q(email__iexact=reference)
    own = reference[len(OMBUDS_ID_PREFIX) :] if reference.startswith(OMBUDS_ID_PREFIX) else ""
    if own.isdigit():
        match |= Q(pk=int(own))
    found = list(people.filter(match)[:6])
    if not found:
        raise forms.ValidationError(
            f"No one in this register has the identifier or email address {reference!r}. "
            "Find them by name, or add them first."
        )
    if len(found) > 1:
        names = "; ".join(
            f"{p.full_name} ({p.external_id or f'{OMBUDS_ID_PREFIX}{p.pk}'})" for p in found[:5]
        )
        raise forms.ValidationError(
            f"{reference!r} names more than one person: {names}. Give one of their identifiers."
        )
    return found[0]


class AffiliationForm(forms.Form):
    """A person's affiliation with an agency. Adding one names the person; changing one cannot
    change who it links (end it and add another)."""

    person = forms.CharField(max_length=254, label="Person", help_text=PERSON_REF_HELP)
    role = forms.ChoiceField(
        choices=Affiliation.Role.choices, label="Role", widget=forms.RadioSelect
    )
    start_date = forms.DateField(label="Since", required=False, **_DATE)
    end_date = forms.DateField(
        label="Until",
        required=False,
        help_text="To end the affiliation, give the day it ended. Leave empty while it lasts.",
        **_DATE,
    )
    # Changing one: the version the page was opened on (refused if it has changed since).
    expected_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: QuerySet[Person] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        if people is None:
            del self.fields["person"]
        else:
            del self.fields["expected_version"]

    def clean_person(self) -> Person:
        return find_person(self.people, self.cleaned_data["person"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The affiliation must end after it starts.")
        return data


class CredentialCorrectForm(forms.Form):
    """Conditions or dates of a credential, corrected without changing its status. The reason goes
    into the status history with what changed."""

    conditions = forms.CharField(
        label="Conditions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Restrictions the holder practises under. Empty the box to lift them.",
    )
    issued_on = forms.DateField(label="Issue date", required=False, **_DATE)
    expires_on = forms.DateField(label="Expiry date", required=False, **_DATE)
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the status history with what changed.",
    )
    expected_status = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, credential: Credential, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.credential = credential
        self.fields["conditions"].initial = credential.conditions
        self.fields["issued_on"].initial = credential.issued_on
        self.fields["expires_on"].initial = credential.expires_on
        self.fields["expected_status"].initial = credential.status

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        labels = {"issued_on": "issue date", "expires_on": "expiry date"}
        for name, label in labels.items():
            if name in data and data[name] is None and getattr(self.credential, name):
                self.add_error(
                    name, f"The {label} on record cannot be removed here: give the right date."
                )
        issued = data.get("issued_on") or self.credential.issued_on
        expires = data.get("expires_on") or self.credential.expires_on
        if issued and expires and expires <= issued:
            self.add_error(
                "expires_on" if data.get("expires_on") else "issued_on",
                "The expiry date must come after the issue date.",
            )
        if data.get("issued_on") and data["issued_on"] > timezone.localdate():
            self.add_error("issued_on", "The issue date cannot be in the future.")
        return data


class ProfileForm(_ParseOnly):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Organization
        fields = [
            "about",
            "how_to_complain",
            "faq",
            "website",
            "contact_email",
            "time_zone",
            "languages",
        ]
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
