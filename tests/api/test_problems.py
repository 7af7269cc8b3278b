"""Every error of the API is an RFC 9457 problem (`application/problem+json`: type, title, status,
detail, instance), and the schema documents it on every operation that can give it."""

from __future__ import annotations

import pytest

from ombuds.api.problems import PROBLEM_JSON, THROTTLED, VALIDATION
from ombuds.api.urls import api

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM_JSON
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert body["instance"] == response.wsgi_request.path
    return body


def test_a_body_or_provision_not_found_is_a_404_problem(client, small):
    body = _problem(client.get(f"{API}/bodies/nobody/code"), 404)
    assert body["type"] == "about:blank" and body["title"] == "Not Found"
    _problem(client.get(f"{API}/bodies/{small.org}/code/provisions/99.99"), 404)
    # An endpoint's own refusal, made with a `detail` only, gets the same members.
    missing = _problem(client.get(f"{API}/bodies/{small.org}/register/credentials/CGP-9999"), 404)
    assert "CGP-9999" in missing["detail"]


def test_bad_input_is_a_422_problem_listing_every_fault(client, small):
    response = client.get(f"{API}/bodies/{small.org}/code/search", {"limit": 999})
    body = _problem(response, 422)
    assert body["type"] == VALIDATION
    where = {tuple(error["loc"]) for error in body["errors"]}
    assert where == {("query", "q"), ("query", "limit")}  # the missing q and the limit too high
    assert "2 problems" in body["detail"]
    assert all({"type", "loc", "msg"} <= set(error) for error in body["errors"])


def test_a_refused_token_is_a_401_problem(client, small):
    response = client.get(f"{API}/bodies/{small.org}/cases")
    _problem(response, 401)
    wrong = client.get(
        f"{API}/bodies/{small.org}/cases", headers={"Authorization": "Bearer omb_nothing"}
    )
    _problem(wrong, 401)


def test_a_stale_change_is_a_409_problem(client, small):
    """A status change whose caller read another status than the record's now."""
    answer = client.post(
        f"{API}/bodies/{small.org}/register/credentials/{small.number}/status",
        {
            "to_status": "suspended",
            "effective_date": "2024-01-01",
            "until": "2030-01-01",
            "reason": "Decision 4",
            "expected_status": "expired",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {small.staff_token}"},
    )
    body = _problem(answer, 409)
    assert body["title"] == "Conflict"


def test_a_rate_limit_is_a_429_problem_with_retry_after(client, small, settings):
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 1
    url = f"{API}/bodies/{small.org}/register/credentials/{small.number}"
    assert client.get(url).status_code == 200
    response = client.get(url)
    body = _problem(response, 429)
    assert body["type"] == THROTTLED and response["Retry-After"]


def test_a_public_post_of_another_content_type_is_a_415_problem(client, small):
    response = client.post(f"{API}/bodies/{small.org}/complaints", "x", content_type="text/plain")
    _problem(response, 415)


def test_a_body_that_is_not_json_is_a_400_problem(client, small):
    response = client.post(
        f"{API}/bodies/{small.org}/complaints", b"{not json", content_type="application/json"
    )
    _problem(response, 400)


def test_every_operation_documents_its_errors_as_problems():
    openapi = api.get_openapi_schema()
    missing = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            responses = {int(status): answer for status, answer in operation["responses"].items()}
            wanted = set()
            if "{" in path:
                wanted.add(404)
            if operation.get("requestBody"):
                wanted.add(400)  # a body that is not JSON at all
            if operation.get("parameters") or operation.get("requestBody"):
                wanted.add(422)
            if operation.get("security"):
                wanted |= {401, 403}
            for status in wanted - set(responses):
                missing.append(f"{method.upper()} {path}: {status} not documented")
            for status, answer in responses.items():
                if status >= 400 and set(answer.get("content", {})) != {PROBLEM_JSON}:
                    missing.append(f"{method.upper()} {path}: {status} not a problem")
                if status == 422:
                    ref = answer["content"][PROBLEM_JSON]["schema"]["$ref"]
                    assert ref.endswith("/ValidationProblemOut")
    assert not missing, "\n".join(missing)
    problem = openapi["components"]["schemas"]["ProblemOut"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
