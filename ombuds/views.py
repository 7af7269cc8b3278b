from urllib.parse import urlencode

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token

from ombuds.bodies.models import Organization
from ombuds.cases.selectors import bodies_taking_complaints
from ombuds.codes.selectors import bodies_with_current_codes
from ombuds.operations.health import health


def home(request: HttpRequest) -> HttpResponse:
    """Every body, each leading to its code, its register and its complaint form (or, where it
    takes no complaints here, to how to complain to it)."""
    taking = bodies_taking_complaints()
    bodies = [(body, version, body.pk in taking) for body, version in bodies_with_current_codes()]
    return render(request, "core/home.html", {"bodies": bodies})


def healthz(request: HttpRequest) -> JsonResponse:
    """The database, the worker's last heartbeat and the last daily runs; 503 when it is unwell."""
    status, report = health()
    return JsonResponse(report, status=status)


def livez(request: HttpRequest) -> HttpResponse:
    """The process answers and its database connection works (one `SELECT 1`), nothing more: a
    load balancer's probe, cheaper than /healthz's report; 503 when the database does not answer.
    The benchmarks' bare view."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


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


def search(request: HttpRequest) -> HttpResponse:
    """The search box of the error pages: with a body, its code search; else the bodies to search."""
    query = request.GET.get("q", "").strip()[:200]
    slug = request.GET.get("body", "")
    body = Organization.objects.filter(slug=slug).first() if slug else None
    if body is None:
        bodies = list(Organization.objects.order_by("name"))
        if len(bodies) == 1:
            body = bodies[0]
        else:
            return render(request, "core/search.html", {"query": query, "bodies": bodies})
    target = reverse("codes:search", kwargs={"org": body.slug})
    return HttpResponseRedirect(f"{target}?{urlencode({'q': query})}" if query else target)


def _body_in_path(request: HttpRequest) -> Organization | None:
    """The body whose pages the missing address was under ("/espcc/code/9.9" → ESPCC), if any."""
    first = request.path.strip("/").split("/", 1)[0]
    if not first or len(first) > 50:
        return None
    return Organization.objects.filter(slug=first).first()


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Our own "not found" page: the site's navigation, the body's if the address was under one, a
    search box and the bodies' pages, so that a mistyped permalink has a way on."""
    body = _body_in_path(request)
    context = {"body": body, "bodies": bodies_with_current_codes(), "path": request.path}
    return render(request, "404.html", context, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The "something went wrong" page: rendered without the database or any context processor,
    since either may be what failed."""
    return HttpResponse(loader.get_template("500.html").render(), status=500)
