"""The statements behind the chain head's lock and the events waiting for it (`WaitingEvent`).

`services.record` asks for the head without waiting (PostgreSQL's ``SKIP LOCKED``): when another
transaction holds it, the event is written to wait, with a MAC under the chain key over every field
of its row (`mac_text`), and its writer links it right after its commit (`services.settle`, which
waits for the head). Whoever holds the head links the events waiting first, oldest first, so an
event is never linked before one written earlier in its own transaction. Linking goes through the
database function `audit_link_waiting` (migration 0007), the only way a waiting row leaves its
table. SQLite takes one writer at a time: the head is always free there and nothing waits.

This module knows statements and the MAC, not the chain: `services` links.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from ombuds.audit.models import ChainHead, WaitingEvent

_HEAD, _WAITING = (m._meta.db_table for m in (ChainHead, WaitingEvent))
_HEAD_FIELDS = ("key", "last_seq", "last_hash", "count", "key_id", "pseudonyms")
_COLUMNS = "last_seq, last_hash, count, key_id, pseudonyms"
_LOCK = (
    f"SELECT {_COLUMNS}, EXISTS (SELECT 1 FROM {_WAITING}) FROM {_HEAD} WHERE key = 1 FOR UPDATE"
)
# One statement whatever the head's state: locked now (the locked row's values, the newest), or
# held by another transaction (the values of the statement's snapshot: enough to know its keys).
_TRY_LOCK = (
    f"WITH locked AS (SELECT {_COLUMNS} FROM {_HEAD} WHERE key = 1 FOR UPDATE SKIP LOCKED) "
    f"SELECT true, {_COLUMNS}, EXISTS (SELECT 1 FROM {_WAITING}) FROM locked "
    f"UNION ALL SELECT false, {_COLUMNS}, false FROM {_HEAD} "
    "WHERE key = 1 AND NOT EXISTS (SELECT 1 FROM locked)"
)
# A waiting row as stored, in this order: what its MAC covers (all but the MAC itself).
COLUMNS = (
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
    "mac",
)
_NEXT_ID = f"SELECT nextval(pg_get_serial_sequence('{_WAITING}', 'id'))"
_WRITE = (
    f"INSERT INTO {_WAITING} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
)
_READ = f"SELECT {', '.join(COLUMNS)} FROM {_WAITING} ORDER BY id"
_LINK = "SELECT audit_link_waiting(%s, %s::bigint[], %s::text[], %s::text[], %s::text[])"


def can_wait() -> bool:
    """Whether an append can find the head held by another transaction (PostgreSQL) rather than
    wait its turn for the database (SQLite)."""
    return connection.vendor == "postgresql"


@dataclasses.dataclass(frozen=True)
class Row:
    """A waiting event as stored (its details sealed, its time aware)."""

    id: int
    occurred_at: dt.datetime
    organization_id: int | None
    actor_id: int | None
    actor_label: str
    actor_ref: str
    action: str
    subject_type: str
    subject_id: str
    data: str
    data_hash: str
    key_id: str
    mac: str


def mac_text(row: Row | dict[str, Any]) -> bytes:
    """What a waiting row's MAC is taken of: every other field of the row, its id included (so a
    row cannot be copied under another id, nor written again once linked), in one JSON array."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    moment = get("occurred_at").astimezone(dt.UTC).isoformat(timespec="microseconds")
    values = [moment if name == "occurred_at" else get(name) for name in COLUMNS[:-1]]
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return b"waiting\n" + text.encode("utf-8")


def mac(key: bytes, row: Row | dict[str, Any]) -> str:
    return hmac.digest(key, mac_text(row), "sha256").hex()


def mac_ok(key: bytes, row: Row) -> bool:
    return hmac.compare_digest(mac(key, row), row.mac)


@dataclasses.dataclass(frozen=True)
class Head:
    """The chain head as an append found it: ``locked`` for this transaction (until it ends), or
    held by another (its last committed values then); whether events may be waiting."""

    head: ChainHead
    locked: bool
    waiting: bool


def lock_head(*, wait: bool) -> Head:
    """The chain head, locked until this transaction ends unless `wait` is false and another
    transaction holds it (PostgreSQL). SQLite: `select_for_update` (its writers take turns)."""
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
    return Head(head, bool(locked), bool(waiting))


def still_waiting(ids: Sequence[int]) -> bool:
    """Whether any of these waiting events is not linked yet (as this transaction sees it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_WAITING} WHERE id = ANY(%s))", [list(ids)])
        return bool(cursor.fetchone()[0])


def any_waiting() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_WAITING})")
        return bool(cursor.fetchone()[0])


def write(values: dict[str, Any], key: bytes) -> int:
    """Write an event to wait for the head: `values` holds every column but the id and the MAC
    (the details as sealed, the id of the chain key the details' hash was taken under). The id is
    the sequence's next number, and the MAC covers it. Returns the id."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_ID)
        values = {**values, "id": cursor.fetchone()[0]}
        values["mac"] = mac(key, values)
        row = [values[name] for name in COLUMNS]
        row[1] = connection.ops.adapt_datetimefield_value(row[1])
        cursor.execute(_WRITE, row)
    return values["id"]


def read(where: str = "", params: Sequence[Any] = ()) -> list[Row]:
    """The waiting events this transaction sees (those committed, and its own), oldest first."""
    sql = _READ if not where else _READ.replace(" ORDER BY", f" WHERE {where} ORDER BY")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return [Row(pk, _aware(occurred), *rest) for pk, occurred, *rest in rows]


def _aware(moment: Any) -> dt.datetime:
    if isinstance(moment, str):  # SQLite gives the text it stores: UTC without its offset
        moment = dt.datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def link(first_seq: int, linked: list[tuple[int, str, str, str]]) -> None:
    """Link waiting events in this order from `first_seq` on: (id, details' hash, hash, link text)
    each; `audit_link_waiting` deletes each waiting row, inserts its event from the row's own
    fields and moves the head past them (the caller holds the head)."""
    if not linked:
        return
    ids, data_hashes, hashes, links = (list(column) for column in zip(*linked, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(_LINK, [first_seq, ids, data_hashes, hashes, links])
