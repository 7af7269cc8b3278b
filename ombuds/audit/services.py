"""Writing to and checking the audit log: an append-only chain of events, each holding the hash of
the one before it.

`record` is called by every service that changes what the log covers, inside that service's own
transaction: the change and its event are written together or not at all. `verify` recomputes the
chain and names the first event that was altered, removed or inserted. `purge` empties an event's
details when their retention period ends; its hash still verifies, and the purge is itself an event.
`labels_purge` forgets who acted (the readable label and the account), keeping the pseudonymous id
the chain covers.

Events are linked by scheme: 1, a SHA-256 of the fields with the label inside (the events written
before the keyed chain, kept as they were: no key existed to re-link them with); 2, an HMAC-SHA256
under the audit key (`ombuds.audit.keys`), with a pseudonymous actor id in place of the label. Once
a scheme-2 event exists, a scheme-1 event after it is a forgery.

The chain key can rotate (`chain_key_rotate`): an "audit.key_rotated" event, linked with the old key,
names the old and the new key in its subject, and the events after it are linked with the new one;
`verify` follows the rotations with the keyring of `ombuds.audit.keys`. The pseudonym key does not
rotate. The details are sealed at rest (`ombuds.audit.sealing`); their hash is of the plaintext.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from ombuds.audit import keys, sealing
from ombuds.audit.models import ChainHead, Event

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

    The event waits on the transaction's connection and is linked into the chain as the transaction
    commits (`ombuds.audit.backends`), after the events recorded before it: until then it has no
    ``seq`` or ``hash`` (`link_now` links it at once; so does every `record` with the setting
    ``AUDIT_LINK_AT_ONCE``). Outside a transaction, in autocommit, it is linked and committed
    before this returns.
    """
    if not action or not subject_type:
        raise ValueError("an audit event needs an action and a subject")
    details = json.loads(canonical(data or {}))
    user = actor if getattr(actor, "pk", None) else None
    event = Event(
        scheme=HMAC,
        occurred_at=(occurred_at or timezone.now()).astimezone(dt.UTC),
        organization=organization if getattr(organization, "pk", None) else None,
        actor=user,
        actor_label=_label(actor, actor_label)[:200],
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=details,
    )
    sealing.sealed_beforehand(event, "data")
    if not connection.in_atomic_block:
        with transaction.atomic():  # its own transaction, linked as it commits
            connection.audit_wait(event)
    else:
        connection.audit_wait(event)
        if getattr(settings, "AUDIT_LINK_AT_ONCE", False):
            try:
                connection.audit_link()
            except BaseException:
                connection.audit_unwait(event)  # refused, as an append was before
                raise
    return event


def link_now() -> None:
    """Link this transaction's waiting events now (a checkpoint names the newest event's number):
    the chain head is then held until the transaction ends."""
    connection.audit_link()


def link_waiting(events: list[Event], *, using: str = "default") -> None:
    """Number and link `events` after the chain head, write them and move the head: called by the
    database backend inside the committing transaction, the head locked until its commit. Each
    event keeps the time it was recorded at: the chain's order is its commits'."""
    head = ChainHead.objects.using(using).select_for_update().filter(key=1).first()
    if head is None:
        ChainHead.objects.using(using).get_or_create(key=1)
        head = ChainHead.objects.using(using).select_for_update().get(key=1)
    key, pseudonyms = _head_keys(head)
    seq, prev = head.last_seq, head.last_hash or GENESIS
    refs: dict[tuple[Any, str], str] = {}
    for event in events:
        seq += 1
        who = (event.actor_id, event.actor_label)
        if who not in refs:
            refs[who] = actor_ref(
                user=event.actor_id, label=event.actor_label, pseudonyms=pseudonyms
            )
        event.seq = seq
        event.actor_ref = refs[who]
        event.data_hash = details_hash(event.data, key=key)
        event.prev_hash = prev
        event.link = link_of(event)
        event.hash = prev = _link(HMAC, event.link, key)
    Event.objects.using(using).bulk_create(events)
    for event in events:
        sealing.sealed_forgotten(event, "data")
    head.last_seq, head.last_hash, head.count = seq, prev, head.count + len(events)
    head.key_id = head.key_id or keys.key_id(key)
    head.pseudonyms = head.pseudonyms or keys.wrap_pseudonyms(pseudonyms, key)
    head.save(update_fields=["last_seq", "last_hash", "count", "key_id", "pseudonyms"])


ROTATED = "audit.key_rotated"


def chain_key_rotate(*, new_key: bytes, actor: Any = None, actor_label: str = "") -> bool:
    """Link every event from now on with `new_key`: a "key rotated" event, linked with the key used
    until now, names both keys' fingerprints (in its subject, inside its hash); the head then names
    the new key and keeps the pseudonym key sealed by it. False when the chain already uses it.
    Every process must hold the new key before it appends again (it is refused until it does)."""
    new_id = keys.key_id(new_key)
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(key=1)
        old, pseudonyms = _head_keys(head)
        if keys.key_id(old) == new_id:
            return False
        if head.last_seq:
            record(
                action=ROTATED,
                subject_type="audit_key",
                subject_id=f"{keys.key_id(old)}>{new_id}",
                data={"from": keys.key_id(old), "to": new_id},
                actor=actor,
                actor_label=actor_label,
            )
            link_now()  # with the key used until now
            head.refresh_from_db()
        head.key_id = new_id
        head.pseudonyms = keys.wrap_pseudonyms(pseudonyms, new_key)
        head.save(update_fields=["key_id", "pseudonyms"])
    return True


def refs_of(*, users: Iterable[Any] = (), labels: Iterable[str] = ()) -> list[str]:
    """The pseudonymous ids of these accounts and labels (what `labels_purge` takes)."""
    pseudonyms = chain_keys()[1]
    return [actor_ref(user=user, pseudonyms=pseudonyms) for user in users] + [
        actor_ref(label=label, pseudonyms=pseudonyms) for label in labels if label.strip()
    ]


@transaction.atomic
def labels_purge(
    refs: Iterable[str], *, reason: str, actor: Any = None, actor_label: str = ""
) -> int:
    """Forget who acted in the events of these pseudonymous ids: the label becomes ERASED and the
    account is let go (it may then be deleted). The ids stay, the chain still verifies, and the
    purge is itself an event (its details: counts only). Events written before the keyed chain
    (scheme 1) hold their label inside their hash and are left as they are. Returns how many
    events were changed."""
    if not reason.strip():
        raise ValueError("a purge needs a reason")
    refs = sorted({ref for ref in refs if ref})
    if not refs:
        return 0
    count = (
        Event.objects.filter(scheme__gte=HMAC, actor_ref__in=refs)
        .exclude(actor_label=ERASED, actor__isnull=True)
        .update(actor_label=ERASED, actor=None)
    )
    record(
        action="audit.labels_erased",
        subject_type="audit_actor",
        subject_id=len(refs),
        data={"reason": reason.strip(), "events": count},
        actor=actor,
        actor_label=actor_label,
    )
    return count


def pseudonym_forget(ref: str, *, reason: str, actor: Any = None, actor_label: str = "") -> int:
    """`labels_purge` for one pseudonymous id."""
    return labels_purge([ref], reason=reason, actor=actor, actor_label=actor_label)


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
        if self.seq is None:
            return f"audit chain not verified: {self.problem}"
        return f"audit chain broken at event #{self.seq}: {self.problem}"


# What verify reads of each event, as stored (the details sealed, the time as the driver gives it).
_COLUMNS = (
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
    "purged_at",
    "prev_hash",
    "hash",
    "link",
)
_SCHEMES = frozenset(Event.Scheme.values)


class _Mac:
    """HMAC-SHA256 under one key with its two padded key blocks hashed once: the same digest as
    `hmac.digest`, at about 1.4 SHA-256 passes per message instead of 3.5 (`verify`'s hot path)."""

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def hex(self, data: bytes) -> str:
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


@dataclass
class _Walk:
    """What verifying carries from one event to the next."""

    key: bytes
    pseudonyms: bytes
    ring: dict[str, bytes]
    prev: str = GENESIS
    seq: int = 1
    keyed: bool = False  # a scheme-2 event was seen: no scheme-1 event may follow
    refs: dict[tuple[bool, Any], str] | None = None
    mac: _Mac | None = None
    opened: Any = None  # the stored details' text -> their plaintext (`sealing.text_opener`)

    def __post_init__(self) -> None:
        self.mac = _Mac(self.key)
        self.opened = sealing.text_opener()

    def rekey(self, key: bytes) -> None:
        self.key, self.mac = key, _Mac(key)

    def ref(self, *, user: Any = None, label: str = "") -> str:
        self.refs = self.refs if self.refs is not None else {}
        name = (True, user) if user is not None else (False, label)
        known = self.refs.get(name)
        if known is None:
            known = self.refs[name] = actor_ref(user=user, label=label, pseudonyms=self.pseudonyms)
        return known


def _problem(row: tuple, walk: _Walk) -> str:
    """What is wrong with one stored event, given the one before it; "" when nothing is.

    The chain is checked over the stored bytes: the link text's hash must be the event's hash and
    the link text must say exactly what the row's fields say (so no field changes alone); the
    details are opened and their hash compared with the one inside the link."""
    (seq, scheme, occurred, org, actor_id, label, ref, action, stype, sid) = row[:10]
    (data, data_hash, purged, prev, digest, link) = row[10:]
    if scheme not in _SCHEMES:
        return f"its scheme {scheme} is unknown"
    if scheme < HMAC and walk.keyed:
        return "it claims the unkeyed scheme after the chain became keyed (a forgery)"
    if prev != walk.prev:
        return (
            "it does not follow the event before it (that one was altered, or this one was "
            "inserted or moved)"
        )
    if purged is not None:
        if sealing.open_details(data):
            return "it is marked purged but has details"
    elif not _details_match(walk.opened(data), data_hash, scheme, walk):
        return "its details were altered"
    if scheme >= HMAC and (problem := _actor_problem(actor_id, label, ref, walk)):
        return problem
    if not link:
        return "the text its hash was taken of is missing"
    hashed = link.encode("utf-8")
    if (walk.mac.hex(hashed) if scheme >= HMAC else hashlib.sha256(hashed).hexdigest()) != digest:
        return "it was altered"
    fields = (seq, scheme, occurred, org, actor_id, label, ref, action, stype, sid, data_hash, prev)
    if not _link_says(link, *fields) and link != _stored_link(*fields):
        return "it was altered"  # a field no longer says what its hashed text says
    return ""


def _details_match(text: str, data_hash: str, scheme: int, walk: _Walk) -> bool:
    """The details' hash of their stored plaintext: it is the canonical text that was hashed, so it
    is hashed as it is; text stored otherwise (before sealing) is read and made canonical first."""
    if scheme >= HMAC:
        if walk.mac.hex(b"details\n" + text.encode("utf-8")) == data_hash:
            return True
    elif _sha256(text) == data_hash:
        return True
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return details_hash(value, scheme=scheme, key=walk.key) == data_hash


_quote = encode_basestring  # JSON's string form, as `canonical` writes it


def _stored_iso(moment: Any) -> str:
    """An event's time as the link text has it, from what the driver returns: an aware datetime
    (PostgreSQL), a naive UTC one or its text (SQLite, as Django stores it)."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        return moment.isoformat(timespec="microseconds") + "+00:00"
    return _iso(moment)


def _link_says(
    link, seq, scheme, occurred, org, actor_id, label, ref, action, stype, sid, data_hash, prev
) -> bool:
    """Whether a scheme-2 event's link text is exactly `link_text` of these fields, compared piece
    by piece in the order the canonical text has them (keys sorted), without building a dictionary
    and serialising it. False also when it cannot tell (scheme 1, unusual types): the caller then
    compares with `link_text` itself."""
    if scheme != HMAC or not isinstance(sid, str) or not (org is None or type(org) is int):
        return False
    return link == (
        f'{{"action":{_quote(action)},"actor":{_quote(ref)},"data_hash":{_quote(data_hash)},'
        f'"occurred_at":"{_stored_iso(occurred)}","organization":'
        f'{"null" if org is None else org},"prev_hash":{_quote(prev)},"scheme":2,'
        f'"seq":{seq},"subject":[{_quote(stype)},{_quote(sid)}]}}'
    )


def _stored_link(
    seq, scheme, occurred, org, actor_id, label, ref, action, stype, sid, data_hash, prev
) -> str:
    return link_text(
        scheme=scheme,
        seq=seq,
        occurred_at=dt.datetime.fromisoformat(_stored_iso(occurred)),
        organization_id=org,
        actor_id=actor_id,
        actor_label=label,
        actor_ref=ref,
        action=action,
        subject_type=stype,
        subject_id=sid,
        data_hash=data_hash,
        prev_hash=prev,
    )


def _actor_problem(actor_id: Any, label: str, ref: str, walk: _Walk) -> str:
    # The account and the label are outside the hash (erasable) but must match the id inside it;
    # an erased event has neither, and says only which pseudonymous id acted.
    if actor_id is not None:
        if walk.ref(user=actor_id) != ref:
            return "who acted was altered (the account does not match its pseudonymous id)"
    elif label != ERASED and walk.ref(label=label) != ref:
        return "who acted was altered (the label does not match its pseudonymous id)"
    return ""


def _missing(fingerprint: str, seq: int | None, named: str = "") -> str:
    configured = keys.key_id(keys.chain_key())
    where = f"the events from #{seq}" if seq else "the chain"
    return (
        f"{where} are linked with the audit key {fingerprint}{named}, which is not in the keyring"
        " (the "
        f"key configured is {configured}, from the {keys.key_source()}): add the key it was "
        "written with to OMBUDS_AUDIT_KEY_PREVIOUS_FILES"
    )


def _start(head: ChainHead | None) -> _Walk | Verdict:
    """The walk's first key (the one the first rotation names as its old key, else the head's) and
    the pseudonym key; a verdict when a key is missing."""
    ring = keys.keyring()
    first_keyed = Event.objects.filter(scheme__gte=HMAC).order_by("seq").values("seq").first()
    first_seq = first_keyed["seq"] if first_keyed else None
    rotation = (
        Event.objects.filter(scheme__gte=HMAC, action=ROTATED)
        .order_by("seq")
        .values("seq", "subject_id")
        .first()
    )
    if rotation:
        fingerprint = rotation["subject_id"].partition(">")[0]
    else:
        fingerprint = (head.key_id if head else "") or keys.key_id(keys.chain_key())
    if fingerprint not in ring:
        named = f" (as the key rotation #{rotation['seq']} says)" if rotation else ""
        return Verdict(False, 0, _missing(fingerprint, first_seq, named))
    pseudonyms = keys.pseudonym_key(ring[fingerprint])  # as first derived, until kept in the head
    if head and head.pseudonyms:
        try:
            _chain, pseudonyms = _head_keys(head, ring)
        except AuditKeyMissing as exc:
            return Verdict(False, 0, str(exc))
    return _Walk(key=ring[fingerprint], pseudonyms=pseudonyms, ring=ring)


def _rotate_walk(subject_id: Any, walk: _Walk) -> str:
    """After a verified "key rotated" event: the walk goes on with the new key."""
    old, _sep, new = str(subject_id).partition(">")
    if old != keys.key_id(walk.key):
        return "it names a rotation from a key other than the one that links it"
    walk.rekey(walk.ring[new])
    return ""


def verify(*, chunk_size: int = 10_000) -> Verdict:
    """Recompute the whole chain, in order, across its key rotations, and compare it with the head.
    Every key the chain was linked with must be in the keyring (`keys.keyring`). Memory stays
    flat. Each event's stored link text is hashed as it is and must say what the row's fields say;
    its details are opened (they are sealed at rest) to check their hash."""
    head = ChainHead.objects.filter(key=1).first()
    walk = _start(head)
    if isinstance(walk, Verdict):
        return walk
    checked = 0
    for row in _rows(chunk_size):
        seq = row[0]
        if seq != walk.seq:
            if seq > walk.seq:
                missing = f"events #{walk.seq} to #{seq - 1} are missing"
                return Verdict(False, checked, missing, walk.seq)
            return Verdict(False, checked, "its number is out of sequence", seq)
        problem = _problem(row, walk)
        scheme, action, subject_id = row[1], row[7], row[9]
        if not problem and scheme >= HMAC and action == ROTATED:
            new = str(subject_id).partition(">")[2]
            if new not in walk.ring:
                return Verdict(False, checked, _missing(new, seq + 1))
            problem = _rotate_walk(subject_id, walk)
        if problem:
            return Verdict(False, checked, problem, seq)
        walk.prev, walk.seq, checked = row[14], walk.seq + 1, checked + 1
        walk.keyed = walk.keyed or scheme >= HMAC
    last_seq = head.last_seq if head else 0
    if last_seq != checked or (head and checked and head.last_hash != walk.prev):
        return Verdict(
            False,
            checked,
            f"the chain ends at #{checked} but its head records #{last_seq}: the newest events "
            "were removed or the head was altered",
            checked + 1,
        )
    if head and walk.keyed and head.key_id != keys.key_id(walk.key):
        return Verdict(
            False,
            checked,
            f"the head names the audit key {head.key_id} but the chain's last rotation names "
            f"{keys.key_id(walk.key)}: the head was altered",
            checked,
        )
    return Verdict(True, checked)


def _rows(chunk_size: int) -> Iterator[tuple]:
    """The events as stored, in order, as plain tuples of `_COLUMNS`: keyset pages of raw rows,
    steady on SQLite and PostgreSQL alike, with no model instance and no details opened here."""
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {', '.join(quote(c) for c in _COLUMNS)} FROM {quote(Event._meta.db_table)}"
        f" WHERE {quote('seq')} > %s ORDER BY {quote('seq')} LIMIT %s"
    )
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [after, chunk_size])
            page = cursor.fetchall()
        if not page:
            return
        yield from page
        after = page[-1][0]


def events_for(subject_type: str, subject_id: Any) -> list[Event]:
    """A record's events in order (a case's timeline reads from these)."""
    return list(
        Event.objects.filter(subject_type=subject_type, subject_id=str(subject_id))
        .select_related("actor")
        .order_by("seq")
    )
