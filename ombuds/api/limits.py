"""What the API accepts, field by field: every input string has a maximum length (a text stored in
a column of the database: the column's own), every list a maximum number of items, every number a
range, and no string a NUL character (PostgreSQL cannot store one). Past any of them the request is
refused with 422 and Django Ninja's validation error body, before anything is read or written, on
every database alike.

The limits of texts with no column limit (narratives, details, reasons) are the ones below, the same
as the pages' forms where those have one.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.db import models
from ninja import Field, NinjaAPI, Schema
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


# --- the 422 answer, documented on every operation that reads input ------------------------------


class ValidationProblem(Schema):
    type: str = Field(..., description="What is wrong, e.g. string_too_long, missing.")
    loc: list[str | int] = Field(
        ..., description="Where: the part of the request (body, query, path), then the field."
    )
    msg: str
    ctx: dict[str, Any] | None = Field(None, description="The limit broken, e.g. max_length.")


class ValidationErrorOut(Schema):
    detail: list[ValidationProblem]


_422 = {
    "description": "The request does not have the documented shape: a field missing, of the wrong "
    "type, past its maximum length or range, or with a NUL character. Every problem at once.",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ValidationErrorOut"}}
    },
}


class LimitedAPI(NinjaAPI):
    """The site's API, its schema listing the 422 answer on every operation that takes input."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        json_schema = ValidationErrorOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(json_schema.pop("$defs", {}))
        components["ValidationErrorOut"] = json_schema
        for operations in schema["paths"].values():
            for operation in operations.values():
                if operation.get("parameters") or operation.get("requestBody"):
                    operation.setdefault("responses", {}).setdefault(422, _422)
        return schema
