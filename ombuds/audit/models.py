"""The append-only, hash-chained record of what happened (see `ombuds.audit.services`)."""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    """One thing that happened: who did what to which record, with its details.

    Each event's hash covers its fields and the previous event's hash, so an event altered, removed
    or inserted afterwards breaks the chain (`ombuds audit verify`). The details are hashed on their
    own first (``data_hash``): when a retention period ends their content can be purged, and the
    chain still verifies. Nothing here is updated except by that purge, and nothing is deleted.
    """

    # The position in the chain, from 1 with no gaps: assigned under the chain head's lock.
    seq = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    organization = models.ForeignKey(
        "bodies.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    actor = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    # Who acted when there is no account: "anonymous complainant", "respondent (link)", "system".
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=100)
    subject_type = models.CharField(max_length=50)
    subject_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    data_hash = models.CharField(max_length=64)
    purged_at = models.DateTimeField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "seq"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.subject_type}:{self.subject_id}"


class ChainHead(models.Model):
    """The last event's seq and hash, one row: appending locks it, so the chain has no forks, and
    verifying compares with it, so removing the newest events is caught too."""

    key = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain at #{self.last_seq} ({self.count} events)"
