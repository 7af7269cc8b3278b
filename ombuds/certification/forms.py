"""The certification forms. They only parse what was sent; the services refuse bad values, and
`refusal_onto` puts a refusal's reasons on the fields they name (the rest on the whole form)."""

from __future__ import annotations

from django import forms

from ombuds.certification.models import ExamWindow, Incident, Sitting
from ombuds.certification.requirements import Requirements as Spec
from ombuds.core.changes import WHOLE, ChangeRefused

DATE = forms.DateInput(attrs={"type": "date"})


def refusal_onto(form: forms.Form, refused: ChangeRefused) -> None:
    """Each of the refusal's reasons on the field it names, or on the whole form."""
    for name, messages in refused.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields and name != WHOLE else None, message)


class IdentityForm(forms.Form):
    """Who the candidate is: what a visitor without an account gives to start."""

    given_name = forms.CharField(label="Given name", max_length=150, required=False)
    family_name = forms.CharField(label="Family name", max_length=150, required=False)
    email = forms.CharField(
        label="Email address",
        max_length=254,
        required=False,
        help_text="We send a link there: it confirms the address and opens your account.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ApplicationForm(forms.Form):
    """Identity, and each kind of evidence the programme declares, with a document for it."""

    given_name = forms.CharField(label="Given name", max_length=150, required=False)
    family_name = forms.CharField(label="Family name", max_length=150, required=False)
    email = forms.CharField(
        label="Email address",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(label="Phone", max_length=50, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    region = forms.CharField(label="Region or state", max_length=100, required=False)
    country = forms.CharField(
        label="Country", max_length=2, required=False, help_text="Two letters, e.g. US."
    )

    IDENTITY = ("given_name", "family_name", "email", "phone", "city", "region", "country")

    def __init__(self, *args, spec: Spec, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        for item in spec.evidence:
            if item.is_level:
                self.fields[f"evidence-{item.key}-level"] = forms.ChoiceField(
                    label=f"{item.label}: your level",
                    choices=[(level.key, level.label) for level in item.levels],
                    widget=forms.RadioSelect,
                    required=False,
                    help_text=item.help,
                )
            else:
                self.fields[f"evidence-{item.key}-amount"] = forms.CharField(
                    label=f"{item.label}: {item.unit}",
                    max_length=12,
                    required=False,
                    help_text=item.help,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            self.fields[f"evidence-{item.key}-details"] = forms.CharField(
                label=f"{item.label}: where and when",
                max_length=2000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"document-{item.key}"] = forms.FileField(
                label=f"{item.label}: add a document"
                + (" (required)" if item.document == "required" else ""),
                required=False,
                help_text="PDF, image, text, Word or OpenDocument, up to 10 MB.",
            )

    def sections(self) -> list[tuple[object, list[forms.BoundField]]]:
        """Each kind of evidence with its fields, for the template."""
        return [
            (
                item,
                [
                    self[n]
                    for n in self.fields
                    if n.startswith((f"evidence-{item.key}-", f"document-{item.key}"))
                ],
            )
            for item in self.spec.evidence
        ]

    def identity_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.IDENTITY]

    def identity(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in self.IDENTITY}

    def evidence(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for item in self.spec.evidence:
            value_field = f"evidence-{item.key}-{'level' if item.is_level else 'amount'}"
            out[item.key] = {
                "level" if item.is_level else "amount": self.cleaned_data.get(value_field) or "",
                "details": self.cleaned_data.get(f"evidence-{item.key}-details", ""),
            }
        return out

    def uploads(self) -> list[tuple[str, str, bytes]]:
        uploaded = []
        for item in self.spec.evidence:
            f = self.cleaned_data.get(f"document-{item.key}")
            if f:
                uploaded.append((item.key, f.name, f.read()))
        return uploaded


def initial_of(application) -> dict[str, str]:
    """The form's values as the application keeps them."""
    initial = {name: getattr(application, name) for name in ApplicationForm.IDENTITY}
    for key, claim in (application.evidence or {}).items():
        for part in ("level", "amount", "details"):
            if part in claim:
                initial[f"evidence-{key}-{part}"] = claim[part]
    return initial


class SubmitForm(forms.Form):
    """Each declaration, the attestation to the code with the candidate agreement."""

    agreement = forms.BooleanField(required=False)
    code_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, spec: Spec, code_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        for statement in spec.declarations:
            self.fields[f"declaration-{statement.key}"] = forms.BooleanField(
                label=f"I declare: {statement.text} ({statement.cites})", required=False
            )
        self.fields["agreement"].label = (
            f"I have read the code of conduct (version {code_label}) and agree to abide by it, "
            f"and I make the candidate agreement: {spec.agreement.text} ({spec.agreement.cites})"
        )
        self.order_fields([*(f"declaration-{s.key}" for s in spec.declarations), "agreement"])

    def confirmed(self) -> list[str]:
        return [
            s.key for s in self.spec.declarations if self.cleaned_data.get(f"declaration-{s.key}")
        ]


class VersionForm(forms.Form):
    """A form whose only input is the version the person saw (withdraw, restore)."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label="Reason", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            ("complete", "Complete: decide eligibility next"),
            ("more_information", "More information needed"),
            ("eligible", "Eligible to sit the examination"),
            ("refused", "Refused"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason or what is needed",
        max_length=4000,
        required=False,
        help_text="The candidate reads it. Required to ask for information or to refuse.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["decision"].choices = [
                c for c in self.fields["decision"].choices if c[0] in allowed
            ]


class SuspendForm(forms.Form):
    until = forms.DateField(label="Suspended until", widget=DATE)
    decision_ref = forms.CharField(
        label="Decision", max_length=200, help_text="The case's reference, e.g. ESPCC-2026-K7Q3M."
    )
    reason = forms.CharField(
        label="Reason", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)


class WindowForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="What the vendor's results file names it by, e.g. 2026-spring.",
    )
    name = forms.CharField(label="Name", max_length=200)
    opens_on = forms.DateField(label="First day", widget=DATE)
    closes_on = forms.DateField(label="Last day", widget=DATE)
    vendor = forms.CharField(label="Testing vendor", max_length=200, required=False)


class ResultForm(forms.Form):
    reference = forms.CharField(label="Application reference", max_length=40)
    sat_on = forms.DateField(label="Sat on", widget=DATE)
    result = forms.ChoiceField(
        label="Result",
        choices=[("", "From the score"), *[(v, label) for v, label in Sitting.Result.choices if v]],
        required=False,
    )
    score = forms.DecimalField(
        label="Score", min_value=0, max_value=100, required=False, decimal_places=2
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Results file (CSV)",
        help_text="Columns: reference, window, sat_on, result and/or score, optionally family_name.",
    )


class BookForm(forms.Form):
    window = forms.ModelChoiceField(
        label="Exam window",
        queryset=ExamWindow.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, windows=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = (
            windows if windows is not None else ExamWindow.objects.none()
        )


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(
        label="What happened", choices=Incident.Kind.choices, widget=forms.RadioSelect
    )
    what_happened = forms.CharField(
        label="Describe it",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="When and where, what you saw, and where exam content appeared (a link, a forum).",
    )
    window = forms.CharField(label="Exam window, if you know it", max_length=40, required=False)
    application = forms.CharField(
        label="Candidate's application reference, if you know it", max_length=40, required=False
    )
    happened_on = forms.DateField(label="When it happened", required=False, widget=DATE)
    reporter = forms.ChoiceField(
        label="You are",
        choices=[
            (Incident.Reporter.PROCTOR, "A proctor or the testing vendor"),
            (Incident.Reporter.PUBLIC, "Someone else"),
        ],
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label="Your name", max_length=200, required=False)
    email = forms.EmailField(label="Your email address", required=False)
    anonymous = forms.BooleanField(label="Report anonymously", required=False)
    passphrase = forms.CharField(
        label="Passphrase (anonymous reports)",
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="At least 10 characters: with the receipt code, it lets you follow the report.",
    )
    file = forms.FileField(
        label="Evidence (optional)",
        required=False,
        help_text="A screenshot or document, up to 10 MB.",
    )


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Sanction",
        choices=[("void_result", "Void a result"), ("suspend_eligibility", "Suspend eligibility")],
        widget=forms.RadioSelect,
    )
    sitting = forms.IntegerField(label="Result to void", required=False, widget=forms.RadioSelect)
    until = forms.DateField(label="Eligibility suspended until", required=False, widget=DATE)
    reason = forms.CharField(
        label="Reason", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, sittings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sitting"] = forms.TypedChoiceField(
            label="Result to void (for voiding)",
            coerce=int,
            required=False,
            choices=[
                (s.pk, f"{s.window.name}, {s.sat_on:%-d %b %Y}: {s.get_result_display()}")
                for s in sittings
            ],
            widget=forms.RadioSelect,
        )
