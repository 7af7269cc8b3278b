"""Conditional GETs for the public reads: a strong `ETag` made from the answer's bytes, a
`Cache-Control` saying how long a shared cache may keep it, and `304 Not Modified` (no body) when
the request's `If-None-Match` names the current ETag.

    @router.get("/bodies/{org}/code", response=CodeOut)
    @public_cache(max_age=300)
    def code(request, org): ...

`public_cache()` (max_age 0) makes `public, no-cache`: a cache keeps the answer but asks each time
(a verification, whose answer changes the moment a credential is revoked). Only a 200 is cached;
errors, the staff and the members' endpoints never are. The schema documents the headers and the
304 on each such operation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from ninja.decorators import _apply_decorators
from ninja.utils import contribute_operation_callback

F = TypeVar("F", bound=Callable[..., Any])

_HEADERS = {
    "ETag": {
        "description": "A strong validator of this answer: send it back as If-None-Match.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "How long a shared cache may keep the answer.",
        "schema": {"type": "string"},
    },
}


def etag_of(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:40] + '"'


def _conditional(cache_control: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(run: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(run)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = run(request, *args, **kwargs)
            if not isinstance(response, HttpResponse) or response.status_code != 200:
                return response
            if request.method not in ("GET", "HEAD"):
                return response
            etag = etag_of(response.content)
            response["ETag"] = etag
            response["Cache-Control"] = cache_control
            patch_vary_headers(response, ["Accept-Encoding"])
            wanted = parse_etags(request.headers.get("If-None-Match", ""))
            if etag in wanted or "*" in wanted:
                not_modified = HttpResponseNotModified()
                for header in ("ETag", "Cache-Control", "Vary"):
                    not_modified[header] = response[header]
                return not_modified
            return response

        return wrapper

    return decorate


def public_cache(max_age: int = 0) -> Callable[[F], F]:
    """An operation's 200 answers carry an ETag and `Cache-Control: public, ...`; a matching
    If-None-Match gets a 304."""
    cache_control = f"public, max-age={max_age}" if max_age else "public, no-cache"

    def outer(op_func: F) -> F:
        def contribute(operation: Any) -> None:
            # Through Ninja's own decorate_view bookkeeping, so that the copy of the operation
            # made when the router is mounted on the API is decorated too.
            _apply_decorators((_conditional(cache_control),), operation)
            extra = operation.openapi_extra or {}
            responses = extra.setdefault("responses", {})
            responses.setdefault(200, {})["headers"] = dict(_HEADERS)
            responses[304] = {
                "description": "Not modified: the If-None-Match sent names the current ETag "
                "(no body)."
            }
            operation.openapi_extra = extra

        contribute_operation_callback(op_func, contribute)
        return op_func

    return outer
