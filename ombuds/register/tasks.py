"""Background work of the register, on Django's tasks framework (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from ombuds.register.import_jobs import run_import_job_task
from ombuds.register.recertification import send_due_reminders
from ombuds.register.services import apply_due_transitions

__all__ = ["apply_due_transitions_task", "run_import_job_task", "send_due_reminders_task"]


@task()
def apply_due_transitions_task() -> dict[str, int]:
    """Expiry, lapse and ends of suspension on their date. Schedule daily (cron or a task scheduler):
    `ombuds register tick` enqueues nothing and runs it at once; running twice changes nothing."""
    return apply_due_transitions()


@task()
def send_due_reminders_task() -> int:
    """Recertification reminders at 90, 30 and 7 days before the due date, each sent once."""
    return send_due_reminders()
