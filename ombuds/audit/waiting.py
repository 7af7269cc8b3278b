"""The statements behind the chain head's lock and the events waiting for it (`WaitingEvent`).

`services.record` asks for the head without waiting (PostgreSQL's ``SKIP LOCKED``): when another
transaction holds it, the event is written to wait, and linked after the commit by `services.settle`,
which waits for the head. Whoever holds the head links the events waiting first, oldest first, so
an event is never linked before one written earlier in its own transaction. SQLite takes one writer
at a time: the head is always free there and nothing waits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db import connection

from ombuds.audit.models import ChainHead, Event, WaitingEvent

_HEAD, _WAITING, _EVENT = (m._meta.db_table for m in (ChainHead, WaitingEvent, Event))
_HEAD_FIELDS = ("key", "last_seq", "last_hash", "count", "key_id", "pseudonyms")
_LOCK = (
    f"SELECT h.last_seq, h.last_hash, h.count, h.key_id, h.pseudonyms, "
    f"EXISTS (SELECT 1 FROM {_WAITING}) FROM {_HEAD} h WHERE h.key = 1 FOR UPDATE OF h"
)
# One statement whatever the head's state: locked now (the locked row's values, which are the
# newest), or held by another transaction (the values of the statement's snapshot).
_COLUMNS = "last_seq, last_hash, count, key_id, pseudonyms"
_TRY_LOCK = (
    f"WITH locked AS (SELECT {_COLUMNS} FROM {_HEAD} WHERE key = 1 FOR UPDATE SKIP LOCKED) "
    f"SELECT true, {_COLUMNS}, EXISTS (SELECT 1 FROM {_WAITING}) FROM locked "
    f"UNION ALL SELECT false, {_COLUMNS}, false FROM {_HEAD} "
    "WHERE key = 1 AND NOT EXISTS (SELECT 1 FROM locked)"
)
# What linking reads of a waiting event: the details as stored (sealed), never opened unless the
# chain key changed since they were hashed.
WAITING_COLUMNS = (
    "id",
    "occurred_at",
    "organization_id",
    "actor_id",
    "actor_label",
    "actor_ref",
    "action",
    "subject_type",
    "subject_id",
    "data",
    "data_hash",
    "key_id",
)
_WRITE = (
    f"INSERT INTO {_WAITING} ({', '.join(WAITING_COLUMNS[1:])}) "
    f"VALUES ({', '.join(['%s'] * (len(WAITING_COLUMNS) - 1))})"
)
_READ = f"SELECT {', '.join(WAITING_COLUMNS)} FROM {_WAITING} ORDER BY id"
# What linking writes of an event, in this order (`services._link_waiting`).
EVENT_COLUMNS = (
    "seq",
    "scheme",
    "occurred_at",
    "organization_id",
    "actor_id",
    "actor_label",
    "actor_ref",
    "action",
    "subject_type",
    "subject_id",
    "data",
    "data_hash",
    "prev_hash",
    "hash",
    "link",
)
_INSERT = (
    f"INSERT INTO {_EVENT} ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})"
)
_DELETE_BATCH = 500  # ids a statement names (SQLite takes 999 parameters at most)


def can_wait() -> bool:
    """Whether an append can find the head held by another transaction (PostgreSQL) rather than
    wait its turn for the database (SQLite)."""
    return connection.features.has_select_for_update_skip_locked


@dataclasses.dataclass(frozen=True)
class Head:
    """The chain head as an append found it: ``locked`` for this transaction (until it ends), or
    held by another (its last committed values then: enough to know the keys it names); whether
    events may be waiting to be linked."""

    head: ChainHead
    locked: bool
    waiting: bool


def lock_head(*, wait: bool) -> Head:
    """The chain head, locked until this transaction ends unless `wait` is false and another
    transaction holds it. With `wait` the answer of "waiting" is always true: the statement's
    snapshot predates the wait, so the caller reads the waiting events afresh (`read_waiting`)."""
    if not can_wait():
        head, _ = ChainHead.objects.select_for_update().get_or_create(key=1)
        return Head(head, True, False)
    with connection.cursor() as cursor:
        cursor.execute(_LOCK if wait else _TRY_LOCK)
        row = cursor.fetchone()
    if row is None:  # a database emptied by hand: as the migration does
        ChainHead.objects.get_or_create(key=1)
        return lock_head(wait=True)
    locked, *fields, waiting = row if not wait else (True, *row)
    head = ChainHead.from_db(connection.alias, _HEAD_FIELDS, (1, *fields))
    return Head(head, bool(locked), bool(waiting or wait))


def any_waiting() -> bool:
    """Whether any committed event (or one of this transaction's) waits to be linked; no lock."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_WAITING})")
        return bool(cursor.fetchone()[0])


def write_waiting(event: Event, sealed: str, key_id: str) -> None:
    """Write an event to wait for the head: its fields, its details as sealed and the id of the
    chain key its details' hash was taken under."""
    values = [getattr(event, column) for column in WAITING_COLUMNS[1:-3]]
    values[0] = connection.ops.adapt_datetimefield_value(values[0])
    with connection.cursor() as cursor:
        cursor.execute(_WRITE, [*values, sealed, event.data_hash, key_id])


def read_waiting() -> list[tuple]:
    """Every event waiting to be linked that this transaction sees, oldest first, as stored (the
    time as an aware datetime on every engine)."""
    with connection.cursor() as cursor:
        cursor.execute(_READ)
        rows = cursor.fetchall()
    return [(pk, _aware(occurred), *rest) for pk, occurred, *rest in rows]


def _aware(moment: Any) -> dt.datetime:
    if isinstance(moment, str):  # SQLite gives the text it stores: UTC without its offset
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def write_linked(rows: list[tuple[Any, ...]], waiting_ids: list[int]) -> None:
    """Insert the linked events (tuples of `EVENT_COLUMNS`) and delete the waiting ones they were."""
    at = EVENT_COLUMNS.index("occurred_at")
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(*row[:at], adapt(row[at]), *row[at + 1 :]) for row in rows]
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(_INSERT, rows[0])
        else:
            cursor.executemany(_INSERT, rows)
        for start in range(0, len(waiting_ids), _DELETE_BATCH):
            ids = waiting_ids[start : start + _DELETE_BATCH]
            cursor.execute(
                f"DELETE FROM {_WAITING} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids
            )
