"""The append-only, hash-chained record of what happened (see `ombuds.audit.services`)."""

from __future__ import annotations

from typing import Any

from django.db import connections, models

from ombuds.audit.sealing import SealedJSONField


def _link_waiting(using: str) -> None:
    link = getattr(connections[using], "audit_link", None)
    if link is not None:
        link()


class LinkedFirstQuerySet(models.QuerySet):
    """Reads the log after linking the events this transaction recorded and has not yet linked
    (`ombuds.audit.backends`): a transaction reads what it wrote, when the query runs. A query of
    the log used inside another model's query is not run on its own: read the log first."""

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            _link_waiting(self.db)
        super()._fetch_all()

    def iterator(self, *args: Any, **kwargs: Any) -> Any:
        _link_waiting(self.db)
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        _link_waiting(self.db)
        return super().count()

    def exists(self) -> bool:
        _link_waiting(self.db)
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        _link_waiting(self.db)
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        _link_waiting(self.db)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        _link_waiting(self.db)
        return super().delete()


class LinkedFirst(models.Manager.from_queryset(LinkedFirstQuerySet)):  # type: ignore[misc]
    """The managers of the log: what they read includes this transaction's own events."""


class Event(models.Model):
    """One thing that happened: who did what to which record, with its details.

    Each event's hash covers its fields and the previous event's hash, so an event altered, removed
    or inserted afterwards breaks the chain (`ombuds audit verify`). Since scheme 2 the hash is an
    HMAC under a key kept outside the database (`ombuds.audit.keys`): whoever can write the
    database but lacks the key cannot recompute it. The details are hashed on their own first
    (``data_hash``): when a retention period ends their content can be purged, and the chain still
    verifies. Who acted is in the hash as a pseudonymous id (``actor_ref``); the account and the
    readable label are outside it, so they can be forgotten (`labels_purge`). The details are sealed
    at rest with the body's data key; ``data_hash`` is of their plaintext. Nothing here is updated
    except by those purges (and the re-sealing of a data key rotation), and nothing is deleted.
    """

    class Scheme(models.IntegerChoices):
        SHA256 = 1, "SHA-256 of the fields, the label inside (events before the keyed chain)"
        HMAC = 2, "HMAC-SHA256 under the audit key, a pseudonymous actor id inside"

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
    # Who acted when there is no account: "anonymous complainant", "respondent (link)", "system";
    # the account's name otherwise. Outside the hash since scheme 2: it can be erased.
    actor_label = models.CharField(max_length=200)
    # The stable pseudonymous id of who acted (an HMAC of the account, or of the label): in the hash.
    actor_ref = models.CharField(max_length=64, blank=True, default="")
    scheme = models.PositiveSmallIntegerField(choices=Scheme.choices, default=Scheme.HMAC)
    action = models.CharField(max_length=100)
    subject_type = models.CharField(max_length=50)
    subject_id = models.CharField(max_length=64)
    # Sealed at rest with the body's data key (`ombuds.audit.sealing`); read back as the value.
    data = SealedJSONField(default=dict, blank=True)
    data_hash = models.CharField(max_length=64)
    purged_at = models.DateTimeField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The exact text ``hash`` was taken of (`services.link_text`): verify hashes it as stored and
    # checks that it says what the row's fields say. Never changed once written.
    link = models.TextField(blank=True, default="")

    objects = LinkedFirst()

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
    # The fingerprint of the key the next event is linked with (`ombuds audit rotate-key` changes
    # it; the chain itself records each change, in its "audit.key_rotated" events).
    key_id = models.CharField(max_length=16, blank=True, default="")
    # The pseudonym key, sealed by the current chain key (`ombuds.audit.keys.wrap_pseudonyms`):
    # empty until the first event after this was added; it stays the same across rotations.
    pseudonyms = models.CharField(max_length=200, blank=True, default="")

    objects = LinkedFirst()

    def __str__(self) -> str:
        return f"audit chain at #{self.last_seq} ({self.count} events)"
