"""What someone with the database owner's rights does to the audit log, in raw SQL: on PostgreSQL
with the append-only trigger disabled (as the owner can), on SQLite directly."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.db import connection

from ombuds.audit import services
from ombuds.audit.models import Event


@contextmanager
def owner_sql():
    """A cursor past the trigger: `ALTER TABLE audit_event DISABLE TRIGGER` on PostgreSQL."""
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if pg:
            # The foreign keys' deferred checks of this test's inserts run first: PostgreSQL alters
            # no table with trigger events pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        try:
            yield cursor
        finally:
            if pg:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def rewind_head(cursor, seq: int) -> None:
    """Point the chain's head at event ``seq``, as if it were the last."""
    last = Event.objects.get(seq=seq)
    cursor.execute(
        "UPDATE audit_chainhead SET last_seq = %s, last_hash = %s, count = %s WHERE key = 1",
        [seq, last.hash, seq],
    )


def delete_tail(from_seq: int) -> None:
    """Delete the events from ``from_seq`` on and rewind the head to the one before."""
    with owner_sql() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq >= %s", [from_seq])
        rewind_head(cursor, from_seq - 1)


def rewrite_from(
    seq: int,
    *,
    action: str = "case.dismissed",
    key: bytes | None = None,
    scheme: int = Event.Scheme.HMAC,
    start: int | None = None,
) -> None:
    """Change event ``seq``'s action and recompute every later hash and its hashed text (and the
    head), as whoever holds the database rewrites it: with ``key``
    (the audit key when None, an attacker's guess otherwise) and ``scheme`` (1: plain SHA-256,
    the old unkeyed chain). ``start`` is where the rewrite begins (``seq`` unless earlier)."""
    events = list(Event.objects.filter(seq__gte=start or seq).order_by("seq"))
    prev = Event.objects.filter(seq=(start or seq) - 1).values_list("hash", flat=True).first()
    prev = prev or services.GENESIS
    with owner_sql() as cursor:
        for event in events:
            if event.seq == seq:
                event.action = action
            event.scheme = scheme
            event.data_hash = services.details_hash(event.data, scheme=scheme, key=key)
            event.prev_hash = prev
            event.hash = services.event_hash(event, key=key)
            cursor.execute(
                "UPDATE audit_event SET action = %s, scheme = %s, data_hash = %s, prev_hash = %s,"
                " hash = %s, link = %s WHERE seq = %s",
                [
                    event.action,
                    scheme,
                    event.data_hash,
                    prev,
                    event.hash,
                    services.link_of(event),
                    event.seq,
                ],
            )
            prev = event.hash
        rewind_head(cursor, events[-1].seq)


def chain(n: int, **kwargs) -> list[Event]:
    return [
        services.record(
            action="case.transition",
            subject_type="case",
            subject_id=i % 3,
            data={"to": f"state-{i}", "on": dt.date(2026, 1, 1 + i % 28)},
            **kwargs,
        )
        for i in range(n)
    ]
