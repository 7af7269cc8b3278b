"""What the API accepts, field by field: every input string has a maximum length (a text stored in
a column of the database: the column's own), every list a maximum number of items, every number a
range, and no string a NUL character (PostgreSQL cannot store one). Past any of them the request is
refused with 422 and Django Ninja's validation error body, before anything is read or written, on
every database alike.

The limits themselves (`ombuds.core.limits`) are re-exported here for the API's schemas.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, NinjaAPI, Schema

# The limits themselves are in ombuds.core.limits (the complaint JSON of ombuds.cases uses them too).
from ombuds.core.limits import (  # noqa: F401  (re-exported)
    DETAILS,
    ID_MAX,
    LIST_ITEMS,
    NARRATIVE,
    NO_NUL,
    OUTCOME,
    PASSPHRASE,
    column,
    column_item,
    item,
    row_id,
    text,
)

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
