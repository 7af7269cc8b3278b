"""Background work of cases, on Django's tasks framework (django-tasks).

`send_notice_task` is defined beside what it runs (`ombuds.cases.services.delivery`), so that the
services queue a notice without importing this module; it is re-exported here with the others."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from ombuds.cases import services
from ombuds.cases.services.delivery import send_notice_task

__all__ = ["daily_work", "deadlines_tick_task", "notices_retry_task", "send_notice_task"]


def daily_work(*, today: dt.date | None = None) -> dict[str, int]:
    """Cases' daily work, which the worker runs once a day (ombuds.operations.daily): deadlines
    passed and their expiry steps, reminders, retention; then the notices to retry."""
    counts = dict(services.deadlines_tick(today=today))
    counts["notices sent on retry"] = services.notices_retry()
    return counts


@task()
def notices_retry_task() -> int:
    return services.notices_retry()


@task()
def deadlines_tick_task() -> dict[str, int]:
    """Deadlines passed, their expiry steps, reminders: the worker runs them daily (`daily_work`)."""
    return services.deadlines_tick()
