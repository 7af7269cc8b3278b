"""The daily work: each app's `daily_work`, run once a day for the day in settings.TIME_ZONE (bodies
have no time zone of their own yet, so one local day serves every body of the deployment).

A run is claimed by creating its row, unique per (job, day), in a transaction: of two workers due
at once, one creates it and runs the job, the other finds it and does nothing. A run that failed, or
was abandoned by a worker that died, is taken up again by the next one due that day (an attempt
more); one that succeeded or is running is never run twice. Each run is on the record: its outcome,
its counts or its error, and an audit event."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ombuds.accounts.sessions import sessions_clear_expired
from ombuds.audit import checkpoints as audit_checkpoints
from ombuds.audit.services import record
from ombuds.cases import tasks as cases_tasks
from ombuds.certification import tasks as certification_tasks
from ombuds.compliance.schedule import compliance_tick
from ombuds.members import first_tier
from ombuds.members import tasks as members_tasks
from ombuds.operations import erasures
from ombuds.operations.models import DailyRun
from ombuds.register import tasks as register_tasks

logger = logging.getLogger(__name__)

# The order they run in: the register first (expiries a case or an attestation may depend on).
JOBS: dict[str, Callable[..., dict[str, int]]] = {
    "register": register_tasks.daily_work,
    "cases": cases_tasks.daily_work,
    "attest": members_tasks.daily_work,
    # Compliance returns: reminders before due dates, returns overdue, findings past their cure period.
    "compliance": compliance_tick,
    # Applications: unanswered requests lapse, suspensions and eligibility end, notices retried.
    "certification": certification_tasks.daily_work,
    # Clients' complaints to member agencies forgotten at the end of their retention period.
    "first tier": first_tier.daily_work,
    # The erasure journal re-applied: what a restored backup brought back of an erased case goes.
    "erasures": erasures.daily_work,
    # Expired sessions cleared, ended ones forgotten (nothing kept of where anyone signed in from).
    "sessions": sessions_clear_expired,
}
# Last, where configured: a signed checkpoint of the audit chain, covering the day's work, written
# into the directory the operator keeps elsewhere (docs/deployment.md, "Audit checkpoints").
if settings.OMBUDS_AUDIT_CHECKPOINT_DIR:
    JOBS["audit"] = audit_checkpoints.daily_work


def daily_at() -> dt.time:
    """OMBUDS_DAILY_AT, HH:MM local time."""
    value = settings.OMBUDS_DAILY_AT or ""
    try:
        return dt.time.fromisoformat(value).replace(second=0, microsecond=0)
    except ValueError:
        raise ImproperlyConfigured(
            f"OMBUDS_DAILY_AT must be a time of day as HH:MM, not {value!r}"
        ) from None


def due_day(now: dt.datetime | None = None) -> dt.date | None:
    """Today (local) when today's work is due by now; None before the hour."""
    local = timezone.localtime(now or timezone.now())
    return local.date() if local.time() >= daily_at() else None


def _claim(job: str, day: dt.date, worker: str) -> DailyRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = DailyRun.objects.select_for_update().filter(job=job, day=day).first()
        if run is None:
            try:
                with transaction.atomic():
                    return DailyRun.objects.create(job=job, day=day, started_at=now, worker=worker)
            except IntegrityError:  # another worker created it this very moment
                return None
        if run.outcome in (DailyRun.Outcome.SUCCEEDED, DailyRun.Outcome.RUNNING):
            return None
        run.outcome = DailyRun.Outcome.RUNNING
        run.attempts += 1
        run.started_at, run.finished_at, run.worker, run.error = now, None, worker, ""
        run.save(
            update_fields=["outcome", "attempts", "started_at", "finished_at", "worker", "error"]
        )
        return run


def _finish(run: DailyRun, outcome: str, *, summary: dict | None = None, error: str = "") -> None:
    with transaction.atomic():
        run.outcome, run.finished_at = outcome, timezone.now()
        run.summary, run.error = summary or {}, error
        run.save(update_fields=["outcome", "finished_at", "summary", "error"])
        record(
            action="operations.daily_run",
            subject_type="daily_run",
            subject_id=run.pk,
            data={
                "job": run.job,
                "day": run.day.isoformat(),
                "outcome": outcome,
                "attempt": run.attempts,
                "summary": run.summary,
                "worker": run.worker,
            },
        )


def daily_run(job: str, *, day: dt.date, worker: str) -> DailyRun | None:
    """Run one job for one day unless it ran (or is running) already. Returns the run, or None
    when there was nothing to do. A job's error is on the record, not raised."""
    work = JOBS[job]
    run = _claim(job, day, worker)
    if run is None:
        return None
    logger.info("daily %s for %s: started by %s (attempt %d)", job, day, worker, run.attempts)
    try:
        summary = work(today=day)
    except Exception as exc:
        logger.exception("daily %s for %s failed", job, day)
        lines = traceback.format_exception_only(type(exc), exc)
        _finish(run, DailyRun.Outcome.FAILED, error="".join(lines).strip()[:2000])
        return run
    _finish(run, DailyRun.Outcome.SUCCEEDED, summary={k: int(v) for k, v in summary.items()})
    logger.info("daily %s for %s: %s", job, day, summary)
    return run


def run_due(*, worker: str, now: dt.datetime | None = None) -> list[DailyRun]:
    """Every job whose work for today is due and not yet done (the worker's schedule calls this at
    the hour, and once when it starts, to catch up a day it was not running at the hour)."""
    day = due_day(now)
    if day is None:
        return []
    return [run for job in JOBS if (run := daily_run(job, day=day, worker=worker))]


def recent_runs(limit: int = 60):
    return DailyRun.objects.order_by("-day", "job")[:limit]


def last_runs() -> list[DailyRun]:
    """The latest run of each job, in the jobs' order: one query (/healthz asks on every probe)."""
    latest_day = DailyRun.objects.filter(job=OuterRef("job")).order_by("-day").values("day")[:1]
    runs = {
        run.job: run
        for run in DailyRun.objects.filter(job__in=list(JOBS), day=Subquery(latest_day)).order_by()
    }
    return [runs[job] for job in JOBS if job in runs]
