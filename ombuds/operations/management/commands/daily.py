"""`ombuds daily [list]` shows the daily runs; `ombuds daily run [--job J]` runs today's now (what
the worker does at OMBUDS_DAILY_AT), each job at most once a day."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.crypto import get_random_string

from ombuds.operations import daily, workers


class Command(BaseCommand):
    help = "The daily work: list its runs, or run today's now."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION")
        p = sub.add_parser("list", help="the recent runs, newest first")
        p.add_argument("--limit", type=int, default=30)
        p = sub.add_parser("run", help="run today's work now, unless it ran already")
        p.add_argument("--job", choices=sorted(daily.JOBS), help="one job only (default: all)")

    def handle(self, *args: Any, action: str | None, **options: Any) -> None:
        if action == "run":
            self.handle_run(job=options["job"])
        else:
            self.handle_list(limit=options.get("limit") or 30)

    def handle_list(self, *, limit: int) -> None:
        if limit < 1:
            raise CommandError("--limit must be 1 or more")
        runs = list(daily.recent_runs(limit))
        if not runs:
            self.stdout.write("no daily runs yet")
            return
        for run in runs:
            finished = (
                timezone.localtime(run.finished_at).strftime("%H:%M:%S") if run.finished_at else "-"
            )
            detail = run.error or ", ".join(f"{k}: {v}" for k, v in run.summary.items())
            self.stdout.write(
                f"{run.day}  {run.job:<9} {run.outcome:<10} attempt {run.attempts}  "
                f"finished {finished}  {detail}".rstrip()
            )

    def handle_run(self, *, job: str | None) -> None:
        worker_id = f"cli-{get_random_string(12)}"
        day = timezone.localdate()
        workers.heartbeat_start(worker_id)
        failed = []
        try:
            for name in [job] if job else list(daily.JOBS):
                run = daily.daily_run(name, day=day, worker=worker_id)
                if run is None:
                    self.stdout.write(f"{name}: already ran for {day}")
                elif run.outcome == run.Outcome.SUCCEEDED:
                    counts = ", ".join(f"{k}: {v}" for k, v in run.summary.items())
                    self.stdout.write(f"{name}: succeeded for {day} ({counts})")
                else:
                    failed.append(f"{name}: {run.error}")
        finally:
            workers.heartbeat_stop(worker_id)
        if failed:
            raise CommandError("; ".join(failed))
