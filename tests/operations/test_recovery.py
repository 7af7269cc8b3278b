"""A task or daily run whose worker died is marked failed (abandoned), never left running."""

import datetime as dt
import os
import subprocess

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from ombuds.audit.models import Event
from ombuds.operations import daily, recovery, workers
from ombuds.operations.models import DailyRun, WorkerHeartbeat

pytestmark = pytest.mark.django_db


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _beat(worker_id: str, *, pid: int, seen: dt.datetime | None = None) -> WorkerHeartbeat:
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname=workers.HOSTNAME, pid=pid, started_at=now, seen_at=seen or now
    )


def _running(worker_id: str, *, started: dt.datetime | None = None) -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path="ombuds.cases.tasks.notices_retry_task",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
        status="RUNNING",
        started_at=started or timezone.now(),
        worker_ids=[worker_id],
    )


def test_a_task_whose_worker_process_is_gone_is_marked_failed():
    _beat("dead", pid=_dead_pid())
    _beat("alive", pid=os.getpid())
    lost, kept = _running("dead"), _running("alive")

    assert recovery.recover() == {"tasks failed": 1, "daily runs abandoned": 0}
    lost.refresh_from_db()
    kept.refresh_from_db()
    assert lost.status == "FAILED" and lost.finished_at is not None
    assert lost.exception_class_path == "ombuds.operations.recovery.WorkerLost"
    assert "worker dead stopped" in lost.traceback
    assert kept.status == "RUNNING"
    assert Event.objects.filter(action="operations.task_abandoned").count() == 1
    # The gone worker's heartbeat is cleared; the live one's stays.
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]


def test_a_silent_worker_elsewhere_counts_as_gone(settings):
    settings.OMBUDS_WORKER_SILENT_AFTER = 60
    beat = _beat("far", pid=os.getpid(), seen=timezone.now() - dt.timedelta(minutes=5))
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(hostname="another-machine")
    task = _running("far")
    recovery.recover()
    task.refresh_from_db()
    assert task.status == "FAILED"


def test_a_worker_without_heartbeat_is_given_the_task_timeout(settings):
    settings.OMBUDS_TASK_TIMEOUT = 3600
    old = _running("plain-db-worker", started=timezone.now() - dt.timedelta(hours=2))
    young = _running("plain-db-worker", started=timezone.now() - dt.timedelta(minutes=5))
    recovery.recover()
    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.status, young.status) == ("FAILED", "RUNNING")


def test_a_daily_run_abandoned_by_its_worker_is_run_again():
    _beat("dead", pid=_dead_pid())
    day = timezone.localdate()
    DailyRun.objects.create(job="attest", day=day, started_at=timezone.now(), worker="dead")
    # While it counts as running, nobody else runs it...
    assert DailyRun.objects.get(job="attest").outcome == "running"

    assert recovery.recover()["daily runs abandoned"] == 1
    run = DailyRun.objects.get(job="attest")
    assert run.outcome == "abandoned" and "worker dead stopped" in run.error

    again = daily.daily_run("attest", day=day, worker="w2")
    assert again.attempts == 2 and again.outcome == "succeeded"
