"""CSV imports from the staff pages, run in the background with their progress on the page.

A job is checked first (a dry run that lists every bad row); staff read the check and confirm; the
same file is then imported in one transaction. Both steps run on Django's tasks framework, so a
large file outlasts no web request. Progress goes to the cache, not the database: the import's own
transaction would hide it from the page until the end (and roll it back with a failed import).
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from ombuds.bodies.models import Organization
from ombuds.register.csv import ImportReport, import_csv
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import ImportJob

logger = logging.getLogger(__name__)

KEPT_ERRORS = 1000  # the rows' errors a job keeps to show; the count says how many there were
_PROGRESS_TTL = 24 * 3600


class ImportRefused(TransitionRefused):
    """A step of an import job that cannot be taken now; the message says why."""


def job_file(job: ImportJob) -> str:
    """The name, in the uploads' storage, of the file waiting to be imported: never served, removed
    after the import or a day. The storage is shared by every machine (settings.STORAGES), so the
    worker that runs the job need not be the one that took the upload."""
    return f"imports/{job.organization.slug}/{job.token}.csv"


@transaction.atomic
def job_start(
    *, organization: Organization, data: bytes, filename: str, acting_user: Any = None
) -> ImportJob:
    """Keep the file and queue its check."""
    job = ImportJob.objects.create(
        organization=organization,
        token=secrets.token_hex(16),
        filename=Path(filename).name[:255] or "upload.csv",
        size=len(data),
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    # Named by the job's token (unique, 128 random bits), so the name is never taken.
    default_storage.save(job_file(job), ContentFile(data))
    transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
    return job


@transaction.atomic
def job_confirm(*, job: ImportJob, acting_user: Any = None) -> ImportJob:
    """Queue the import of a file whose check found nothing wrong."""
    job = ImportJob.objects.select_for_update().select_related("organization").get(pk=job.pk)
    if job.phase == ImportJob.Phase.IMPORT:
        raise ImportRefused("this file is already being imported or was imported")
    if job.state != ImportJob.State.DONE or not job.ok:
        raise ImportRefused("only a file whose check found no errors can be imported")
    if not default_storage.exists(job_file(job)):
        raise ImportRefused("the file is no longer waiting (kept for a day): upload it again")
    job.phase, job.state, job.ok = ImportJob.Phase.IMPORT, ImportJob.State.QUEUED, None
    job.finished_at = None
    job.save(update_fields=["phase", "state", "ok", "finished_at", "updated_at"])
    transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    run_import_job_task.enqueue(job_id)


@task()
def run_import_job_task(job_id: int) -> str:
    """Check or import one uploaded CSV file, with progress (`ombuds.register.tasks` lists it with
    the register's other background work)."""
    return job_run(job_id)


def job_run(job_id: int) -> str:
    """Run a queued job's step (the task calls this). A job delivered twice runs once."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("organization", "created_by")
            .filter(pk=job_id, state=ImportJob.State.QUEUED)
            .first()
        )
        if job is None:
            return "nothing to do"
        job.state = ImportJob.State.RUNNING
        job.save(update_fields=["state", "updated_at"])
    dry_run = job.phase == ImportJob.Phase.CHECK
    name = job_file(job)
    try:
        with _open(name) as data:  # read a block at a time: never the whole file in memory
            report = import_csv(
                organization=job.organization,
                data=data,
                dry_run=dry_run,
                acting_user=job.created_by,
                progress=lambda phase, done, total: _note_progress(job.pk, phase, done, total),
            )
    except Exception as exc:  # the job must end, and say why, whatever stopped it
        logger.exception("import job %s stopped", job.pk)
        reason = str(exc) if isinstance(exc, ImportRefused) else f"an internal error ({exc!r})"
        _finish(
            job, state=ImportJob.State.FAILED, ok=False, summary=f"Nothing was written: {reason}"
        )
        return "failed"
    if not dry_run or not report.ok:
        default_storage.delete(name)
    _finish(job, report=report, state=ImportJob.State.DONE, ok=report.ok, summary=report.summary())
    return report.summary()


def _open(name: str) -> Any:
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        raise ImportRefused("the uploaded file is gone (kept for a day): upload it again") from None


def _finish(
    job: ImportJob, *, state: str, ok: bool, summary: str, report: ImportReport | None = None
) -> None:
    job.state, job.ok, job.summary, job.finished_at = state, ok, summary, timezone.now()
    fields = ["state", "ok", "summary", "finished_at", "updated_at"]
    if report is not None:
        job.kind, job.rows = report.kind or "", report.rows
        job.error_count = len(report.errors)
        job.errors = [_row(e) for e in report.errors[:KEPT_ERRORS]]
        job.warnings = [_row(w) for w in report.warnings[:KEPT_ERRORS]]
        fields += ["kind", "rows", "error_count", "errors", "warnings"]
    job.save(update_fields=fields)
    cache.delete(_progress_key(job.pk))


def _row(error) -> dict[str, Any]:
    return {"line": error.line, "column": error.column, "reason": error.reason}


def _progress_key(job_id: int) -> str:
    return f"ombuds:import-job:{job_id}"


def _note_progress(job_id: int, phase: str, done: int, total: int) -> None:
    cache.set(
        _progress_key(job_id),
        {"phase": phase, "done": done, "total": total, "at": time.time()},
        _PROGRESS_TTL,
    )


def job_progress(job: ImportJob) -> dict[str, Any] | None:
    """The running step's latest progress: phase ("checking" or "writing"), done, total, percent,
    and the seconds since it last moved; None before the first rows are counted."""
    if not job.active:
        return None
    progress = cache.get(_progress_key(job.pk))
    if not progress:
        return None
    total = max(progress["total"], 1)
    return {
        **progress,
        "percent": int(100 * progress["done"] / total),
        "idle_seconds": int(time.time() - progress["at"]),
    }
