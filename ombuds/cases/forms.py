"""Forms of the case pages. They collect input; the services decide.

The forms check what a person can correct on the page (every problem at once: a missing name, a short
passphrase, a file that is not what its name says) so that the page lists them all together; the
services check again and stay the authority.
"""

from __future__ import annotations

import secrets

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

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
                _("Attach at most %(max)d files (you chose %(count)d).")
                % {"max": documents.MAX_FILES, "count": len(uploaded)}
            )
        files, problems = [], []
        for upload in uploaded:
            if upload.size > documents.MAX_BYTES:
                # Not read into memory: its size is enough to refuse it.
                problems.append(
                    _("%(name)s is larger than %(mb)d MB.")
                    % {"name": upload.name, "mb": documents.MAX_BYTES // (1024 * 1024)}
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
        label=_("Who is complaining"),
        choices=[("named", _("I give my name")), ("anonymous", _("I want to stay anonymous"))],
        widget=forms.RadioSelect,
        initial="named",
        error_messages={"required": _("Choose whether you give your name or stay anonymous.")},
    )
    # Required or not by the choice of anonymity (see __init__).
    complainant_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Give your name, or choose to stay anonymous.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    complainant_email = forms.EmailField(
        label=_("Your email address"),
        required=False,
        help_text=_("We send your acknowledgement and news of the complaint here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    complainant_phone = forms.CharField(
        label=_("Your phone number"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    consent_to_share = forms.BooleanField(
        label=_("The person or agency I complain about may be told who I am"),
        required=False,
        help_text=_("Without this, we do not tell them your name."),
    )
    passphrase = forms.CharField(
        label=_("Choose a passphrase"),
        strip=False,
        error_messages={
            "required": format_lazy(
                _("Choose a passphrase of at least {n} characters."), n=PASSPHRASE_MIN
            )
        },
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=format_lazy(
            _(
                "At least {n} characters. With the receipt code we give you, it lets you follow "
                "the complaint and write to us without giving your name. We cannot recover it."
            ),
            n=PASSPHRASE_MIN,
        ),
    )
    passphrase_again = forms.CharField(
        label=_("The passphrase again"),
        strip=False,
        error_messages={"required": _("Type the passphrase again.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    complainant_relation = forms.ChoiceField(
        label=_("You are"),
        choices=Case.Relation.choices,
        widget=forms.RadioSelect,
        initial=Case.Relation.CLIENT,
        error_messages={"required": _("Say how you relate to them.")},
    )
    respondent_kind = forms.ChoiceField(
        label=_("The complaint is about"),
        choices=[("agency", _("An agency or company")), ("person", _("A person"))],
        widget=forms.RadioSelect,
        initial="agency",
        error_messages={"required": _("Say whether it is about an agency or a person.")},
    )
    respondent_name = forms.CharField(
        label=_("Their name"),
        max_length=300,
        help_text=_("As you know it: a trade name is fine."),
        error_messages={"required": _("Say who the complaint is about.")},
    )
    respondent_number = forms.CharField(
        label=_("Their credential or membership number"),
        max_length=50,
        required=False,
        help_text=_("If you know it (it is on the public register)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    respondent_details = forms.CharField(
        label=_("Anything else that identifies them"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Address, website, email, where they work."),
    )
    happened_on = forms.DateField(
        label=_("When it happened (or began)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    happened_until = forms.DateField(
        label=_("When it ended"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    what_happened = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=_(
            "In your own words: what was done or not done, by whom, and how it affected you."
        ),
        error_messages={"required": _("Say what happened.")},
    )
    provisions = RecordsField(
        queryset=None,
        required=False,
        label=_("Which parts of the code you think were broken"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("If you are not sure, leave this: we will work it out."),
    )
    outcome_sought = forms.CharField(
        label=_("What you would like to happen"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    files = MultipleFileField(
        label=_("Evidence"),
        required=False,
        help_text=format_lazy(
            _("Up to {files} files of up to {mb} MB each: {accepted}."),
            files=documents.MAX_FILES,
            mb=documents.MAX_BYTES // (1024 * 1024),
            accepted=documents.ACCEPTED,
        ),
    )
    # The complaint made to a member agency first (`ombuds.members.first_tier`); the service checks
    # it. Filled in, and hidden, when the complainant comes from that complaint's page.
    first_tier_link = forms.CharField(
        label=_("Your complaint to the agency first"),
        max_length=500,
        required=False,
        help_text=_(
            "If you complained to the agency through this site first, paste the personal "
            "link you were given: the exchange shows what you did to settle it with them."
        ),
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
        # Without a code in force there is nothing to cite. A code with no provision to cite: the
        # page leaves the field out (`{% if form.provisions|length %}`, its choices read once).
        if provisions.query.is_empty():
            del self.fields["provisions"]

    def clean_happened_on(self):
        day = self.cleaned_data["happened_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("The date it happened cannot be in the future."))
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
                    _(
                        "Choose a passphrase of at least %(min)d characters (this one has "
                        "%(length)d)."
                    )
                    % {"min": PASSPHRASE_MIN, "length": len(passphrase)},
                )
            if passphrase and again and passphrase != again:
                self.add_error("passphrase_again", _("The two passphrases differ."))
        start, end = data.get("happened_on"), data.get("happened_until")
        if start and end and end < start:
            self.add_error(
                "happened_until", _("The end of what happened cannot be before its start.")
            )
        return data


class FollowupForm(forms.Form):
    receipt_code = forms.CharField(
        label=_("Receipt code"),
        max_length=20,
        error_messages={"required": _("Enter the receipt code.")},
        help_text=_("As it was shown when you complained, like ABCD-EFGH-JKMN."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    passphrase = forms.CharField(
        label=_("Passphrase"),
        strip=False,
        error_messages={"required": _("Enter your passphrase.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PartyMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        error_messages={"required": _("Write your message.")},
    )


class AnswerForm(forms.Form):
    body = forms.CharField(
        label=_("Your answer"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=50000,
        required=False,
    )
    files = MultipleFileField(
        label=_("Documents"),
        required=False,
        help_text=format_lazy(
            _("Up to {files} files of up to {mb} MB each: {accepted}."),
            files=documents.MAX_FILES,
            mb=documents.MAX_BYTES // (1024 * 1024),
            accepted=documents.ACCEPTED,
        ),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files"):
            raise forms.ValidationError(_("Write your answer or attach a document."))
        return data
