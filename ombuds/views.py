from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from ombuds.codes.selectors import bodies_with_current_codes
from ombuds.operations.health import health


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"bodies": bodies_with_current_codes()})


def healthz(request: HttpRequest) -> JsonResponse:
    """The database, the worker's last heartbeat and the last daily runs; 503 when it is unwell."""
    status, report = health()
    return JsonResponse(report, status=status)


def language(request: HttpRequest, code: str) -> HttpResponse:
    """The language switch: a plain link (no form, no CSRF cookie on every page) that keeps the
    visitor's choice in Django's language cookie and returns them to the page they were on (the
    `next` address on this site, else the page that linked here, else the home page)."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("Ombuds is not translated into that language")
    back = request.GET.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = HttpResponseRedirect(back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
