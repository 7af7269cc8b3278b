"""Cursor pagination for every list of the API: a list endpoint takes `?limit=` (1 to `MAX_LIMIT`,
`DEFAULT_LIMIT` without it) and `?cursor=` (opaque: the one the previous page gave, nothing else),
answers the page's items as its JSON array (as before: a client that reads only the array still
works, and gets the first page), and, when there is more, says where the next page is in two
headers: `Link: <url>; rel="next"` (RFC 8288) and `X-Next-Cursor: <cursor>`. No header: the last
page. A cursor the API did not make is refused with 422, like any other bad query.

    @router.get("/things", response=list[ThingOut])
    def things(request, response: HttpResponse, cursor: str | None = CURSOR, limit: int = LIMIT):
        return page(request, response, Thing.objects.order_by("pk"), cursor, limit)

The rows must be in a stable order (an `order_by` ending on a unique column).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from ninja import Query
from ninja.errors import ValidationError

from ombuds.core.limits import NO_NUL

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
NEXT_HEADER = "X-Next-Cursor"

CURSOR = Query(
    None,
    max_length=100,
    pattern=NO_NUL,
    description="Where the page starts: the cursor the previous page gave in its "
    "`X-Next-Cursor` header (or its `Link: rel=next`). Without it, the first page.",
)
LIMIT = Query(
    DEFAULT_LIMIT,
    ge=1,
    le=MAX_LIMIT,
    description=f"How many items a page holds (at most {MAX_LIMIT}).",
)

T = TypeVar("T")


def cursor_encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str | None) -> int:
    """The offset a cursor stands for; ValidationError (422) for one the API did not make."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw[:1] == "o" and raw[1:].isdigit() and len(raw) < 12:
            return int(raw[1:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationError(
        [
            {
                "type": "cursor_invalid",
                "loc": ["query", "cursor"],
                "msg": "Not a cursor this API gave: start again without one.",
            }
        ]
    )


def page(
    request: HttpRequest,
    response: HttpResponse,
    rows: Sequence[T] | Any,
    cursor: str | None,
    limit: int,
) -> list[T]:
    """One page of `rows` (a queryset or a list), and the next page's headers on `response`."""
    offset = cursor_decode(cursor)
    items = list(rows[offset : offset + limit + 1])
    if len(items) > limit:
        following = cursor_encode(offset + limit)
        query = request.GET.copy()
        query["cursor"] = following
        url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        response["Link"] = f'<{url}>; rel="next"'
        response[NEXT_HEADER] = following
    return items[:limit]


# The headers of a page, as the schema documents them on every list's 200 answer.
PAGE_HEADERS = {
    "Link": {
        "description": 'Where the next page is (`<url>; rel="next"`); absent on the last page.',
        "schema": {"type": "string"},
    },
    NEXT_HEADER: {
        "description": "The next page's cursor (for `?cursor=`); absent on the last page.",
        "schema": {"type": "string"},
    },
}
