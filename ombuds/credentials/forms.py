from __future__ import annotations

from django import forms

MAX_BYTES = 64 * 1024


class VerifyForm(forms.Form):
    token = forms.CharField(
        label="Paste the credential",
        required=False,
        max_length=MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text="The text of the .jwt file the holder gave you (it starts with eyJ), or its JSON.",
    )
    file = forms.FileField(
        label="Or upload the file",
        required=False,
        help_text="The holder's credential file (.jwt or .json), at most 64 KB.",
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} KB; the limit is 64 KB."
            )
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not text: upload the credential file itself (.jwt or .json)."
            ) from None

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("token") or "").strip() and not data.get("file"):
            raise forms.ValidationError("Paste the credential or choose its file.")
        if (data.get("token") or "").strip() and data.get("file"):
            raise forms.ValidationError("Paste the credential or choose its file, not both.")
        return data

    @property
    def text(self) -> str:
        return (self.cleaned_data.get("token") or "").strip() or self.cleaned_data.get("file") or ""
