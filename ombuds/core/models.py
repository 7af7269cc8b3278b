"""What every app's models may build on, and the rate-limit counts (`ombuds.core.throttle`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TimeStamped(models.Model):
    """When a row was made and last changed, and who made it where that is known (a staff member or
    a member through a page, the API or the CLI; nobody for the public, imports and the clock)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True


class RateCount(models.Model):
    """Requests counted per key and window for the rate limits. Counting in the database makes every
    increment atomic across threads, processes and machines."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_start"], name="core_ratecount_unique_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%H:%M}: {self.count}"
