"""Forms of the staff case pages; a step's form is built from the procedure's declared inputs."""

from __future__ import annotations

import copy
from decimal import Decimal

from django import forms
from django.utils import timezone

from ombuds.cases import documents
from ombuds.cases.models import Allegation, Case, Document, Message
from ombuds.cases.procedure import Transition
from ombuds.core.fields import RecordsField
from ombuds.register.models import Sanction


class StepForm(forms.Form):
    """The inputs one step of the procedure requires, as the procedure file declares them."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, transition: Transition, allegations=(), provisions=(), **kwargs):
        kwargs.setdefault("prefix", f"step-{transition.name}")
        super().__init__(*args, **kwargs)
        self.transition = transition
        # A determinations input asks for a finding on each allegation still pending.
        self.pending = [
            a for a in allegations if a.determination == Allegation.Determination.PENDING
        ]
        for i in transition.inputs:
            if i.kind == "determinations":
                self._add_findings(i)
                continue
            if i.kind == "allegation":
                self._add_allegation(i, provisions)
                continue
            if i.kind == "sanction":
                self._add_sanction(i)
                continue
            common = {"label": i.label, "required": i.required, "help_text": i.help}
            if i.kind == "choice":
                field = forms.ChoiceField(
                    choices=[(c, c[:1].upper() + c[1:]) for c in i.choices],
                    widget=forms.RadioSelect,
                    **common,
                )
            elif i.kind == "date":
                field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
            elif i.kind == "document":
                field = forms.FileField(
                    widget=forms.ClearableFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}),
                    **common,
                )
            else:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
            self.fields[i.name] = field

    def _add_allegation(self, i, provisions) -> None:
        """The new allegation's text, and the provisions it cites (by citation)."""
        self.fields[i.name] = forms.CharField(
            label=i.label,
            required=i.required,
            help_text=i.help,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
        self.fields[f"{i.name}-provisions"] = forms.MultipleChoiceField(
            label="Provisions it cites",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            choices=[
                (p.citation, f"{p.citation} {(p.full_text or p.text)[:100]}") for p in provisions
            ],
            help_text="From the version of the code in force when the complaint was made.",
        )

    def _add_sanction(self, i) -> None:
        """The sanction form's fields (its kinds limited to the input's choices, if any)."""
        for name, field in SanctionChoiceForm.base_fields.items():
            if name == "version":
                continue
            field = copy.deepcopy(field)
            if name == "kind" and i.choices:
                field.choices = [(k, label) for k, label in field.choices if k in i.choices]
            self.fields[f"{i.name}-{name}"] = field

    def _add_findings(self, i) -> None:
        """One upheld / not upheld choice and its reasons per pending allegation."""
        for a in self.pending:
            self.fields[f"{i.name}-{a.position}"] = forms.ChoiceField(
                label=f"{i.label}: allegation {a.position}, {a.summary[:120]}",
                choices=[
                    (Allegation.Determination.UPHELD, "Upheld"),
                    (Allegation.Determination.NOT_UPHELD, "Not upheld"),
                ],
                widget=forms.RadioSelect,
                required=i.required,
                error_messages={
                    "required": f"Choose upheld or not upheld for allegation {a.position}."
                },
            )
            self.fields[f"{i.name}-{a.position}-reasons"] = forms.CharField(
                label=f"Reasons for allegation {a.position}",
                widget=forms.Textarea(attrs={"rows": 3}),
                required=i.required,
                error_messages={"required": f"Give the reasons for allegation {a.position}."},
            )

    def clean(self):
        data = super().clean()
        for i in self.transition.inputs:
            if i.kind == "document" and data.get(i.name) is not None:
                try:
                    _checked_upload(data[i.name])
                except forms.ValidationError as exc:
                    self.add_error(i.name, exc)
            if i.kind == "determinations":
                if i.required and not self.pending:
                    self.add_error(None, "No allegation is waiting for a determination.")
                for a in self.pending:
                    chosen = data.get(f"{i.name}-{a.position}")
                    reasons = (data.get(f"{i.name}-{a.position}-reasons") or "").strip()
                    if chosen and not reasons:
                        self.add_error(
                            f"{i.name}-{a.position}-reasons",
                            f"Give the reasons for allegation {a.position}.",
                        )
                    elif reasons and not chosen:
                        self.add_error(
                            f"{i.name}-{a.position}",
                            f"Choose upheld or not upheld for allegation {a.position}.",
                        )
        return data

    def inputs_and_files(self) -> tuple[dict, dict]:
        inputs, files = {}, {}
        for i in self.transition.inputs:
            if i.kind == "determinations":
                inputs[i.name] = [
                    {
                        "allegation": a.position,
                        "determination": self.cleaned_data[f"{i.name}-{a.position}"],
                        "reasons": self.cleaned_data[f"{i.name}-{a.position}-reasons"],
                    }
                    for a in self.pending
                    if self.cleaned_data.get(f"{i.name}-{a.position}")
                ]
                continue
            if i.kind == "sanction":
                inputs[i.name] = {
                    name: value.isoformat() if hasattr(value, "isoformat") else value
                    for name in SanctionChoiceForm.base_fields
                    if name != "version"
                    and (value := self.cleaned_data.get(f"{i.name}-{name}")) not in (None, "")
                }
                continue
            if i.kind == "allegation":
                if self.cleaned_data.get(i.name):
                    inputs[i.name] = {
                        "summary": self.cleaned_data[i.name],
                        "provisions": list(self.cleaned_data.get(f"{i.name}-provisions") or []),
                    }
                continue
            value = self.cleaned_data.get(i.name)
            if i.kind == "document":
                if value:
                    files[i.name] = (value.name, value.read())
            elif value not in (None, ""):
                inputs[i.name] = value.isoformat() if hasattr(value, "isoformat") else value
        return inputs, files


class DeterminationForm(forms.Form):
    """One allegation's determination; each allegation has its own form (prefix ``d<position>``),
    so that an error shows next to the allegation it concerns."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    allegation = forms.IntegerField(widget=forms.HiddenInput)
    determination = forms.ChoiceField(
        label="Determination",
        choices=[
            (Allegation.Determination.UPHELD, "Upheld"),
            (Allegation.Determination.NOT_UPHELD, "Not upheld"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose upheld or not upheld."},
    )
    reasons = forms.CharField(
        label="Reasons",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reasons for the determination."},
    )

    def __init__(self, *args, position: int, **kwargs):
        kwargs.setdefault("prefix", f"d{position}")
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {**kwargs["initial"], "allegation": position}
        super().__init__(*args, **kwargs)
        self.position = position


class AllegationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(label="Allegation", widget=forms.Textarea(attrs={"rows": 3}))
    provisions = RecordsField(
        queryset=None,
        required=False,
        label="Provisions it cites",
        widget=forms.CheckboxSelectMultiple,
        help_text="From the version of the code in force when the complaint was made.",
    )
    source = forms.ChoiceField(
        label="Source",
        choices=[
            ("staff", "Found in the investigation"),
            ("non-cooperation", "Failure to cooperate"),
        ],
        widget=forms.RadioSelect,
        initial="staff",
    )

    def __init__(self, *args, provisions, **kwargs):
        kwargs.setdefault("prefix", "allegation")
        super().__init__(*args, **kwargs)
        field = self.fields["provisions"]
        field.queryset = provisions  # (a copy of it: what a choice sent is checked against)
        field.label_from_instance = lambda p: f"{p.citation} {(p.full_text or p.text)[:100]}"
        # The choices shown, from ``provisions`` itself when the form is rendered: the page's
        # other forms list the same queryset, so it is read once for all of them.
        field.choices = lambda: [(p.pk, field.label_from_instance(p)) for p in provisions]


LADDER = [
    "education",
    "reprimand",
    "censure",
    "probation",
    "conditions",
    "fine",
    "suspension",
    "revocation",
    "expulsion",
]


class SanctionChoiceForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label="Sanction",
        choices=[(k, dict(Sanction.Kind.choices)[k]) for k in LADDER],
        widget=forms.RadioSelect,
    )
    summary = forms.CharField(
        label="Summary (shown publicly when the sanction is public)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    effective_from = forms.DateField(
        label="In effect from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today when left empty. A later date is kept on the register and applied on "
        "that day; the public register shows it beforehand.",
    )
    effective_until = forms.DateField(
        label="In effect until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required for a suspension: the register reinstates on that date.",
    )
    conditions = forms.CharField(
        label="Conditions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For probation or conditions: shown on the register.",
    )
    publication = forms.ChoiceField(
        label="Publication", choices=Sanction.Publication.choices, widget=forms.RadioSelect
    )
    public_until = forms.DateField(
        label="Public until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.DecimalField(
        label="Fine: amount",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text="For a fine only, e.g. 250.00.",
    )
    currency = forms.CharField(
        label="Fine: currency",
        required=False,
        max_length=3,
        initial="USD",
        help_text="A three-letter code: USD, EUR.",
    )
    due_on = forms.DateField(
        label="Fine: due by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") != "fine":
            # The currency field has a default; the amount and date belong to a fine only.
            data["currency"] = ""
            for name in ("amount", "due_on"):
                if data.get(name) is not None:
                    self.add_error(name, "Only a fine has an amount and a due date.")
        return data


class StaffMessageForm(forms.Form):
    audience = forms.ChoiceField(
        label="Who it is for",
        choices=Message.Audience.choices,
        widget=forms.RadioSelect,
        initial=Message.Audience.INTERNAL,
        help_text="An internal note is never shown to the complainant or the respondent.",
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        error_messages={"required": "Write the note or message."},
    )

    def __init__(self, *args, respondent_reachable: bool = True, **kwargs):
        kwargs.setdefault("prefix", "message")
        super().__init__(*args, **kwargs)
        if not respondent_reachable:
            # Before the respondent is notified, a message would tell them of the complaint early.
            self.fields["audience"].choices = [
                (value, label)
                for value, label in Message.Audience.choices
                if value != Message.Audience.RESPONDENT
            ]


def _checked_upload(upload):
    """The upload, when its content is one of the formats taken and matches its name; otherwise a
    ValidationError saying why (by its first bytes, not the name or type the browser gave)."""
    if upload is None:
        return upload
    if upload.size > documents.MAX_BYTES:
        raise forms.ValidationError(
            f"{upload.name} is larger than {documents.MAX_BYTES // (1024 * 1024)} MB."
        )
    data = upload.read()
    upload.seek(0)
    try:
        documents.check_upload(upload.name, data)
    except documents.UploadRefused as exc:
        text = str(exc)
        raise forms.ValidationError(f"{text[:1].upper()}{text[1:]}.") from exc
    return upload


class DocumentForm(forms.Form):
    file = forms.FileField(
        label="Document",
        widget=forms.ClearableFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}),
        help_text=f"{documents.ACCEPTED}, up to {documents.MAX_BYTES // (1024 * 1024)} MB.",
        error_messages={"required": "Choose the file to add."},
    )
    kind = forms.CharField(
        label="What it is",
        max_length=30,
        initial="evidence",
        help_text="For example evidence, answer, report, letter.",
        error_messages={"required": "Say what the document is."},
    )
    visibility = forms.ChoiceField(
        label="Who may see it",
        choices=Document.Visibility.choices,
        widget=forms.RadioSelect,
        initial=Document.Visibility.INTERNAL,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "document")
        super().__init__(*args, **kwargs)

    def clean_file(self):
        return _checked_upload(self.cleaned_data.get("file"))


class RecusalForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=None,
        label="Who is recused",
        error_messages={"required": "Choose who is recused."},
    )
    reason = forms.CharField(
        label="Why",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why they are recused."},
    )

    def __init__(self, *args, users, **kwargs):
        kwargs.setdefault("prefix", "recusal")
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.queryset = users  # (a copy of it: what a choice sent is checked against)
        # The choices shown, read by one plain query when the form is rendered (Django's own
        # iterator opens a server-side cursor: three round trips on PostgreSQL).
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        field.choices = lambda: [*empty, *((u.pk, field.label_from_instance(u)) for u in users)]


class StaffComplaintForm(forms.Form):
    """A complaint received by phone, letter, in person or by email, entered by staff. The form
    checks what staff can correct on the page, every problem at once; the service checks again."""

    channel = forms.ChoiceField(
        label="Received by",
        choices=[
            (c, label)
            for c, label in Case.Channel.choices
            if c not in (Case.Channel.WEB, Case.Channel.STAFF)
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Say how the complaint was received."},
    )
    anonymous = forms.BooleanField(
        label="The complainant wishes to stay anonymous",
        required=False,
        help_text="They get a receipt code and a passphrase, shown once when the case is opened, "
        "to follow the complaint without giving their name.",
    )
    complainant_name = forms.CharField(label="Complainant's name", max_length=200, required=False)
    complainant_email = forms.EmailField(label="Complainant's email", required=False)
    complainant_phone = forms.CharField(label="Complainant's phone", max_length=50, required=False)
    complainant_relation = forms.ChoiceField(
        label="Relation to the respondent",
        choices=Case.Relation.choices,
        error_messages={"required": "Say how the complainant relates to the respondent."},
    )
    consent_to_share = forms.BooleanField(
        label="The complainant agrees that the respondent may learn who they are", required=False
    )
    respondent_name = forms.CharField(
        label="Respondent",
        max_length=300,
        error_messages={"required": "Say who the complaint is about."},
    )
    respondent_number = forms.CharField(
        label="Respondent's credential or membership number", max_length=50, required=False
    )
    respondent_email = forms.EmailField(label="Respondent's email", required=False)
    respondent_details = forms.CharField(
        label="Anything else that identifies the respondent",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    what_happened = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        error_messages={"required": "Say what happened."},
    )
    happened_on = forms.DateField(
        label="When it happened", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    outcome_sought = forms.CharField(
        label="What the complainant would like to happen",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    provisions = RecordsField(
        queryset=None, required=False, label="Provisions", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, provisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provisions"].queryset = provisions
        self.fields["provisions"].label_from_instance = lambda p: (
            f"{p.citation} {(p.full_text or p.text)[:100]}"
        )

    def clean_happened_on(self):
        day = self.cleaned_data["happened_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError("The date it happened cannot be in the future.")
        return day

    def clean(self):
        data = super().clean()
        if data.get("anonymous"):
            if data.get("consent_to_share"):
                self.add_error(
                    "consent_to_share",
                    "An anonymous complaint cannot share the complainant's identity.",
                )
        elif not (data.get("complainant_name") or "").strip():
            self.add_error(
                "complainant_name",
                "Give the complainant's name, or tick that they wish to stay anonymous.",
            )
        return data


class EraseForm(forms.Form):
    """The Chair's erasure of a closed case's personal data on request."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why the case is erased",
        help_text="The request and when it came (not the complainant's name): this stays on the "
        "case and on the audit log.",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the case is erased."},
    )
