from __future__ import annotations

import re

from django import forms

from ombuds.codes import code_settings
from ombuds.codes.exceptions import CodeError
from ombuds.codes.models import Provision
from ombuds.codes.services import check_version_label

_SENTENCE = re.compile(r"(?<=[.;:!?])\s+")

_PROFILE_HELP = (
    'Optional, in TOML: the numbering styles to expect (styles = ["principle", "standard"]), '
    'the citation prefix (citation_prefix = "CESP"), lines that are debris on your pages '
    '(debris = ["Members\' area"]) and the line that states the effective date '
    '(effective_line = "^Effective"). Kept for the next import.'
)


def _profile_errors(text: str) -> str:
    """The profile as given, or a ValidationError with each of its problems."""
    try:
        code_settings.read_profile(text)
    except code_settings.ProfileRefused as exc:
        raise forms.ValidationError(exc.messages) from exc
    return text


class _ImportOptions(forms.Form):
    profile = forms.CharField(
        label="Parsing profile",
        required=False,
        max_length=code_settings.PROFILE_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=_PROFILE_HELP,
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

    def clean_profile(self) -> str:
        return _profile_errors(self.cleaned_data["profile"])


class ImportForm(_ImportOptions):
    """Step 1: the file and the options; the next page shows what the parser made of it."""

    file = forms.FileField(
        label="Code file",
        help_text="Plain text, Markdown, reStructuredText, or Ombuds' JSON interchange format.",
    )
    field_order = ["file", "profile", "label", "effective_date", "publish"]


class ConfirmImportForm(_ImportOptions):
    """Step 2: the file kept from step 1, the options again (a changed profile is previewed
    again before it is imported)."""

    staged = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    source_name = forms.CharField(max_length=255, required=False, widget=forms.HiddenInput)
    previewed = forms.RegexField(regex=r"^[0-9a-f]{64}$", required=False, widget=forms.HiddenInput)


class CodeSettingsForm(forms.Form):
    citation_prefix = forms.CharField(
        label="Citation prefix",
        required=False,
        max_length=code_settings.PREFIX_MAX,
        help_text="What members write before a citation, as in “CESP 3.8”: the code's own short "
        "name or the body's. Left empty, the body's short name.",
    )
    parsing_profile = forms.CharField(
        label="Parsing profile",
        required=False,
        max_length=code_settings.PROFILE_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=_PROFILE_HELP,
    )
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean_citation_prefix(self) -> str:
        try:
            return code_settings.check_prefix(self.cleaned_data["citation_prefix"])
        except CodeError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_parsing_profile(self) -> str:
        return _profile_errors(self.cleaned_data["parsing_profile"])


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
