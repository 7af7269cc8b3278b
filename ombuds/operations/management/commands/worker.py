"""`ombuds worker`: the task worker (django-tasks-db's `db_worker`, same options) with the worker's
own schedule beside it: the daily work at OMBUDS_DAILY_AT, the heartbeat, and the recovery of work
whose worker died. Run one or several; the daily work runs once a day whatever their number."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import CommandParser
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from ombuds.operations import recovery, scheduler, workers

logger = logging.getLogger("ombuds.operations")


class Command(DBWorkerCommand):
    help = "Run background tasks and the daily work (register, cases, attestations) on schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(reload=False)  # a reloading parent would run the schedule twice

    def handle(self, *args: Any, worker_id: str, verbosity: int, **options: Any) -> None:
        self.configure_logging(verbosity)
        if verbosity >= 1 and not logger.hasHandlers():
            logger.addHandler(logging.StreamHandler(self.stdout))
        logger.setLevel(logging.INFO if verbosity >= 1 else logging.WARNING)
        workers.heartbeat_start(worker_id)
        counts = recovery.recover()
        if any(counts.values()):
            logger.warning("recovered work of stopped workers: %s", counts)
        schedule = scheduler.build(worker_id)
        schedule.start()
        try:
            super().handle(*args, worker_id=worker_id, verbosity=verbosity, **options)
        finally:
            schedule.shutdown(wait=False)
            workers.heartbeat_stop(worker_id)
