"""Forms of the staff's disclosure pages: the list's filters and a review. The service checks the
review again (`ombuds.members.disclosure_review`)."""

from __future__ import annotations

from django import forms

from ombuds.members.disclosure_review import CONFLICT_CITATION, TEXT_MAX, ReviewFilters
from ombuds.members.models import Disclosure

_DATE = forms.DateInput(attrs={"type": "date"})


class FilterForm(forms.Form):
    holder = forms.CharField(
        label="Holder",
        required=False,
        max_length=100,
        help_text="Words of their name, their e-mail address or your identifier for them.",
    )
    relationship = forms.ChoiceField(
        label="Kind of relationship",
        required=False,
        choices=[("", "Any kind"), *Disclosure.Relationship.choices],
    )
    review = forms.ChoiceField(
        label="Review",
        required=False,
        choices=[
            ("", "Any"),
            *Disclosure.Review.choices,
            ("changed", "Changed since it was reviewed"),
        ],
    )
    made_from = forms.DateField(
        label="Made from",
        required=False,
        widget=_DATE,
        error_messages={"invalid": "Enter the first day as a date, e.g. 2026-01-31."},
    )
    made_until = forms.DateField(
        label="Made until",
        required=False,
        widget=_DATE,
        error_messages={"invalid": "Enter the last day as a date, e.g. 2026-12-31."},
    )

    def filters(self) -> ReviewFilters:
        """The filters of a valid form (none of an invalid one)."""
        if not self.is_valid():
            return ReviewFilters()
        return ReviewFilters(**self.cleaned_data)

    def clean(self):
        data = super().clean()
        for problem in ReviewFilters(**{k: v for k, v in data.items() if v}).problems():
            self.add_error(None, problem[:1].upper() + problem[1:] + ".")
        return data


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[
            (Disclosure.Review.ACKNOWLEDGED, "Acknowledge it: nothing more is asked of the holder"),
            (Disclosure.Review.CONDITIONS, "Set conditions the holder must keep to"),
            (Disclosure.Review.REFERRED, "Refer it to a case about the holder"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome."},
    )
    note = forms.CharField(
        label="What the holder is told",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on their disclosure page with an acknowledgement or conditions; "
        "not with a referral, which the case's procedure tells them of.",
    )
    conditions = forms.CharField(
        label="Conditions",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="With “Set conditions”: what the holder must do or keep to, "
        "e.g. “Do not take clients referred by this employer”.",
    )
    reason = forms.CharField(
        label="Why it is referred",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="With “Refer it to a case”: the case starts from this and the disclosure.",
    )
    citations = forms.CharField(
        label="Provisions the case cites",
        required=False,
        max_length=200,
        initial=CONFLICT_CITATION,
        help_text=f"With a referral: citations of the code in force, separated by commas "
        f"({CONFLICT_CITATION} when left empty).",
    )
    version = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def citation_list(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data.get("citations", "").split(",") if c.strip()]
