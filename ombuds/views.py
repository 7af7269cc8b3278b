from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ombuds.codes.selectors import bodies_with_current_codes
from ombuds.operations.health import health


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"bodies": bodies_with_current_codes()})


def healthz(request: HttpRequest) -> JsonResponse:
    """The database, the worker's last heartbeat and the last daily runs; 503 when it is unwell."""
    status, report = health()
    return JsonResponse(report, status=status)
