from __future__ import annotations

import re

from django import forms

from ombuds.codes.exceptions import CodeError
from ombuds.codes.models import Provision
from ombuds.codes.services import check_version_label

_SENTENCE = re.compile(r"(?<=[.;:!?])\s+")


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Code file",
        help_text="Plain text, Markdown, reStructuredText, or Ombuds' JSON interchange format.",
    )
    label = forms.CharField(
        label="Version label",
        max_length=50,
        required=False,
        help_text="For example 2024 or v2. Left empty, the next free vN is used.",
    )
    effective_date = forms.DateField(
        label="Effective date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Left empty, the date the text states (if any).",
    )
    publish = forms.BooleanField(
        label="Publish at once (a published version can no longer be corrected)", required=False
    )

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if label:
            try:
                check_version_label(label)
            except CodeError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return label


class ProvisionForm(forms.ModelForm):
    class Meta:
        model = Provision
        fields = ["label", "citation", "heading", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "citation": "How the provision is cited, unique in this version (e.g. 1.2(c)).",
        }


def sentence_boundaries(text: str) -> list[tuple[int, str]]:
    """Where a text may be split: (character offset, the sentence that ends there)."""
    boundaries = []
    start = 0
    for match in _SENTENCE.finditer(text):
        boundaries.append((match.start(), text[start : match.start()]))
        start = match.end()
    return boundaries


class SplitForm(forms.Form):
    at = forms.TypedChoiceField(label="Split after", coerce=int, widget=forms.RadioSelect)
    citation = forms.CharField(label="Citation of the new provision", max_length=100)
    label = forms.CharField(label="Label of the new provision", max_length=50, required=False)

    def __init__(self, *args, provision: Provision, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(offset, sentence) for offset, sentence in sentence_boundaries(provision.text)]
        self.fields["at"].choices = choices
        if not choices:
            self.fields["at"].help_text = "This text is a single sentence: it cannot be split."
