"""Walking the API's own description: its operations, their models (the ninja registry: what the
endpoints validate and return) and the OpenAPI document generated from them."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pydantic

from ombuds.api.urls import api


def operations() -> Iterator[tuple[str, Any]]:
    """(path, operation) of every operation the API routes."""
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                yield prefix + path, operation


def models_in(
    annotation: Any, found: set[type[pydantic.BaseModel]]
) -> set[type[pydantic.BaseModel]]:
    """Every pydantic model `annotation` is or holds (fields, lists, unions), recursively."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        if annotation in found:
            return found
        found.add(annotation)
        for field in annotation.model_fields.values():
            models_in(field.annotation, found)
    for argument in typing.get_args(annotation):
        models_in(argument, found)
    return found


def documented(openapi: dict, path: str, method: str) -> dict:
    return openapi["paths"][path][method.lower()]


def resolve(schema: dict, openapi: dict) -> dict:
    """A validator's view of one documented schema: its $refs resolve in the document."""
    return {**schema, "components": openapi["components"]}
