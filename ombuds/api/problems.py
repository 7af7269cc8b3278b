"""Every error of the API as an RFC 9457 problem: `application/problem+json` with `type`, `title`,
`status`, `detail` and (when useful) `instance`, whatever raised it: an endpoint's own refusal
(`Status(400, {"detail": ...})`, `HttpError`), a missing record (`Http404`), a refused token (401,
403), a stale version (409), input that does not have the documented shape (422, with every
problem in `errors`) or a rate limit (429, with Retry-After).

`ProblemAPI` fills in the members an endpoint does not give (an endpoint returns at least
`detail`), so that no error of the API has another shape; an error body with more members (the
compliance check's `problems`, a payment file's refused lines) keeps them as the RFC's extension
members. The schema documents `ProblemOut` (and `ValidationProblemOut` for 422) as the body of
every 4xx answer, with the media type `application/problem+json`.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.schema import DjangoGetter
from pydantic import ValidationInfo, model_validator

PROBLEM_JSON = "application/problem+json"

# The problem types the API names; any other problem is `about:blank` (its title the status's).
VALIDATION = "urn:ombuds:problem:validation"
THROTTLED = "urn:ombuds:problem:too-many-requests"


class ProblemOut(Schema):
    """An RFC 9457 problem (every 4xx answer of the API). An endpoint gives at least `detail`; the
    other members are filled in from the answer's status."""

    type: str = Field(
        ...,
        description="A URI naming the kind of problem: `about:blank` (the status says it all), "
        f"`{VALIDATION}` (422) or `{THROTTLED}` (429).",
    )
    title: str = Field(..., description="A short summary of the kind of problem (the status's).")
    status: int = Field(..., description="The HTTP status code of this answer.")
    detail: str = Field(..., description="What went wrong this time, for a person to read.")
    instance: str | None = Field(None, description="The path of the request that failed.")

    @model_validator(mode="before")
    @classmethod
    def _completed(cls, data: Any, info: ValidationInfo) -> Any:
        context = info.context or {}
        status, request = context.get("response_status"), context.get("request")
        if isinstance(data, DjangoGetter):  # Ninja's wrapper of what the endpoint returned
            data = data._obj
        if isinstance(data, dict) and isinstance(status, int) and request is not None:
            return problem(request, data, status)
        return data


class ValidationProblem(Schema):
    type: str = Field(..., description="What is wrong, e.g. string_too_long, missing.")
    loc: list[str | int] = Field(
        ..., description="Where: the part of the request (body, query, path), then the field."
    )
    msg: str
    ctx: dict[str, Any] | None = Field(None, description="The limit broken, e.g. max_length.")


class ValidationProblemOut(ProblemOut):
    """A 422 problem: the request does not have the documented shape; every problem at once."""

    errors: list[ValidationProblem]


def problem(request: HttpRequest, data: dict[str, Any], status: int) -> dict[str, Any]:
    """`data` (with at least `detail`) completed into a problem of `status`."""
    out = dict(data)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    out.setdefault("type", THROTTLED if status == 429 else "about:blank")
    out.setdefault("title", phrase)
    out["status"] = status
    out.setdefault("detail", phrase)
    out.setdefault("instance", request.path)
    return out


def problem_response(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    """A problem answer made outside Ninja's operations (e.g. a decorator's refusal)."""
    body = problem(request, {"detail": detail, **extra}, status)
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_JSON)


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(part) for part in error.get("loc", []))
        parts.append(f"{where}: {error.get('msg', '')}".strip(": "))
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    count = "1 problem" if len(errors) == 1 else f"{len(errors)} problems"
    return f"The request has {count}: " + "; ".join(parts) + more + "."


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


_DOCUMENTED = {
    400: "The request is refused: its body could not be read as JSON, or a rule refuses it (the "
    "detail says why).",
    401: "No usable token: none, unknown, revoked or expired (the detail says which).",
    403: "The token lacks the scope this operation needs, or its user the role.",
    404: "No such record (or body) here, or not one the caller may know of.",
    422: "The request does not have the documented shape: a field missing, of the wrong type, "
    "past its maximum length or range, or with a NUL character. Every problem at once, in "
    "`errors`.",
}


class ProblemAPI(NinjaAPI):
    """The API whose every 4xx answer is an RFC 9457 problem."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        code = temporal_response.status_code if temporal_response else status
        if code is not None and code >= 400 and isinstance(data, dict):
            data = problem(request, data, code)
            response = super().create_response(
                request, data, status=status, temporal_response=temporal_response
            )
            response["Content-Type"] = PROBLEM_JSON
            return response
        return super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )

    def set_default_exception_handlers(self) -> None:
        super().set_default_exception_handlers()

        def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
            return self.create_response(request, {"detail": "Not found."}, status=404)

        def refused(request: HttpRequest, exc: Exception) -> HttpResponse:
            detail = str(exc) or "Not allowed."
            return self.create_response(request, {"detail": detail}, status=403)

        def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
            data: dict[str, Any] = {"detail": str(exc)}
            if exc.status_code == 429:
                data["type"] = THROTTLED
            return self.create_response(request, data, status=exc.status_code)

        def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
            errors = [
                {key: error[key] for key in ("type", "loc", "msg", "ctx") if key in error}
                for error in exc.errors
            ]
            for error in errors:  # a limit's value may be anything (a pattern, a Decimal...)
                if "ctx" in error:
                    error["ctx"] = {key: _plain(value) for key, value in error["ctx"].items()}
            data = {
                "type": VALIDATION,
                "title": "The request does not have the documented shape",
                "detail": _validation_detail(errors),
                "errors": errors,
            }
            return self.create_response(request, data, status=422)

        self.add_exception_handler(Http404, not_found)
        self.add_exception_handler(PermissionDenied, refused)
        self.add_exception_handler(HttpError, http_error)
        self.add_exception_handler(ValidationError, invalid)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ProblemOut, ValidationProblemOut):
            json_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(json_schema.pop("$defs", {}))
            components[model.__name__] = json_schema
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                wanted = []
                if "{" in path:
                    wanted.append(404)
                if operation.get("security"):
                    wanted += [401, 403]
                if operation.get("requestBody"):
                    wanted.append(400)
                if operation.get("parameters") or operation.get("requestBody"):
                    wanted.append(422)
                for status in wanted:
                    if status not in responses and str(status) not in responses:
                        model = "ValidationProblemOut" if status == 422 else "ProblemOut"
                        responses[status] = {
                            "description": _DOCUMENTED[status],
                            "content": {PROBLEM_JSON: {"schema": _ref(model)}},
                        }
                for status, answer in responses.items():
                    content = answer.get("content") or {}
                    if int(status) >= 400 and "application/json" in content:
                        answer["content"] = {PROBLEM_JSON: content["application/json"]}
        return schema
