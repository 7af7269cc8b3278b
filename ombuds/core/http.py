"""Response headers shared by every page that holds something confidential, and a watch on the
proxy headers of incoming requests."""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


def private(
    response: HttpResponse, *, referrer: str = "same-origin", noindex: bool = False
) -> HttpResponse:
    """Kept by no cache, and its address sent on to no other site. ("no-referrer" would do too much:
    browsers then send the page's forms with "Origin: null", which Django's CSRF check refuses; a
    page with a secret in its own address passes ``referrer="strict-origin"``.) ``noindex`` keeps
    search engines away from a page anyone may open."""
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = referrer
    if noindex:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# The cache key under which a process notes that a request came through a proxy Ombuds was not told
# about; `ombuds check --deploy` (ombuds.core.checks) reads it from any process sharing the cache.
FORWARDED_SEEN_KEY = "ombuds:forwarded-without-trusted-proxies"


class ForwardedWithoutTrustedProxies:
    """Notes, once per process, a request carrying X-Forwarded-For while OMBUDS_TRUSTED_PROXIES is 0:
    a proxy stands in front of Ombuds, so every client would count as the proxy's address and each
    rate limit would become one bucket for the whole site. Logged as a warning and kept in the cache
    for `ombuds check --deploy`; the request itself goes on unchanged."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.noted = False

    def __call__(self, request):
        if (
            not self.noted
            and "HTTP_X_FORWARDED_FOR" in request.META
            and int(getattr(settings, "OMBUDS_TRUSTED_PROXIES", 0)) <= 0
        ):
            self.noted = True
            _note_forwarded()
        return self.get_response(request)


def _note_forwarded() -> None:
    logger.warning(
        "A request carried X-Forwarded-For (a proxy in front of Ombuds?) but OMBUDS_TRUSTED_PROXIES "
        "is 0: rate limits count every client as the proxy. Set it to the number of proxies."
    )
    try:
        cache.set(FORWARDED_SEEN_KEY, timezone.now().isoformat(), timeout=7 * 24 * 3600)
    except Exception:  # a cache that is down must not fail the request
        logger.exception("could not note the proxy in the cache")


class RefuseNulCharacters:
    """A NUL character in the address (path or query string) is refused with 400 before any view
    runs: no record's slug, number or reference holds one, and PostgreSQL refuses to compare text
    containing one (a DataError, which would otherwise be a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        # The API refuses a NUL in its parameters itself, with its documented 422.
        in_query = not request.path.startswith("/api/") and ("\x00" in query or "%00" in query)
        if "\x00" in request.path or in_query:
            return HttpResponseBadRequest(
                "The address holds a NUL character, which no page of this site accepts.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def csv_download(rows: Iterable[Iterable[object]], filename: str) -> StreamingHttpResponse:
    """A CSV file streamed row by row (a byte-order mark first, so spreadsheets read it as
    UTF-8), as an attachment named ``filename``, private to the viewer."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return private(response)


_ERROR_SUMMARY = re.compile(rb'class="[^"]*\berror-summary\b')
_TITLE = re.compile(rb"<title>(\s*)")


class ErrorTitle:
    """A page sent back with an error summary has a title starting "Error: ", so that a screen reader
    says so first, on every page of the site, whichever of its forms failed. A template that already
    says so is left alone; fragments (no <title>) and downloads are untouched. The summary itself
    takes the focus by the site's script (ombuds/static/ombuds/site.js), loaded by the base template.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.streaming
            or not response.get("Content-Type", "").startswith("text/html")
            or response.get("Content-Encoding")
        ):
            return response
        content = response.content
        if not _ERROR_SUMMARY.search(content):
            return response
        match = _TITLE.search(content)
        prefix = (gettext("Error:") + " ").encode()
        if match is None or content[match.end() :].startswith(prefix):
            return response
        response.content = content[: match.end()] + prefix + content[match.end() :]
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
