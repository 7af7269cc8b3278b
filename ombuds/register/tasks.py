"""Background work of the register, on Django's tasks framework (django-tasks)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from ombuds.register.import_jobs import run_import_job_task
from ombuds.register.recertification import send_due_reminders
from ombuds.register.services import (
    apply_due_transitions,
    discard_stale_uploads,
    sanctions_apply_due,
)

__all__ = [
    "apply_due_transitions_task",
    "daily_work",
    "run_import_job_task",
    "sanctions_daily_work",
    "send_due_reminders_task",
]


def daily_work(*, today: dt.date | None = None) -> dict[str, int]:
    """The register's daily work, which the worker runs once a day (ombuds.operations.daily): the
    transitions due, sanctions dated for the day, the recertification reminders due, checked uploads nobody imported."""
    counts = apply_due_transitions(today=today)
    counts.update(sanctions_daily_work(today=today))
    counts["reminders sent"] = send_due_reminders(today=today)
    counts["stale uploads removed"] = discard_stale_uploads()
    return counts


def sanctions_daily_work(*, today: dt.date | None = None) -> dict[str, int]:
    """Sanctions decided for a later date, applied on their day (after the day's ends of
    suspension, so a suspension starting the day another ends replaces nothing)."""
    return sanctions_apply_due(today=today)


@task()
def apply_due_transitions_task() -> dict[str, int]:
    """Expiry, lapse and ends of suspension on their date; the worker runs them daily (`daily_work`),
    `ombuds register tick` at once; running twice changes nothing."""
    return apply_due_transitions()


@task()
def send_due_reminders_task() -> int:
    """Recertification reminders at 90, 30 and 7 days before the due date, each sent once."""
    return send_due_reminders()
