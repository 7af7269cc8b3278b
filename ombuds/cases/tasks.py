"""Background work of cases, on Django's tasks framework (django-tasks).

`send_notice_task` is defined beside what it runs (`ombuds.cases.services.delivery`), so that the
services queue a notice without importing this module; it is re-exported here with the others."""

from __future__ import annotations

from django_tasks import task

from ombuds.cases import services
from ombuds.cases.services.delivery import send_notice_task

__all__ = ["deadlines_tick_task", "notices_retry_task", "send_notice_task"]


@task()
def notices_retry_task() -> int:
    return services.notices_retry()


@task()
def deadlines_tick_task() -> dict[str, int]:
    """Deadlines passed, their expiry steps, reminders. Schedule daily (`ombuds cases tick`)."""
    return services.deadlines_tick()
