"""Work whose worker died is not left running for ever.

django-tasks-db records which worker claimed a task (`worker_ids`) but keeps no heartbeat and never
looks back at a RUNNING task. Each `ombuds worker` writes a heartbeat (ombuds.operations.workers);
at its start, and every minute after, it marks failed the tasks whose worker is gone, and abandoned
the daily runs, so the next day's (or a new worker's) run takes them up. A task is failed, not run
again: a task that sent half its emails must not send them twice; notices have their own retries.
A task claimed by a worker that never wrote a heartbeat (a plain `db_worker`) counts as gone after
OMBUDS_TASK_TIMEOUT seconds."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ombuds.audit.services import record
from ombuds.operations.models import DailyRun, WorkerHeartbeat
from ombuds.operations.workers import is_gone

logger = logging.getLogger(__name__)


class WorkerLost(Exception):
    """The error a task abandoned by its worker is marked failed with."""


def _gone(worker_id: str, started: dt.datetime | None, beats: dict, now: dt.datetime) -> bool:
    beat = beats.get(worker_id)
    if beat is not None:
        return is_gone(beat, now=now)
    timeout = dt.timedelta(seconds=settings.OMBUDS_TASK_TIMEOUT)
    return started is None or started < now - timeout


def recover(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Fail the tasks and abandon the daily runs whose worker is gone. Returns how many of each."""
    now = now or timezone.now()
    beats = {beat.worker_id: beat for beat in WorkerHeartbeat.objects.all()}
    counts = {"tasks failed": 0, "daily runs abandoned": 0}
    for task_id, workers, started in DBTaskResult.objects.running().values_list(
        "id", "worker_ids", "started_at"
    ):
        worker_id = workers[-1] if workers else ""
        if _gone(worker_id, started, beats, now) and _fail_task(task_id, worker_id):
            counts["tasks failed"] += 1
    running = DailyRun.objects.filter(outcome=DailyRun.Outcome.RUNNING)
    for run_id, worker_id, started in running.values_list("pk", "worker", "started_at"):
        if _gone(worker_id, started, beats, now) and _abandon_run(run_id, worker_id):
            counts["daily runs abandoned"] += 1
    # A gone worker's row has said what it had to say.
    gone = [w for w, beat in beats.items() if is_gone(beat, now=now)]
    WorkerHeartbeat.objects.filter(worker_id__in=gone).delete()
    return counts


def _fail_task(task_id, worker_id: str) -> bool:
    with transaction.atomic():
        task = DBTaskResult.objects.select_for_update().filter(pk=task_id).running().first()
        if task is None:  # it finished meanwhile
            return False
        task.set_failed(WorkerLost(f"worker {worker_id or '(unknown)'} stopped while running it"))
        record(
            action="operations.task_abandoned",
            subject_type="task",
            subject_id=str(task_id),
            data={"task": task.task_path, "worker": worker_id},
        )
    logger.warning("task %s (%s) failed: worker %s is gone", task_id, task.task_path, worker_id)
    return True


def _abandon_run(run_id: int, worker_id: str) -> bool:
    with transaction.atomic():
        run = DailyRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.outcome != DailyRun.Outcome.RUNNING:
            return False
        run.outcome = DailyRun.Outcome.ABANDONED
        run.finished_at = timezone.now()
        run.error = f"worker {worker_id} stopped while running it"
        run.save(update_fields=["outcome", "finished_at", "error"])
        record(
            action="operations.daily_run_abandoned",
            subject_type="daily_run",
            subject_id=run.pk,
            data={"job": run.job, "day": run.day.isoformat(), "worker": worker_id},
        )
    logger.warning("daily run %s %s abandoned: worker %s is gone", run.job, run.day, worker_id)
    return True
