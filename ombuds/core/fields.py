"""Form fields every app may use."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

# The largest id a row can have in any database Ombuds runs on (a 64-bit signed integer).
ID_MAX = 2**63 - 1


class ReadWhole(forms.models.ModelChoiceIterator):
    """The choices as Django's iterator gives them, the records read by one plain query rather than
    through ``QuerySet.iterator()`` (on PostgreSQL a server-side cursor: declared, fetched and
    closed, three round trips) for a list that a page shows whole anyway (a code's provisions). A
    queryset with ``prefetch_related`` is Django's to read (once, its results kept), as before."""

    def __iter__(self):
        if self.queryset._prefetch_related_lookups:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():  # a fresh query each listing, as Django's iterator makes
            yield self.choice(obj)


class RecordsField(forms.ModelMultipleChoiceField):
    """Several records chosen by id. An id past any database's integers is refused as no choice,
    as an unknown id is, rather than sent to the database (where SQLite raises OverflowError and
    PostgreSQL an error about the range: a 500). Its choices are read in one plain query
    (`ReadWhole`)."""

    iterator = ReadWhole

    def _check_values(self, value):
        for item in value:
            text = str(item).strip().removeprefix("-")
            if text.isdigit() and int(text) > ID_MAX:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super()._check_values(value)
