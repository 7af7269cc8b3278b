"""Status events: the register's history of a credential or a membership, each on the audit chain.

Both the lifecycle services and recertification write events through `status_event_record`, so the
history and the audit log cannot disagree.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from typing import Any

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.register.models import Credential, Membership, StatusEvent
from ombuds.register.subjects import subject_of

_batched = contextvars.ContextVar("ombuds_register_audit_batched", default=False)


@contextlib.contextmanager
def audit_batched() -> Iterator[None]:
    """Within it, status changes are not written to the audit log one by one: a bulk operation
    (a CSV import) records one event for the whole batch instead, so that it does not hold the audit
    chain's lock for its whole length."""
    token = _batched.set(True)
    try:
        yield
    finally:
        _batched.reset(token)


def is_batched() -> bool:
    """Whether the caller is inside `audit_batched` (its bulk operation records one event)."""
    return _batched.get()


def acting(user: Any) -> Any:
    """The user to record as the actor, or None for an anonymous or missing one."""
    return user if getattr(user, "pk", None) else None


def status_event_record(
    *,
    record: Credential | Membership,
    from_status: str,
    to_status: str,
    effective_date: dt.date,
    reason: str,
    decision_ref: str = "",
    automatic: bool = False,
    actor: Any = None,
) -> StatusEvent:
    """Write a status event of a credential or membership (from "" for a new record; from a status
    to itself for a correction), and its entry on the audit log in the same transaction (unless
    inside `audit_batched`, whose caller records one event for the batch). The caller holds the
    record's lock and has saved its new state."""
    subject = subject_of(record)
    event = StatusEvent.objects.create(
        **{subject.name: record},
        from_status=from_status,
        to_status=to_status,
        effective_date=effective_date,
        reason=reason,
        decision_ref=decision_ref,
        automatic=automatic,
        actor=actor,
    )
    if not _batched.get():
        audit.record(
            action=f"register.{subject.name}_status",
            subject_type=subject.name,
            subject_id=record.pk,
            data={
                "number": record.number,
                "from": event.from_status,
                "to": event.to_status,
                "effective_date": event.effective_date,
                "reason": event.reason,
                "decision_ref": event.decision_ref,
                "automatic": event.automatic,
            },
            organization=Organization(pk=subject.organization_id(record)),
            actor=event.actor,
        )
    return event
