"""Forms of the first tier's pages: a client's complaint to a member agency, the messages of the
exchange, and how the agency closes it. They collect input and list every problem at once;
`ombuds.members.first_tier` decides."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from ombuds.members.first_tier import MAX_TEXT


class ClientComplaintForm(forms.Form):
    """What a client tells a member agency. A way to reply (email or phone) is asked for; a client
    who gives neither confirms they follow the complaint through their personal link only, so that
    nobody sends a complaint the agency cannot answer without knowing it."""

    client_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Give your name: the agency needs it to find your file.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    client_email = forms.EmailField(
        label=_("Your email address"),
        required=False,
        help_text=_(
            "Your personal link to the complaint, and the agency's answers, are sent here."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    client_phone = forms.CharField(
        label=_("Your phone number"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    link_only = forms.BooleanField(
        label=_(
            "I give no email address or phone number: I will follow the complaint through my "
            "personal link only"
        ),
        required=False,
        help_text=_("The link is shown once, when you send the complaint: keep it."),
    )
    client_case_number = forms.CharField(
        label=_("Your case number with the agency"),
        max_length=100,
        required=False,
        help_text=_("If you have one: it helps them find your file."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    subject = forms.CharField(
        label=_("What the complaint is about"),
        max_length=200,
        help_text=_("In a few words, for example: “Payment for March not passed on”."),
        error_messages={"required": _("Say in a few words what the complaint is about.")},
    )
    description = forms.CharField(
        label=_("What happened"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What was done or not done, when, and what you would like the agency to do."),
        error_messages={"required": _("Say what happened.")},
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["submission_key"].initial = secrets.token_hex(16)

    def clean(self):
        data = super().clean()
        reachable = data.get("client_email") or (data.get("client_phone") or "").strip()
        if not reachable and not data.get("link_only") and "client_email" not in self.errors:
            self.add_error(
                "client_email",
                _(
                    "Give an email address or a phone number so that the agency can answer you, "
                    "or tick the box to follow the complaint through your personal link only."
                ),
            )
        return data


class _TextForm(forms.Form):
    """One text, required, with the words of its label and of its error."""

    label = ""
    required_message = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["text"]
        field.label = self.label
        field.error_messages["required"] = self.required_message

    text = forms.CharField(max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5}))


class ClientMessageForm(_TextForm):
    label = "Your message to the agency"
    required_message = "Write your message."


class ReplyForm(_TextForm):
    label = "Your answer to the client"
    required_message = "Write your answer to the client."

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reply")
        super().__init__(*args, **kwargs)


class ResolveForm(_TextForm):
    label = "How it was resolved"
    required_message = "Summarise how the complaint was resolved: the client reads it."

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "resolve")
        super().__init__(*args, **kwargs)
        self.fields[
            "text"
        ].help_text = (
            "The client reads this summary, and it closes the complaint: no more messages after."
        )


class CloseForm(_TextForm):
    label = "Why it is closed without a resolution"
    required_message = "Say why the complaint is closed without a resolution."

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "close")
        super().__init__(*args, **kwargs)
        self.fields[
            "text"
        ].help_text = "The client reads this. Closing is final: no more messages after."
