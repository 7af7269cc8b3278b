"""Background work of the register, on Django's tasks framework (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from ombuds.register.services import apply_due_transitions


@task()
def apply_due_transitions_task() -> dict[str, int]:
    """Expiry, lapse and ends of suspension on their date. Schedule daily (cron or a task scheduler):
    `ombuds register tick` enqueues nothing and runs it at once; running twice changes nothing."""
    return apply_due_transitions()


@task()
def send_due_reminders_task() -> int:
    """Recertification reminders at 90, 30 and 7 days before the due date, each sent once."""
    from ombuds.register.recertification import send_due_reminders

    return send_due_reminders()


@task()
def run_import_job_task(job_id: int) -> str:
    """Check or import one uploaded CSV file (`ombuds.register.import_jobs`), with progress."""
    from ombuds.register.import_jobs import job_run

    return job_run(job_id)
