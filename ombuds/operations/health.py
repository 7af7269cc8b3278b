"""What /healthz reports: the database reachable, the worker's last heartbeat, the last daily runs."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from ombuds.operations import daily, workers

logger = logging.getLogger(__name__)


def health() -> tuple[int, dict]:
    """(HTTP status, report): 503 when the database does not answer, or when the worker has been
    silent past OMBUDS_WORKER_SILENT_AFTER and OMBUDS_HEALTHZ_REQUIRE_WORKER is on."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beat = workers.last_heartbeat()
        runs = daily.last_runs()
    except DatabaseError as exc:
        logger.error("healthz: database unreachable: %s", exc)
        return 503, {"status": "error", "database": "unreachable"}
    now = timezone.now()
    silent = beat is None or beat.seen_at < now - workers.silent_after()
    report = {
        "status": "ok",
        "database": "ok",
        "worker": {
            "last_heartbeat": beat.seen_at.isoformat() if beat else None,
            "seconds_since": round((now - beat.seen_at).total_seconds()) if beat else None,
            "silent": silent,
        },
        "daily": [
            {
                "job": run.job,
                "day": run.day.isoformat(),
                "outcome": run.outcome,
                "finished": run.finished_at.isoformat() if run.finished_at else None,
            }
            for run in runs
        ],
    }
    if silent and settings.OMBUDS_HEALTHZ_REQUIRE_WORKER:
        report["status"] = "error"
        return 503, report
    return 200, report
