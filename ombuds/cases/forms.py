"""Forms of the case pages. They collect input; the services decide."""

from __future__ import annotations

import secrets

from django import forms

from ombuds.cases import documents
from ombuds.cases.models import Case, Message


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by its content when the case is filed."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ComplaintForm(forms.Form):
    who = forms.ChoiceField(
        label="Who is complaining",
        choices=[("named", "I give my name"), ("anonymous", "I want to stay anonymous")],
        widget=forms.RadioSelect,
        initial="named",
    )
    complainant_name = forms.CharField(label="Your name", max_length=200, required=False)
    complainant_email = forms.EmailField(
        label="Your email address",
        required=False,
        help_text="We send your acknowledgement and news of the complaint here.",
    )
    complainant_phone = forms.CharField(label="Your phone number", max_length=50, required=False)
    consent_to_share = forms.BooleanField(
        label="The person or agency I complain about may be told who I am",
        required=False,
        help_text="Without this, we do not tell them your name.",
    )
    passphrase = forms.CharField(
        label="Choose a passphrase",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters. With the receipt code we give you, it lets you follow "
        "the complaint and write to us without giving your name. We cannot recover it.",
    )
    passphrase_again = forms.CharField(
        label="The passphrase again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    complainant_relation = forms.ChoiceField(
        label="You are",
        choices=Case.Relation.choices,
        widget=forms.RadioSelect,
        initial=Case.Relation.CLIENT,
    )
    respondent_kind = forms.ChoiceField(
        label="The complaint is about",
        choices=[("agency", "An agency or company"), ("person", "A person")],
        widget=forms.RadioSelect,
        initial="agency",
    )
    respondent_name = forms.CharField(
        label="Their name", max_length=300, help_text="As you know it: a trade name is fine."
    )
    respondent_number = forms.CharField(
        label="Their credential or membership number",
        max_length=50,
        required=False,
        help_text="If you know it (it is on the public register).",
    )
    respondent_details = forms.CharField(
        label="Anything else that identifies them",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Address, website, email, where they work.",
    )
    happened_on = forms.DateField(
        label="When it happened (or began)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    happened_until = forms.DateField(
        label="When it ended", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    what_happened = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text="In your own words: what was done or not done, by whom, and how it affected you.",
    )
    provisions = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        label="Which parts of the code you think were broken",
        widget=forms.CheckboxSelectMultiple,
        help_text="If you are not sure, leave this: we will work it out.",
    )
    outcome_sought = forms.CharField(
        label="What you would like to happen",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    files = MultipleFileField(
        label="Evidence",
        required=False,
        help_text=f"Up to {documents.MAX_FILES} files of up to "
        f"{documents.MAX_BYTES // (1024 * 1024)} MB each: {documents.ACCEPTED}.",
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, provisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provisions"].queryset = provisions
        self.fields["provisions"].label_from_instance = lambda p: (
            f"{p.citation}: {p.full_text or p.text}"
        )
        if not self.is_bound:
            self.fields["submission_key"].initial = secrets.token_hex(16)
        if not provisions.exists():
            del self.fields["provisions"]

    def clean(self):
        data = super().clean()
        if data.get("who") == "anonymous":
            if data.get("passphrase") != data.get("passphrase_again"):
                self.add_error("passphrase_again", "The two passphrases differ.")
        elif not (data.get("complainant_name") or "").strip():
            self.add_error("complainant_name", "Give your name, or choose to stay anonymous.")
        return data


class FollowupForm(forms.Form):
    receipt_code = forms.CharField(
        label="Receipt code", max_length=20, help_text="As it was shown when you complained."
    )
    passphrase = forms.CharField(
        label="Passphrase",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PartyMessageForm(forms.Form):
    body = forms.CharField(
        label="Your message", widget=forms.Textarea(attrs={"rows": 5}), max_length=20000
    )


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=50000,
        required=False,
    )
    files = MultipleFileField(
        label="Documents",
        required=False,
        help_text=f"Up to {documents.MAX_FILES} files of up to "
        f"{documents.MAX_BYTES // (1024 * 1024)} MB each: {documents.ACCEPTED}.",
    )

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files"):
            raise forms.ValidationError("Write your answer or attach a document.")
        return data


class StaffMessageForm(forms.Form):
    audience = forms.ChoiceField(
        label="Who it is for", choices=Message.Audience.choices, widget=forms.RadioSelect
    )
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}))
