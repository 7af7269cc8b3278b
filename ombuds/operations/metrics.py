"""/metrics in Prometheus' text format (prometheus-client), when OMBUDS_METRICS is on: requests
counted in each process (across gunicorn's processes when PROMETHEUS_MULTIPROC_DIR is set, as
prometheus-client documents), and what the database says at the moment of the scrape: the task
queue's depth and the age of its oldest task, the daily work's outcomes, the notices failing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db.models import Count, Max, Min
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ombuds.cases.models import Notice
from ombuds.operations.models import DailyRun, WorkerHeartbeat

# Not in prometheus-client's global registry: each scrape builds its own (below).
REQUESTS = Counter("ombuds_http_requests", "Requests answered", ["method", "status"], registry=None)
DURATION = Histogram("ombuds_http_request_duration_seconds", "Time to answer", registry=None)


class RequestMetricsMiddleware:
    """Counts every request and its answer's status class (2xx, 4xx…), and times it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.OMBUDS_METRICS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        DURATION.observe(time.perf_counter() - started)
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(method=method, status=f"{response.status_code // 100}xx").inc()
        return response


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _ProcessMetrics(Collector):
    def collect(self) -> Iterator:
        yield from REQUESTS.collect()
        yield from DURATION.collect()


class DatabaseMetrics(Collector):
    """What the database says now: tasks, daily runs, workers, notices."""

    def collect(self) -> Iterator:
        now = timezone.now()
        queued = GaugeMetricFamily("ombuds_tasks_queued", "Tasks waiting to run", labels=["queue"])
        oldest = GaugeMetricFamily(
            "ombuds_tasks_oldest_queued_age_seconds",
            "Age of the oldest task ready to run (0 when none waits)",
        )
        ready = DBTaskResult.objects.ready()
        for row in ready.values("queue_name").annotate(n=Count("id")).order_by("queue_name"):
            queued.add_metric([row["queue_name"]], row["n"])
        first = ready.aggregate(first=Min("enqueued_at"))["first"]
        oldest.add_metric([], (now - first).total_seconds() if first else 0)
        by_status = GaugeMetricFamily("ombuds_tasks", "Task results by status", labels=["status"])
        for row in DBTaskResult.objects.values("status").annotate(n=Count("id")).order_by():
            by_status.add_metric([row["status"].lower()], row["n"])
        yield from (queued, oldest, by_status)
        yield from self._daily()
        beat = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
        last = beat.first()
        heartbeat = GaugeMetricFamily(
            "ombuds_worker_last_heartbeat_timestamp_seconds",
            "When a worker last said it was alive (0: never)",
        )
        heartbeat.add_metric([], last.timestamp() if last else 0)
        yield heartbeat
        notices = GaugeMetricFamily(
            "ombuds_notices_failing",
            "Notices that failed to send: failed for good, or waiting to be retried",
            labels=["state"],
        )
        failing = Notice.objects.filter(status=Notice.Status.FAILED).count()
        retrying = Notice.objects.filter(status=Notice.Status.PENDING, attempts__gt=0).count()
        notices.add_metric(["failed"], failing)
        notices.add_metric(["retrying"], retrying)
        yield notices

    def _daily(self) -> Iterator:
        runs = GaugeMetricFamily(
            "ombuds_daily_runs",
            "Daily runs on the record by job and outcome",
            labels=["job", "outcome"],
        )
        for row in DailyRun.objects.values("job", "outcome").annotate(n=Count("id")).order_by():
            runs.add_metric([row["job"], row["outcome"]], row["n"])
        last = GaugeMetricFamily(
            "ombuds_daily_last_success_timestamp_seconds",
            "When each daily job last finished well",
            labels=["job"],
        )
        finished = (
            DailyRun.objects.filter(outcome=DailyRun.Outcome.SUCCEEDED)
            .values("job")
            .annotate(at=Max("finished_at"))
            .order_by("job")
        )
        for row in finished:
            if row["at"]:
                last.add_metric([row["job"]], row["at"].timestamp())
        yield runs
        yield last


def render() -> tuple[bytes, str]:
    """The scrape's body and content type."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    registry.register(DatabaseMetrics())
    return generate_latest(registry), CONTENT_TYPE_LATEST
