"""Background work of cases, on Django's tasks framework (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_notice_task(notice_id: int) -> str:
    """Send one notice by email; a failure is counted and retried by `notices_retry_task`."""
    from ombuds.cases.services import notice_send

    return notice_send(notice_id)


@task()
def notices_retry_task() -> int:
    from ombuds.cases.services import notices_retry

    return notices_retry()


@task()
def deadlines_tick_task() -> dict[str, int]:
    """Deadlines passed, their expiry steps, reminders. Schedule daily (`ombuds cases tick`)."""
    from ombuds.cases.services import deadlines_tick

    return deadlines_tick()
