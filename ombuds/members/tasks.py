"""Background work of attestations, on Django's tasks framework (django-tasks)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from ombuds.members.attestations import attest_tick


def daily_work(*, today: dt.date | None = None) -> dict[str, int]:
    """Attestations' daily work, which the worker runs once a day (ombuds.operations.daily)."""
    return attest_tick(today=today)


@task()
def attest_tick_task() -> dict[str, int]:
    """Open campaigns brought in step with the register, then the reminders due, each sent once.
    The worker runs it daily (`daily_work`); running it twice changes nothing more."""
    return attest_tick()
