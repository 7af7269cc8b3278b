"""Two pieces of middleware for signed-in accounts.

``SecondFactorMiddleware`` sends anyone who must pass a second factor (``policy``: their role asks
for it, or they set one up) and has not yet, in this session, to set one up or to enter a code,
before any other page; the API answers 403.

``AccountSessionMiddleware`` keeps the list of an account's sessions (``AccountSession``) so that
its owner can see them and sign out everywhere; it writes at most once every few minutes per session.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts.policy import has_second_factor, second_factor_required
from ombuds.accounts.sessions import SEEN_KEY, seen_mark, seen_recently, session_seen

# Pages a half-signed-in account may open: the second-factor pages themselves and signing out.
_EXEMPT = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/healthz")
_SEEN_EVERY = dt.timedelta(minutes=5)
# Pages whose address is a personal link (a respondent's, a client's, an invitation, a password
# reset): a secret, which never travels in a sign-in address (as in base.html's sign-in link).
_SECRET_IN_PATH = ("/respond/", "/client-complaints/", "/invitation/", "/reset/")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_EXEMPT)
            and not user.is_verified()
            and second_factor_required(user)
        ):
            if request.path.startswith("/api/"):
                # The API's errors are RFC 9457 problems (ombuds.api.problems), this one too.
                return JsonResponse(
                    {
                        "type": "about:blank",
                        "title": "Forbidden",
                        "status": 403,
                        "detail": "This account must pass its second factor first.",
                        "instance": request.path,
                    },
                    status=403,
                    content_type="application/problem+json",
                )
            name = "accounts:two_factor" if has_second_factor(user) else "accounts:two_factor_setup"
            if any(part in request.path for part in _SECRET_IN_PATH):
                return HttpResponseRedirect(reverse(name))
            return HttpResponseRedirect(
                reverse(name) + "?" + urlencode({"next": request.get_full_path()})
            )
        return self.get_response(request)


class AccountSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated:
            return response
        key = session.session_key
        if not key:
            return response
        now = timezone.now()
        if seen_recently(session.get(SEEN_KEY), key, now, _SEEN_EVERY):
            return response
        session_seen(user=user, session_key=key, request=request, now=now)
        session[SEEN_KEY] = seen_mark(key, now)
        session.save()
        return response
