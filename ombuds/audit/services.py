"""Writing to and checking the audit log: an append-only chain of events, each holding the hash of
the one before it.

`record` is called by every service that changes what the log covers, inside that service's own
transaction: the change and its event are written together or not at all. `verify` recomputes the
chain and names the first event that was altered, removed or inserted. `purge` empties an event's
details when their retention period ends; its hash still verifies, and the purge is itself an event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit.models import ChainHead, Event

GENESIS = "0" * 64
SYSTEM = "system"


def canonical(value: Any) -> str:
    """The one JSON text of a value that is hashed: keys sorted, no spaces, dates and decimals as
    strings. The stored details are this text read back, so what is stored is what was hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(event: Event) -> str:
    """The hash an event must have: its fields, its details' hash and the previous event's hash."""
    fields = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "organization": event.organization_id,
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "subject": [event.subject_type, str(event.subject_id)],
        "data_hash": event.data_hash,
        "prev_hash": event.prev_hash,
    }
    return _sha256(canonical(fields))


def _label(actor: Any, actor_label: str) -> str:
    if actor_label:
        return actor_label
    if getattr(actor, "pk", None):
        return actor.get_username()
    return SYSTEM


def record(
    *,
    action: str,
    subject_type: str,
    subject_id: Any,
    data: dict[str, Any] | None = None,
    organization: Any = None,
    actor: Any = None,
    actor_label: str = "",
    occurred_at: dt.datetime | None = None,
) -> Event:
    """Append one event. Call it inside the transaction of the change it records.

    ``actor`` is the signed-in user, if any; ``actor_label`` names whoever acted without an account
    ("anonymous complainant", "respondent (link)"); with neither, the system acted.
    """
    if not action or not subject_type:
        raise ValueError("an audit event needs an action and a subject")
    details = json.loads(canonical(data or {}))
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(key=1)
        event = Event(
            seq=head.last_seq + 1,
            occurred_at=(occurred_at or timezone.now()).astimezone(dt.UTC),
            organization=organization if getattr(organization, "pk", None) else None,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=_label(actor, actor_label)[:200],
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            data=details,
            data_hash=_sha256(canonical(details)),
            prev_hash=head.last_hash or GENESIS,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        head.last_seq, head.last_hash, head.count = event.seq, event.hash, head.count + 1
        head.save(update_fields=["last_seq", "last_hash", "count"])
    return event


@transaction.atomic
def purge(*, event: Event, reason: str, actor: Any = None, actor_label: str = "") -> Event:
    """Empty an event's details (its retention period has ended) and record the purge. The event's
    hash covers the details' hash, not the details, so the chain still verifies."""
    if not reason.strip():
        raise ValueError("a purge needs a reason")
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.purged_at is None:
        event.data, event.purged_at = {}, timezone.now()
        event.save(update_fields=["data", "purged_at"])
    return record(
        action="audit.purged",
        subject_type="audit_event",
        subject_id=event.seq,
        data={"reason": reason.strip(), "action": event.action},
        organization=event.organization,
        actor=actor,
        actor_label=actor_label,
    )


@transaction.atomic
def purge_subject(
    *,
    subject_type: str,
    subject_id: Any,
    reason: str,
    actor: Any = None,
    actor_label: str = "",
    organization: Any = None,
) -> int:
    """Empty the details of every event of one record (its retention period has ended) and record
    the purge once; how many events were purged. The chain still verifies."""
    if not reason.strip():
        raise ValueError("a purge needs a reason")
    events = Event.objects.select_for_update().filter(
        subject_type=subject_type, subject_id=str(subject_id), purged_at__isnull=True
    )
    count = events.update(data={}, purged_at=timezone.now())
    record(
        action="audit.purged",
        subject_type=subject_type,
        subject_id=subject_id,
        data={"reason": reason.strip(), "events": count},
        organization=organization,
        actor=actor,
        actor_label=actor_label,
    )
    return count


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None  # the first event found wrong

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} events"
        return f"audit chain broken at event #{self.seq}: {self.problem}"


def verify(*, chunk_size: int = 2000) -> Verdict:
    """Recompute the whole chain, in order, and compare it with the head. Memory stays flat."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for event in _events(chunk_size):
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                return Verdict(
                    False,
                    checked,
                    f"events #{expected_seq} to #{event.seq - 1} are missing",
                    expected_seq,
                )
            return Verdict(False, checked, "its number is out of sequence", event.seq)
        if event.prev_hash != expected_prev:
            return Verdict(
                False,
                checked,
                "it does not follow the event before it (that one was altered, or this one was "
                "inserted or moved)",
                event.seq,
            )
        if event.purged_at is not None and event.data:
            return Verdict(False, checked, "it is marked purged but has details", event.seq)
        if event.purged_at is None and _sha256(canonical(event.data)) != event.data_hash:
            return Verdict(False, checked, "its details were altered", event.seq)
        if event_hash(event) != event.hash:
            return Verdict(False, checked, "it was altered", event.seq)
        expected_prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = ChainHead.objects.filter(key=1).first()
    last_seq = head.last_seq if head else 0
    if last_seq != checked or (head and checked and head.last_hash != expected_prev):
        return Verdict(
            False,
            checked,
            f"the chain ends at #{checked} but its head records #{last_seq}: the newest events "
            "were removed or the head was altered",
            checked + 1,
        )
    return Verdict(True, checked)


def _events(chunk_size: int) -> Iterator[Event]:
    # Keyset pages rather than one cursor: steady on SQLite and PostgreSQL alike.
    after = 0
    while True:
        page = list(Event.objects.filter(seq__gt=after).order_by("seq")[:chunk_size])
        if not page:
            return
        yield from page
        after = page[-1].seq


def events_for(subject_type: str, subject_id: Any) -> list[Event]:
    """A record's events in order (a case's timeline reads from these)."""
    return list(
        Event.objects.filter(subject_type=subject_type, subject_id=str(subject_id))
        .select_related("actor")
        .order_by("seq")
    )
