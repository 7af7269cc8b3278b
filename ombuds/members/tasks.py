"""Background work of attestations, on Django's tasks framework (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from ombuds.members.attestations import attest_tick


@task()
def attest_tick_task() -> dict[str, int]:
    """Open campaigns brought in step with the register, then the reminders due, each sent once.
    Schedule daily (or run `ombuds attest tick`); running it twice changes nothing more."""
    return attest_tick()
