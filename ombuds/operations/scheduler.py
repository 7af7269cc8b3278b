"""The worker's own schedule, on APScheduler (a thread beside django-tasks-db's worker loop): the
daily work at OMBUDS_DAILY_AT in settings.TIME_ZONE, the heartbeat, and the recovery of work whose
worker died. (django-tasks and django-tasks-db have no periodic tasks; the schedulers built on them,
django-crontask and django-scheduled-tasks, need Python 3.12 or later, and Ombuds runs on 3.11.)"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from ombuds.operations import daily, recovery, workers

logger = logging.getLogger(__name__)

RECOVERY_SECONDS = 60


def _in_thread(job: Callable[..., object]) -> Callable[..., None]:
    """A scheduled job runs in APScheduler's thread: its own database connection, closed after, and
    an error logged (the schedule goes on)."""

    @functools.wraps(job)
    def run(*args: object, **kwargs: object) -> None:
        close_old_connections()
        try:
            job(*args, **kwargs)
        except Exception:
            logger.exception("scheduled %s failed", job.__name__)
        finally:
            connection.close()

    return run


def _recover() -> None:
    counts = recovery.recover()
    if any(counts.values()):
        logger.warning("recovered work of stopped workers: %s", counts)


def build(worker_id: str) -> BackgroundScheduler:
    """The schedule of one worker (started by `ombuds worker`): daily work due now runs at once."""
    tz = timezone.get_current_timezone()
    at = daily.daily_at()
    scheduler = BackgroundScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    now = timezone.now()
    scheduler.add_job(
        _in_thread(workers.heartbeat),
        IntervalTrigger(seconds=settings.OMBUDS_HEARTBEAT_SECONDS, timezone=tz),
        args=[worker_id],
        id="heartbeat",
        next_run_time=now,
    )
    scheduler.add_job(
        _in_thread(_recover),
        IntervalTrigger(seconds=RECOVERY_SECONDS, timezone=tz),
        id="recovery",
        next_run_time=now,
    )
    scheduler.add_job(
        _in_thread(daily.run_due),
        CronTrigger(hour=at.hour, minute=at.minute, timezone=tz),
        kwargs={"worker": worker_id},
        id="daily",
    )
    # Catch up: a worker started after the hour runs today's work if nobody has.
    scheduler.add_job(_in_thread(daily.run_due), kwargs={"worker": worker_id}, id="daily-catch-up")
    return scheduler
