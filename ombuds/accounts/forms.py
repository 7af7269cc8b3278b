"""Forms of the account pages; `ombuds.accounts.services` checks everything again when saving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

# The password validators (settings.AUTH_PASSWORD_VALIDATORS) in words, as one plain hint: Django's
# own hint is an HTML list, which does not belong inside a hint paragraph.
PASSWORD_HINT = (
    "At least 8 characters; not only digits, not a commonly used password, and not like your "
    "name or email address. A few unrelated words make a strong one."
)


class AcceptForm(forms.Form):
    """Choosing the password of a new account. Every problem at once: the two passwords differing,
    and each rule the password breaks."""

    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        help_text=PASSWORD_HINT,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choose a password."},
    )
    password2 = forms.CharField(
        label="Type the password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again, to be sure of it."},
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        # The account about to be made, unsaved: the validators compare the password with its name.
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1:
            try:
                validate_password(password1, self.user)
            except ValidationError as invalid:
                for message in invalid.messages:
                    self.add_error("password1", message)
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords are not the same.")
        return cleaned


class LinkForm(forms.Form):
    """Linking the signed-in account to the invited record: a button, and room for refusals."""


class CodeForm(forms.Form):
    """A second-factor code: the authenticator's 6 digits, or a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The 6-digit code your authenticator app shows for Ombuds, or one of your "
        "recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the code."},
    )


class SetupCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=20,
        help_text="6 digits, as the app shows them now.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "Enter the 6-digit code the app shows."},
    )


class SignInForm(auth_forms.AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = "Members: the email address your invitation came to."


class _EveryProblem:
    """Django's password forms check the rules only once the two passwords match, and against the
    second; these check them always, against the first (where the hint is), so that every problem
    shows at once."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HINT
        self.fields["new_password2"].label = "Type the new password again"
        self.fields["new_password2"].help_text = ""

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)


class PasswordChangeForm(_EveryProblem, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(_EveryProblem, auth_forms.SetPasswordForm):
    pass
