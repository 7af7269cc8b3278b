"""A client generated from the schema gets each answer's own shape: no two schemas share a name
(Django Ninja names a component after its class, and of two classes of one name OpenAPI keeps one,
so one endpoint would be documented with the other's shape), and every documented response is the
model the endpoint validates its answer with."""

from __future__ import annotations

from collections import defaultdict

from ninja.constants import NOT_SET

from ombuds.api.urls import api
from tests.api.openapi_walk import models_in, operations

REF = "#/components/schemas/{model}"


def _shape(schema):
    """A schema as a client reads it: Ninja leaves out a `default` of null, so a null default says
    nothing either way."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if not (k == "default" and v is None)}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


def _registry() -> dict[str, set[str]]:
    """Every model any operation reads or answers, by the name its schema gets."""
    found: set = set()
    for _path, operation in operations():
        for model in operation.response_models.values():
            if model not in (NOT_SET, None):
                models_in(model, found)
        for model in operation.models or []:
            models_in(model, found)
    names: dict[str, set[str]] = defaultdict(set)
    for model in found:
        names[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    return names


def test_no_two_schemas_of_the_api_share_a_name():
    shared = {name: sorted(where) for name, where in _registry().items() if len(where) > 1}
    assert not shared, shared


def test_every_answer_model_is_a_component_under_its_own_name():
    openapi = api.get_openapi_schema()
    components = openapi["components"]["schemas"]
    missing = []
    for path, operation in operations():
        for status, model in operation.response_models.items():
            if model in (NOT_SET, None):
                continue
            for inner in models_in(model.model_fields["response"].annotation, set()):
                if inner.__name__ not in components:
                    missing.append(f"{path} {status}: {inner.__name__}")
    assert not missing, missing
    assert {"ProblemOut", "ValidationProblemOut"} <= set(components)


def test_every_documented_answer_is_the_shape_the_endpoint_returns():
    """For each operation and status, the model the endpoint validates its answer with, turned into
    a JSON schema on its own, is what the document says under that status, definition by
    definition."""
    openapi = api.get_openapi_schema()
    components = openapi["components"]["schemas"]
    differ = []
    for path, operation in operations():
        for status, model in operation.response_models.items():
            if model in (NOT_SET, None):
                continue
            field = model.model_json_schema(ref_template=REF, mode="serialization")
            for name, definition in field.get("$defs", {}).items():
                if _shape(components.get(name)) != _shape(definition):
                    differ.append(f"{operation.methods} {path} {status}: {name}")
    assert not differ, "\n".join(differ)
