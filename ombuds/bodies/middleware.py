"""A body's time zone on its pages: each request starts in the deployment's zone, and the view that
looks the body up (`ombuds.bodies.access.body_or_404`) switches to the body's own, so the times it
shows (`|date`, `{% tz %}`) are the body's, shown with their zone."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class BodyTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
