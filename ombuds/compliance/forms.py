"""Forms of the compliance pages. They collect input; the services decide (and say the rest).

The filing form is made from the return as the programme declares it: a file input per CSV file
it contains, each named and described by the programme. It checks what the filer can correct on
the page, every problem at once: no period or one that is not written as a period, a file not
chosen, too large or empty."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms

from ombuds.compliance import periods
from ombuds.compliance.findings import ANSWER_MAX
from ombuds.compliance.programme import ReturnSpec
from ombuds.core import uploads
from ombuds.core.dates import add_months
from ombuds.core.limits import DETAILS, ID_MAX

# The version the page was read at (hidden): missing or mangled only when the page was not ours.
STALE = {
    "required": "The page was out of date: open it again.",
    "max_length": "The page was out of date: open it again.",
}
# How many past periods the filing form offers to choose from, by the return's period.
RECENT = {"monthly": 12, "quarterly": 8, "yearly": 5}
TYPED = {
    "monthly": "YYYY-MM, such as 2026-03",
    "quarterly": "YYYY-Qn, such as 2026-Q1",
    "yearly": "YYYY, such as 2026",
    "on_change": "the day the change takes effect, YYYY-MM-DD",
}


@dataclass(frozen=True)
class Period:
    """A period the form offers: how it is written (the choice's value) and shown."""

    value: str
    start: dt.date
    end: dt.date
    label: str


def period_label(kind: str, start: dt.date, end: dt.date) -> str:
    if kind == "monthly" and periods.problem(kind, (start, end)) == "":
        return f"{start:%B %Y}"
    if kind == "quarterly" and periods.problem(kind, (start, end)) == "":
        return f"{start.year} Q{(start.month + 2) // 3} ({start:%B} to {end:%B})"
    if kind == "yearly" and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return f"{start.year}"
    if start == end:
        return f"{start.day} {start:%B %Y}"
    return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"


def period_value(kind: str, start: dt.date, end: dt.date) -> str:
    """The period as `periods.parse` reads it back."""
    if kind == "monthly":
        return f"{start:%Y-%m}"
    if kind == "quarterly":
        return f"{start.year}-Q{(start.month + 2) // 3}"
    if kind == "yearly" and (start.month, start.day) == (1, 1):
        return f"{start.year}"
    if start == end:
        return start.isoformat()
    return f"{start.isoformat()}..{end.isoformat()}"


def recent_periods(kind: str, today: dt.date) -> list[Period]:
    """The whole periods that ended before today, the latest first (none for a return filed on a
    change: its day is the filer's to give)."""
    last = periods.last(kind, today)
    if last is None:
        return []
    months = periods.MONTHS.get(kind, 1)
    found = []
    for n in range(RECENT.get(kind, 12)):
        start = add_months(last[0], -months * n)
        end = add_months(start, months) - dt.timedelta(days=1)
        found.append(
            Period(period_value(kind, start, end), start, end, period_label(kind, start, end))
        )
    return found


class ReturnFilingForm(forms.Form):
    """The period, a file per CSV file of the return, a file per document (with its expiry date
    when it expires), a box per statement to attest, and the return it amends (when one was filed
    for the period already: the page offers it). A document may be left out (the checks then find
    it missing); a CSV file may not."""

    period = forms.ChoiceField(label="Recent periods", required=False)
    other_period = forms.CharField(label="Or type the period", required=False, max_length=30)
    amends = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX)

    def __init__(
        self,
        *args,
        declared: ReturnSpec,
        choices: list[tuple[str, str]],
        max_bytes: int,
        too_large: frozenset[str] = frozenset(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.declared = declared
        self.max_bytes = max_bytes
        self.too_large = too_large
        self.fields["period"].choices = [("", "Choose the period"), *choices]
        typed = TYPED.get(declared.period, periods.FORMS)
        self.fields["other_period"].help_text = f"When the period is not in the list: {typed}."
        if not choices:
            del self.fields["period"]
            self.fields["other_period"].label = "Write the period"
        for key, spec in declared.files.items():
            columns = ", ".join(c.name for c in spec.columns)
            self.fields[key] = forms.FileField(
                label=f"{spec.label} ({key})",
                error_messages={"required": "Choose the file.", "empty": "The file is empty."},
                help_text=f"A CSV file whose first line names its columns: {columns}. "
                f"At most {self.max_megabytes} MB.",
                widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
            )
        for key, spec in declared.documents.items():
            self.fields[f"document_{key}"] = forms.FileField(
                label=spec.label,
                required=False,
                error_messages={"empty": "The file is empty."},
                help_text=f"{uploads.ACCEPTED}, at most "
                f"{uploads.MAX_BYTES // (1024 * 1024)} MB. Leave it out if you do not have it: "
                "the checks will say it is missing.",
                widget=forms.FileInput(attrs={"accept": uploads.ACCEPT_ATTRIBUTE}),
            )
            if spec.expires:
                self.fields[f"expires_{key}"] = forms.DateField(
                    label=f"{spec.label}: expires on",
                    required=False,
                    help_text="The last day it is in force, as written on it (YYYY-MM-DD).",
                    error_messages={"invalid": "Write the date as YYYY-MM-DD, such as 2027-06-30."},
                    widget=forms.DateInput(attrs={"type": "date"}),
                )
        for key, spec in declared.statements.items():
            self.fields[f"statement_{key}"] = forms.BooleanField(label=spec.label, required=False)

    @property
    def max_megabytes(self) -> int:
        return max(1, self.max_bytes // (1024 * 1024))

    def file_keys(self) -> list[str]:
        return list(self.declared.files)

    def document_fields(self) -> list[tuple[forms.BoundField, forms.BoundField | None]]:
        """Each document's file field, with its expiry date's field when it expires."""
        return [
            (self[f"document_{key}"], self[f"expires_{key}"] if spec.expires else None)
            for key, spec in self.declared.documents.items()
        ]

    def statement_fields(self) -> list[forms.BoundField]:
        return [self[f"statement_{key}"] for key in self.declared.statements]

    def documents_given(self) -> tuple[list[tuple[str, object]], dict[str, dt.date | None]]:
        """The documents chosen (key, upload) and the expiry dates given, by document."""
        chosen = [
            (key, self.cleaned_data[f"document_{key}"])
            for key in self.declared.documents
            if self.cleaned_data.get(f"document_{key}")
        ]
        expires = {
            key: self.cleaned_data.get(f"expires_{key}")
            for key, spec in self.declared.documents.items()
            if spec.expires and self.cleaned_data.get(f"expires_{key}")
        }
        return chosen, expires

    def statements_attested(self) -> list[str]:
        return [k for k in self.declared.statements if self.cleaned_data.get(f"statement_{k}")]

    def clean(self):
        data = super().clean()
        typed = (data.get("other_period") or "").strip()
        chosen = typed or data.get("period") or ""
        where = "other_period" if typed or "period" not in self.fields else "period"
        if not chosen:
            if "other_period" not in self.errors:
                self.add_error(where, "Choose the period the return is for.")
        else:
            try:
                data["period_dates"] = periods.parse(chosen)
            except ValueError:
                self.add_error(
                    where,
                    f"Write the period as {TYPED.get(self.declared.period, periods.FORMS)}.",
                )
        for key in self.file_keys():
            upload = data.get(key)
            if key in self.too_large or (upload is not None and upload.size > self.max_bytes):
                # Skipped as it arrived: not "not chosen", whatever the field said.
                self.errors.pop(key, None)
                self.add_error(key, f"The file is larger than {self.max_megabytes} MB.")
        for key, spec in self.declared.documents.items():
            name = f"document_{key}"
            upload = data.get(name)
            if name in self.too_large or (upload is not None and upload.size > uploads.MAX_BYTES):
                self.errors.pop(name, None)
                self.add_error(
                    name, f"The file is larger than {uploads.MAX_BYTES // (1024 * 1024)} MB."
                )
            elif spec.expires and upload is not None and not data.get(f"expires_{key}"):
                if f"expires_{key}" not in self.errors:
                    self.add_error(f"expires_{key}", "Give the date it expires.")
            elif spec.expires and upload is None and data.get(f"expires_{key}"):
                self.add_error(name, "Choose the document whose expiry date you gave.")
        return data


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer",
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What happened and what the agency did about it. The council reads it; to "
        "correct the records themselves, file an amended return instead.",
        error_messages={"required": "Write the answer: what happened and what you did about it."},
    )
    version = forms.CharField(widget=forms.HiddenInput, max_length=40, error_messages=STALE)


class CloseForm(forms.Form):
    reason = forms.CharField(
        label="Why the finding is closed",
        max_length=DETAILS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The agency reads it on its page: the answer satisfies the council, the finding "
        "was wrong, or what was put right.",
        error_messages={"required": "Say why the finding is closed."},
    )
    version = forms.CharField(widget=forms.HiddenInput, max_length=40, error_messages=STALE)


class ReferForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, max_length=40, error_messages=STALE)
