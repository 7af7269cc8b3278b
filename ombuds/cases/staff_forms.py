"""Forms of the staff case pages; a step's form is built from the procedure's declared inputs."""

from __future__ import annotations

from django import forms

from ombuds.cases import documents
from ombuds.cases.models import Allegation, Case, Document, Message
from ombuds.cases.procedure import Transition
from ombuds.register.models import Sanction


class StepForm(forms.Form):
    """The inputs one step of the procedure requires, as the procedure file declares them."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, transition: Transition, **kwargs):
        kwargs.setdefault("prefix", f"step-{transition.name}")
        super().__init__(*args, **kwargs)
        self.transition = transition
        for i in transition.inputs:
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

    def inputs_and_files(self) -> tuple[dict, dict]:
        inputs, files = {}, {}
        for i in self.transition.inputs:
            value = self.cleaned_data.get(i.name)
            if i.kind == "document":
                if value:
                    files[i.name] = (value.name, value.read())
            elif value not in (None, ""):
                inputs[i.name] = value.isoformat() if hasattr(value, "isoformat") else value
        return inputs, files


class DeterminationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    allegation = forms.IntegerField(widget=forms.HiddenInput)
    determination = forms.ChoiceField(
        label="Determination",
        choices=[
            (Allegation.Determination.UPHELD, "Upheld"),
            (Allegation.Determination.NOT_UPHELD, "Not upheld"),
        ],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label="Reasons", widget=forms.Textarea(attrs={"rows": 3}))


class AllegationForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.CharField(label="Allegation", widget=forms.Textarea(attrs={"rows": 3}))
    provisions = forms.ModelMultipleChoiceField(
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
        self.fields["provisions"].queryset = provisions
        self.fields["provisions"].label_from_instance = lambda p: (
            f"{p.citation} {(p.full_text or p.text)[:100]}"
        )


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
        label="In effect from", widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_until = forms.DateField(
        label="In effect until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Required for a suspension: the register reinstates on the day after.",
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


class StaffMessageForm(forms.Form):
    audience = forms.ChoiceField(
        label="Who it is for",
        choices=Message.Audience.choices,
        widget=forms.RadioSelect,
        initial=Message.Audience.INTERNAL,
    )
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "message")
        super().__init__(*args, **kwargs)


class DocumentForm(forms.Form):
    file = forms.FileField(
        label="Document",
        widget=forms.ClearableFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}),
        help_text=f"{documents.ACCEPTED}, up to {documents.MAX_BYTES // (1024 * 1024)} MB.",
    )
    kind = forms.CharField(label="What it is", max_length=30, initial="evidence")
    visibility = forms.ChoiceField(
        label="Who may see it",
        choices=Document.Visibility.choices,
        widget=forms.RadioSelect,
        initial=Document.Visibility.INTERNAL,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "document")
        super().__init__(*args, **kwargs)


class RecusalForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, label="Who is recused")
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, users, **kwargs):
        kwargs.setdefault("prefix", "recusal")
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


class StaffComplaintForm(forms.Form):
    """A complaint received by phone, letter, in person or by email, entered by staff."""

    channel = forms.ChoiceField(
        label="Received by",
        choices=[
            (c, label)
            for c, label in Case.Channel.choices
            if c not in (Case.Channel.WEB, Case.Channel.STAFF)
        ],
        widget=forms.RadioSelect,
    )
    anonymous = forms.BooleanField(label="The complainant wishes to stay anonymous", required=False)
    complainant_name = forms.CharField(label="Complainant's name", max_length=200, required=False)
    complainant_email = forms.EmailField(label="Complainant's email", required=False)
    complainant_phone = forms.CharField(label="Complainant's phone", max_length=50, required=False)
    complainant_relation = forms.ChoiceField(
        label="Relation to the respondent", choices=Case.Relation.choices
    )
    consent_to_share = forms.BooleanField(
        label="The complainant agrees that the respondent may learn who they are", required=False
    )
    respondent_name = forms.CharField(label="Respondent", max_length=300)
    respondent_number = forms.CharField(
        label="Respondent's credential or membership number", max_length=50, required=False
    )
    respondent_email = forms.EmailField(label="Respondent's email", required=False)
    what_happened = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 6}))
    happened_on = forms.DateField(
        label="When it happened", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    provisions = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label="Provisions", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, provisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provisions"].queryset = provisions
        self.fields["provisions"].label_from_instance = lambda p: (
            f"{p.citation} {(p.full_text or p.text)[:100]}"
        )
