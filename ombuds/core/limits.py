"""The limits of what the site takes as input, shared by the API (`ombuds.api.limits`) and the
schemas of the apps below it (the complaint JSON the API and the command line both read): every
string a maximum length (a text stored in a column: the column's own), every list a maximum number
of items, every number a range, and no string a NUL character (PostgreSQL cannot store one).

The limits of texts with no column limit (narratives, details, reasons) are the ones below, the same
as the pages' forms where those have one.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.db import models
from ninja import Field
from pydantic import StringConstraints

# Texts kept in TextFields, which have no limit of their own.
NARRATIVE = 20_000  # what happened, a message, a step's text inputs
OUTCOME = 5_000  # what the complainant would like to happen (as on the complaint form)
DETAILS = 2_000  # details, reasons, conditions, a summary, the nature of a relationship
PASSPHRASE = 500
# Lists and numbers.
LIST_ITEMS = 50  # citations, trade names, a step's inputs
ID_MAX = 2**63 - 1  # the largest id a database row can have

# No NUL character anywhere: PostgreSQL refuses to store or even compare one.
NO_NUL = r"^[^\x00]*$"


def column(model: type[models.Model], name: str, default: Any = ..., **kwargs: Any) -> Any:
    """A string stored in `model.name`: at most as long as that column."""
    return Field(
        default, max_length=model._meta.get_field(name).max_length, pattern=NO_NUL, **kwargs
    )


def text(max_length: int, default: Any = ..., **kwargs: Any) -> Any:
    """A string of at most `max_length` characters."""
    return Field(default, max_length=max_length, pattern=NO_NUL, **kwargs)


def item(max_length: int) -> Any:
    """The type of one string in a list or a mapping, at most `max_length` characters."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NO_NUL)]


def column_item(model: type[models.Model], name: str) -> Any:
    return item(model._meta.get_field(name).max_length)


def row_id(default: Any = ..., **kwargs: Any) -> Any:
    """The id of a database row."""
    return Field(default, ge=1, le=ID_MAX, **kwargs)
