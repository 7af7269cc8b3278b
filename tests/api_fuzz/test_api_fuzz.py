"""Every operation of the JSON API, fuzzed from its own OpenAPI schema (`/api/v1/openapi.json`) by
Schemathesis through the WSGI application (no server): valid requests and requests with missing,
oversized and wrongly typed fields, with a staff token and a member token so that the
authenticated operations are reached, and half of them with the path arguments of real records.
No answer is a server error, and every answer has a status, a content type and a body the schema
documents (422 included).

Bounded so that it stays a part of the ordinary test run: a few examples per operation,
derandomized (the same requests every run), no deadline per example."""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

EXAMPLES = 6  # per operation and generation mode (valid, invalid)

pytestmark = pytest.mark.django_db


# Read when the tests are collected: the schema is made from the code, with no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _one_connection():
    """The requests run in the test's transaction, as Django's test client runs them: the database
    connection is not closed at the end of each request (on PostgreSQL that would end the test's
    transaction)."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def _real_paths(case, world) -> None:
    """Half the requests (chosen by their content, so the same ones every run) name real records."""
    if not case.path_parameters:
        return
    if zlib.crc32(repr(sorted(case.path_parameters.items())).encode()) % 2:
        return
    for name in case.path_parameters:
        if name in world.values:
            case.path_parameters[name] = world.values[name]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_bad_input_with_a_documented_4xx(case, world):
    _real_paths(case, world)
    token = world.member_token if case.path.startswith("/api/v1/me") else world.staff_token
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
