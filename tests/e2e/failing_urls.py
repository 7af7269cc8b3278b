"""The site's addresses plus one that fails, for the tests only: to see our 500 page in a browser."""

from __future__ import annotations

from django.urls import path

from ombuds.urls import handler404, handler500
from ombuds.urls import urlpatterns as site_urlpatterns

FAILS = "/test-only/fails/"


def fails(request):
    raise RuntimeError("a failure the tests asked for")


urlpatterns = [path(FAILS.strip("/") + "/", fails), *site_urlpatterns]
__all__ = ["handler404", "handler500", "urlpatterns"]
