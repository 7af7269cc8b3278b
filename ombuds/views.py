from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ombuds.codes.selectors import bodies_with_current_codes


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"bodies": bodies_with_current_codes()})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
