"""What the worker leaves on the record: one row per daily job and day, and each worker's heartbeat."""

from __future__ import annotations

from django.db import models


class DailyRun(models.Model):
    """One job's run for one day (in settings.TIME_ZONE). Unique per (job, day): of several workers,
    the one that creates the row runs the job; a failed or abandoned run is taken up again."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        ABANDONED = "abandoned", "Abandoned: its worker stopped"

    job = models.CharField(max_length=32)
    day = models.DateField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    worker = models.CharField(max_length=64, help_text="the worker (or command) that ran it")
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-day", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="daily_run_once_a_day")]

    def __str__(self) -> str:
        return f"{self.job} {self.day}: {self.outcome}"


class WorkerHeartbeat(models.Model):
    """A process running tasks or daily work, and when it last said it was alive."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"
