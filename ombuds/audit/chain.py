"""The audit chain's hashing and linking, below `ombuds.audit.services` (which writes, purges and
verifies the chain, and names all of this too).

- What an event's hash is taken of (`link_text`, `details_hash`, `actor_ref`) and with which keys
  (`chain_keys`: the ones the chain head names).
- The events waiting for the chain head (`ombuds.audit.waiting`): written to wait by `record` when
  another transaction holds the head (`_wait_to_be_linked`), linked oldest first by whoever holds
  it (`_link_waiting`), their MAC checked first, and by their writer's commit (`settle`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from ombuds.audit import keys, sealing, waiting
from ombuds.audit.models import ChainHead, Event

log = logging.getLogger("ombuds.audit")

GENESIS = "0" * 64
SYSTEM = "system"
# What an erased label reads (the event still says which pseudonymous id acted).
ERASED = "(name erased)"
HMAC = Event.Scheme.HMAC


def canonical(value: Any) -> str:
    """The one JSON text of a value that is hashed: keys sorted, no spaces, dates and decimals as
    strings. The stored details are this text read back, so what is stored is what was hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _mac(key: bytes, text: str) -> str:
    return hmac.digest(key, text.encode("utf-8"), "sha256").hex()


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def details_hash(details: Any, *, scheme: int = HMAC, key: bytes | None = None) -> str:
    """The hash of an event's details: keyed since scheme 2, so purged details cannot be guessed
    back from it."""
    text = canonical(details)
    if scheme < HMAC:
        return _sha256(text)
    return _mac(key or keys.chain_key(), "details\n" + text)


def link_text(
    *,
    scheme: int,
    seq: int,
    occurred_at: dt.datetime,
    organization_id: Any,
    actor_id: Any,
    actor_label: str,
    actor_ref: str,
    action: str,
    subject_type: str,
    subject_id: Any,
    data_hash: str,
    prev_hash: str,
) -> str:
    """The text an event's hash is taken of: scheme 1 names the account and the label, scheme 2
    the pseudonymous id instead (the label stays outside, to be erasable)."""
    fields = {
        "seq": seq,
        "occurred_at": _iso(occurred_at),
        "organization": organization_id,
        "action": action,
        "subject": [subject_type, str(subject_id)],
        "data_hash": data_hash,
        "prev_hash": prev_hash,
    }
    if scheme < HMAC:
        fields.update(actor=actor_id, actor_label=actor_label)
    else:
        fields.update(scheme=scheme, actor=actor_ref)
    return canonical(fields)


def _link(scheme: int, text: str, key: bytes) -> str:
    return _sha256(text) if scheme < HMAC else _mac(key, text)


def event_hash(event: Event, *, key: bytes | None = None) -> str:
    """The hash an event must have: its fields, its details' hash and the previous event's hash."""
    return _link(event.scheme, link_of(event), key or keys.chain_key())


def link_of(event: Event) -> str:
    """The text an event's hash is taken of, from its fields (stored beside it as ``link``)."""
    return link_text(
        scheme=event.scheme,
        seq=event.seq,
        occurred_at=event.occurred_at,
        organization_id=event.organization_id,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        actor_ref=event.actor_ref,
        action=event.action,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        data_hash=event.data_hash,
        prev_hash=event.prev_hash,
    )


def actor_ref(*, user: Any = None, label: str = "", pseudonyms: bytes | None = None) -> str:
    """The stable pseudonymous id of who acted: of the account when there is one, else of the label
    ("anonymous complainant", "Pat Complainant (complainant)"). Erasure computes it to forget them.
    The pseudonym key is the chain's (`chain_keys`): it does not change when the chain key rotates."""
    pk = getattr(user, "pk", user)
    subject = f"user:{pk}" if pk is not None else f"label:{label.strip()}"
    return _mac(pseudonyms or chain_keys()[1], subject)[:32]


class AuditKeyMissing(Exception):
    """The chain is linked with a key this process does not hold."""


def _head_keys(head: ChainHead | None, ring: dict[str, bytes] | None = None) -> tuple[bytes, bytes]:
    """The key the chain head names (the configured one for a new chain) and the pseudonym key."""
    ring = ring if ring is not None else keys.keyring()
    current = keys.chain_key()
    fingerprint = (head.key_id if head else "") or keys.key_id(current)
    if fingerprint not in ring:
        raise AuditKeyMissing(
            f"the audit chain is linked with the audit key {fingerprint}, which this process does"
            f" not hold (the key configured is {keys.key_id(current)}, from the"
            f" {keys.key_source()})"
        )
    chain = ring[fingerprint]
    if head and head.pseudonyms:
        pseudonyms = keys.unwrap_pseudonyms(head.pseudonyms, chain)
        if pseudonyms is None:
            raise AuditKeyMissing(
                f"the chain head's pseudonym key does not open under the audit key {fingerprint}"
            )
        return chain, pseudonyms
    return chain, keys.pseudonym_key(chain)  # as it was derived before it was kept in the head


def chain_keys() -> tuple[bytes, bytes]:
    """The chain key the next event is linked with, and the pseudonym key."""
    return _head_keys(ChainHead.objects.filter(key=1).first())


def chain_key_problem() -> str | None:
    """Why this process could not append to the chain (it lacks the key the head names), in one
    line; None when it can."""
    try:
        chain_keys()
    except ImproperlyConfigured as exc:  # a previous key's file that cannot be read
        return f"ombuds: {exc}"
    except AuditKeyMissing as exc:
        return (
            f"ombuds: {exc}: configure it (OMBUDS_AUDIT_KEY_FILE, or OMBUDS_AUDIT_KEY_PREVIOUS_FILES "
            "while a rotation is under way)"
        )
    return None


def _save_head(head: ChainHead, key: bytes, pseudonyms: bytes) -> None:
    head.key_id = head.key_id or keys.key_id(key)
    head.pseudonyms = head.pseudonyms or keys.wrap_pseudonyms(pseudonyms, key)
    head.save(update_fields=["last_seq", "last_hash", "count", "key_id", "pseudonyms"])


def _wait_to_be_linked(event: Event, key: bytes) -> Event:
    """Write the event to wait for the head (hashed under the key the head names now, its row
    under a MAC), and have this transaction's commit link it (`settle`, which waits for the head:
    whether its holder commits or rolls back, the event is linked before the writer goes on)."""
    values = {name: getattr(event, name) for name in waiting.COLUMNS[1:9]}
    values["data"] = sealing.seal(event.data, event.organization_id)
    values["data_hash"], values["key_id"] = event.data_hash, keys.key_id(key)
    written = waiting.write(values, key)
    transaction.on_commit(functools.partial(settle, mine=(written,)), robust=True)
    return event


def _link_waiting(head: ChainHead, key: bytes) -> int:
    """Link every waiting event this transaction sees after the locked head, oldest first, and
    move the head (in memory as `audit_link_waiting` does in the database); how many. A row whose
    MAC does not verify is not linked: it is logged as an error each time it is met, and `verify`
    reports it. A row keyed with a chain key this process does not hold stops the linking there
    (the events after it wait too, to keep their order). The details are copied as stored; their
    hash is taken again only when the chain key changed since it was."""
    current, ring, opened = keys.key_id(key), None, None
    seq, prev, linked = head.last_seq, head.last_hash or GENESIS, []
    for row in waiting.read():
        row_key = key
        if row.key_id != current:
            ring = ring if ring is not None else keys.keyring()
            row_key = ring.get(row.key_id)
            if row_key is None:
                log.error(
                    "audit: the event waiting as #%s is keyed with the audit key %s, which this "
                    "process does not hold: it and the events after it wait",
                    row.id,
                    row.key_id,
                )
                break
        if not waiting.mac_ok(row_key, row):
            log.error(
                "audit: the event waiting as #%s (%s %s:%s) does not carry a valid MAC: it was "
                "forged, copied or altered, and is not linked",
                row.id,
                row.action,
                row.subject_type,
                row.subject_id,
            )
            continue
        data_hash = row.data_hash
        if row_key is not key:
            opened = opened or sealing.text_opener()
            data_hash = _mac(key, "details\n" + opened(row.data))
        text = link_text(
            scheme=HMAC,
            seq=seq + 1,
            occurred_at=row.occurred_at,
            organization_id=row.organization_id,
            actor_id=row.actor_id,
            actor_label=row.actor_label,
            actor_ref=row.actor_ref,
            action=row.action,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            data_hash=data_hash,
            prev_hash=prev,
        )
        seq, prev = seq + 1, _link(HMAC, text, key)
        linked.append((row.id, data_hash, prev, text))
    waiting.link(head.last_seq + 1, linked)
    head.last_seq, head.last_hash, head.count = seq, prev, head.count + len(linked)
    return len(linked)


def settle(*, mine: Sequence[int] = (), wait: bool = True) -> int:
    """Link the events waiting for the chain head (PostgreSQL); how many this call linked.

    Run after the commit of each transaction that wrote an event to wait (``mine``: their ids):
    unless another process linked them already, it waits for the head, whoever holds it, to commit
    or roll back, then links every event waiting, oldest first, in one short transaction. So an
    event's writer goes on only once its event is in the chain, and a holder rolled back or gone
    leaves nothing waiting. Without ``mine`` it links whatever waits: the purges, `verify
    --settle`, a checkpoint and the worker's recovery (for the events of a process that stopped
    between its commit and its settle). ``wait=False`` gives up if the head is held."""
    if not waiting.can_wait():
        return 0
    if not (waiting.still_waiting(mine) if mine else waiting.any_waiting()):
        return 0
    with transaction.atomic():
        found = waiting.lock_head(wait=wait)
        if not found.locked:
            return 0
        key, pseudonyms = _head_keys(found.head)
        count = _link_waiting(found.head, key)
        if count:
            _save_head(found.head, key, pseudonyms)
    return count
