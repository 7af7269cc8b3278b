"""A client generated from the schema can trust it: Schemathesis loads `/api/v1/openapi.json`
and calls every public operation (no token needed) through the WSGI application, with the real
identifiers of a small world (a body, its published code, one of its provisions, a credential),
and checks that every answer has a documented status, the documented content type and a body
(and headers) of the documented shape. Then every public read is called once as a client would,
and its answer validated against the schema the document gives for its status.

Bounded to stay well under a minute: a few derandomized examples per operation."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from jsonschema_rs import Draft202012Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ombuds.api.urls import api

pytestmark = pytest.mark.django_db

EXAMPLES = 3

OPENAPI = api.get_openapi_schema()
PUBLIC = sorted(
    operation["operationId"]
    for operations in OPENAPI["paths"].values()
    for operation in operations.values()
    if not operation.get("security")
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application()).include(
    operation_id=PUBLIC
)


@pytest.fixture(autouse=True)
def _one_connection():
    """Requests run in the test's transaction (the connection is not closed after each one)."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def _real(small) -> dict[str, str]:
    return {"org": small.org, "citation": small.citation, "number": small.number}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_public_answer_conforms_to_the_schema(case, small):
    for name in case.path_parameters or {}:
        if name in _real(small):
            case.path_parameters[name] = _real(small)[name]
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )


def _validate(openapi: dict, operation: dict, response) -> list[str]:
    answers = operation["responses"]
    answer = answers.get(response.status_code) or answers.get(str(response.status_code))
    if answer is None:
        return [f"{response.status_code} not documented"]
    content = answer.get("content")
    if not content:
        return [] if not response.content else ["a body where none is documented"]
    media = response["Content-Type"].split(";")[0]
    if media not in content:
        return [f"{media} not documented (only {sorted(content)})"]
    # The document's $refs resolve in its components (keys as JSON has them: strings).
    components = json.loads(json.dumps(openapi["components"]))
    validator = Draft202012Validator({**content[media]["schema"], "components": components})
    return [error.message for error in validator.iter_errors(response.json())]


def test_a_client_reading_every_public_operation_gets_the_documented_shapes(client, small):
    """Every public GET, with real identifiers and without, answered as the schema says."""
    real = _real(small)
    problems = []
    checked = 0
    for path, operations in OPENAPI["paths"].items():
        operation = operations.get("get")
        if operation is None or operation.get("security"):
            continue
        required = {
            p["name"]: "act"
            for p in operation.get("parameters", [])
            if p["in"] == "query" and p.get("required")
        }
        for values in (real, {name: "no-such-thing" for name in real}):
            url = path.format(**values)
            response = client.get(url, required)
            checked += 1
            problems += [
                f"GET {url} {response.status_code}: {p}"
                for p in _validate(OPENAPI, operation, response)
            ]
    assert checked >= 16
    assert not problems, "\n".join(problems)
