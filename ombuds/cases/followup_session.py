"""The complainant's own short-lived session, apart from the account session.

The page that acknowledges a complaint and the anonymous follow-up remember what they need in one
signed cookie (`django.core.signing`, with a salt of its own), never in Django's session: nothing
of a complaint is ever written to the session store, so it cannot end up beside an account that
later signs in in the same browser, nor on that account's list of sessions. The cookie holds only
the case's reference or id and whether the receipt code is still to be shown; it is HttpOnly,
SameSite=Strict, Secure over HTTPS, kept until the browser closes and honoured for
`MAX_AGE` after it was last written (each page of the follow-up writes it again). Filing a
complaint or signing in to follow one replaces it whole, and signing in or out of an account ends
it (`end_on_sign_in_or_out`, `FollowupSessionMiddleware`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE = "ombuds_complainant"
SALT = "ombuds.cases.followup_session"
MAX_AGE = 30 * 60  # seconds
# The request attribute that tells the middleware to end the session in the response.
_ENDING = "_ombuds_end_complainant_session"


def read(request: HttpRequest) -> dict[str, Any]:
    """What the cookie holds, or nothing when it is missing, forged, tampered with or too old."""
    value = request.COOKIES.get(COOKIE)
    if not value or getattr(request, _ENDING, False):
        return {}
    try:
        data = signing.loads(value, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired too
        return {}
    return data if isinstance(data, dict) else {}


def write(request: HttpRequest, response: HttpResponse, data: dict[str, Any]) -> HttpResponse:
    """Replace the session with ``data`` (a few short values), from now for MAX_AGE."""
    response.set_cookie(
        COOKIE,
        signing.dumps(data, salt=SALT),
        httponly=True,
        samesite="Strict",
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
    )
    return response


def end(response: HttpResponse) -> HttpResponse:
    """End the session: the browser forgets the cookie."""
    response.delete_cookie(COOKIE, samesite="Strict")
    return response


def case_id(request: HttpRequest) -> int | None:
    """The case the anonymous complainant signed in to follow, if any."""
    value = read(request).get("case")
    return value if isinstance(value, int) else None


def end_on_sign_in_or_out(request: HttpRequest | None) -> None:
    """An account signed in or out in this request: its response ends the complainant's session
    (user_logged_in and user_logged_out call this, `ombuds.accounts.sessions`)."""
    if request is not None:
        setattr(request, _ENDING, True)


class FollowupSessionMiddleware:
    """Deletes the complainant's cookie in the response of a request that signed an account in or
    out (whatever the page: the sign-in and sign-out pages, an invitation, the admin's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, _ENDING, False) and COOKIE in request.COOKIES:
            end(response)
        return response
