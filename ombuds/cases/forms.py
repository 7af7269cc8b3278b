"""Forms of the case pages. They collect input; the services decide.

The forms check what a person can correct on the page (every problem at once: a missing name, a short
passphrase, a file that is not what its name says) so that the page lists them all together; the
services check again and stay the authority.
"""

from __future__ import annotations

import secrets

from django import forms
from django.utils import timezone

from ombuds.cases import documents
from ombuds.cases.models import Case
from ombuds.cases.services.filing import PASSPHRASE_MIN
from ombuds.core.fields import RecordsField


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked by its content (not its name or the type the
    browser gave): cleaned to a list of (name, bytes), or every problem with every file."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": documents.ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            uploaded = [single(d, initial) for d in data if d]
        else:
            uploaded = [single(data, initial)] if data else []
        if len(uploaded) > documents.MAX_FILES:
            raise forms.ValidationError(
                f"Attach at most {documents.MAX_FILES} files (you chose {len(uploaded)})."
            )
        files, problems = [], []
        for upload in uploaded:
            if upload.size > documents.MAX_BYTES:
                # Not read into memory: its size is enough to refuse it.
                problems.append(
                    f"{upload.name} is larger than {documents.MAX_BYTES // (1024 * 1024)} MB."
                )
                continue
            data = upload.read()
            try:
                documents.check_upload(upload.name, data)
            except documents.UploadRefused as exc:
                problems.append(f"{exc}.")  # it starts with the file's name, as it was written
                continue
            files.append((upload.name, data))
        if problems:
            raise forms.ValidationError(problems)
        return files


class ComplaintForm(forms.Form):
    who = forms.ChoiceField(
        label="Who is complaining",
        choices=[("named", "I give my name"), ("anonymous", "I want to stay anonymous")],
        widget=forms.RadioSelect,
        initial="named",
        error_messages={"required": "Choose whether you give your name or stay anonymous."},
    )
    # Required or not by the choice of anonymity (see __init__).
    complainant_name = forms.CharField(
        label="Your name",
        max_length=200,
        error_messages={"required": "Give your name, or choose to stay anonymous."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    complainant_email = forms.EmailField(
        label="Your email address",
        required=False,
        help_text="We send your acknowledgement and news of the complaint here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    complainant_phone = forms.CharField(
        label="Your phone number",
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    consent_to_share = forms.BooleanField(
        label="The person or agency I complain about may be told who I am",
        required=False,
        help_text="Without this, we do not tell them your name.",
    )
    passphrase = forms.CharField(
        label="Choose a passphrase",
        strip=False,
        error_messages={
            "required": f"Choose a passphrase of at least {PASSPHRASE_MIN} characters."
        },
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=f"At least {PASSPHRASE_MIN} characters. With the receipt code we give you, it "
        "lets you follow the complaint and write to us without giving your name. We cannot recover "
        "it.",
    )
    passphrase_again = forms.CharField(
        label="The passphrase again",
        strip=False,
        error_messages={"required": "Type the passphrase again."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    complainant_relation = forms.ChoiceField(
        label="You are",
        choices=Case.Relation.choices,
        widget=forms.RadioSelect,
        initial=Case.Relation.CLIENT,
        error_messages={"required": "Say how you relate to them."},
    )
    respondent_kind = forms.ChoiceField(
        label="The complaint is about",
        choices=[("agency", "An agency or company"), ("person", "A person")],
        widget=forms.RadioSelect,
        initial="agency",
        error_messages={"required": "Say whether it is about an agency or a person."},
    )
    respondent_name = forms.CharField(
        label="Their name",
        max_length=300,
        help_text="As you know it: a trade name is fine.",
        error_messages={"required": "Say who the complaint is about."},
    )
    respondent_number = forms.CharField(
        label="Their credential or membership number",
        max_length=50,
        required=False,
        help_text="If you know it (it is on the public register).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
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
        error_messages={"required": "Say what happened."},
    )
    provisions = RecordsField(
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
    # The complaint made to a member agency first (`ombuds.members.first_tier`); the service checks
    # it. Filled in, and hidden, when the complainant comes from that complaint's page.
    first_tier_link = forms.CharField(
        label="Your complaint to the agency first",
        max_length=500,
        required=False,
        help_text="If you complained to the agency through this site first, paste the personal "
        "link you were given: the exchange shows what you did to settle it with them.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
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
        # A named complainant gives their name; an anonymous one a passphrase. Before the choice is
        # sent, both are marked as needed: the page shows only the group of the choice made.
        anonymous = self.data.get("who") == "anonymous" if self.is_bound else None
        self.fields["complainant_name"].required = anonymous is not True
        for name in ("passphrase", "passphrase_again"):
            self.fields[name].required = anonymous is not False
        if not provisions.exists():
            del self.fields["provisions"]

    def clean_happened_on(self):
        day = self.cleaned_data["happened_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError("The date it happened cannot be in the future.")
        return day

    def clean(self):
        data = super().clean()
        if data.get("who") == "anonymous":
            # The consent box is in the page's named group, which an anonymous complainant leaves
            # behind (what else that group holds, the service does not keep for them).
            data["consent_to_share"] = False
            passphrase, again = data.get("passphrase"), data.get("passphrase_again")
            if passphrase and len(passphrase) < PASSPHRASE_MIN:
                self.add_error(
                    "passphrase",
                    f"Choose a passphrase of at least {PASSPHRASE_MIN} characters (this one has "
                    f"{len(passphrase)}).",
                )
            if passphrase and again and passphrase != again:
                self.add_error("passphrase_again", "The two passphrases differ.")
        start, end = data.get("happened_on"), data.get("happened_until")
        if start and end and end < start:
            self.add_error("happened_until", "The end of what happened cannot be before its start.")
        return data


class FollowupForm(forms.Form):
    receipt_code = forms.CharField(
        label="Receipt code",
        max_length=20,
        error_messages={"required": "Enter the receipt code."},
        help_text="As it was shown when you complained, like ABCD-EFGH-JKMN.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    passphrase = forms.CharField(
        label="Passphrase",
        strip=False,
        error_messages={"required": "Enter your passphrase."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PartyMessageForm(forms.Form):
    body = forms.CharField(
        label="Your message",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        error_messages={"required": "Write your message."},
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
