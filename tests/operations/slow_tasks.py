"""A task that takes its time, for the worker tests (tests/operations/test_processes.py): the worker
process imports it by its path, with the project's folder on PYTHONPATH."""

import time

from django_tasks import task


@task()
def nap(seconds: float) -> str:
    time.sleep(seconds)
    return "rested"
