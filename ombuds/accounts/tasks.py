"""Background work of members' accounts, on Django's tasks framework (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from ombuds.accounts.invitation_work import run_execute, run_summary


@task()
def invitation_run_task(run_id: int) -> str:
    """Invite everyone of a body not yet invited (`ombuds.accounts.invitation_runs`), with progress.
    A run delivered twice runs once."""
    run = run_execute(run_id)
    if run is None:
        return "nothing to do"
    return run.summary or run_summary(run)
