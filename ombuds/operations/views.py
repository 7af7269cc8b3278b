"""The operators' pages: the daily runs (body administrators and superusers) and /metrics."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ombuds.bodies.models import BodyRole
from ombuds.operations import daily, metrics, workers


def _may_see_operations(user) -> bool:
    if user.is_superuser and user.is_active:
        return True
    return BodyRole.objects.filter(user=user, role=BodyRole.Role.ADMINISTRATOR).exists()


@login_required
@require_GET
def daily_runs(request: HttpRequest) -> HttpResponse:
    if not _may_see_operations(request.user):
        raise PermissionDenied("Only body administrators see the daily work.")
    return render(
        request,
        "operations/daily.html",
        {
            "runs": daily.recent_runs(60),
            "workers": workers.live_workers(),
            "last_heartbeat": workers.last_heartbeat(),
            "daily_at": daily.daily_at(),
            "time_zone": settings.TIME_ZONE,
            "jobs": list(daily.JOBS),
        },
    )


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape: 404 unless OMBUDS_METRICS; 401 without the bearer token when one is set."""
    if not settings.OMBUDS_METRICS:
        raise Http404("Metrics are off")
    token = settings.OMBUDS_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response = HttpResponse(
                "A bearer token is needed.\n", status=401, content_type="text/plain"
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)
