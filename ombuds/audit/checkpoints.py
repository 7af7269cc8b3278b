"""Checkpoints: the chain anchored outside the database.

A checkpoint is a small JSON file, signed with the Ed25519 key in OMBUDS_AUDIT_SIGNING_KEY_FILE,
naming the chain's head at one moment: its sequence number and hash, the number of events, the time,
and where the keyed scheme began. The operator keeps the directory elsewhere (another machine,
write-once storage). Whoever rewrites the database afterwards, even with the audit key, cannot make
it match the checkpoints: a removed tail with a rewound head leaves a checkpoint's event missing, a
recomputed chain gives it another hash, and a shrunk log counts fewer events.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ombuds.audit import keys
from ombuds.audit.models import ChainHead, Event
from ombuds.audit.services import HMAC, Verdict, canonical, link_now, record, verify

FORMAT = "ombuds-audit-checkpoint/1"
_FIELDS = ("format", "seq", "head_hash", "count", "time", "keyed_from", "signing_key")


class CheckpointError(Exception):
    """A checkpoint cannot be written (a broken chain, a directory or key that cannot be used)."""


def _message(body: dict[str, Any]) -> bytes:
    return canonical({name: body[name] for name in _FIELDS}).encode("utf-8")


def write(directory: str | Path, *, key: Ed25519PrivateKey | None = None) -> Path:
    """Verify the chain, record the checkpoint on it, and write the signed checkpoint of the head
    (which is that very event) into ``directory``: one new file, never over another."""
    key = key or keys.signing_key()
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(f"cannot create {folder}: {exc}") from exc
    verdict = verify()
    if not verdict.ok:
        raise CheckpointError(f"no checkpoint of a broken chain: {verdict}")
    with transaction.atomic():
        event = record(
            action="audit.checkpoint",
            subject_type="audit_chain",
            subject_id=1,
            data={"after": verdict.checked},
        )
        link_now()  # the checkpoint names its own number and hash
        head = ChainHead.objects.get(key=1)
        first_keyed = Event.objects.filter(scheme__gte=HMAC).order_by("seq").values("seq").first()
        body: dict[str, Any] = {
            "format": FORMAT,
            "seq": event.seq,
            "head_hash": event.hash,
            "count": head.count,
            "time": timezone.now().isoformat(timespec="seconds"),
            "keyed_from": first_keyed["seq"] if first_keyed else 0,
            "signing_key": keys.public_key_id(key.public_key()),
        }
        body["signature"] = base64.b64encode(key.sign(_message(body))).decode("ascii")
        path = folder / f"checkpoint-{event.seq:012d}.json"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(body, out, indent=2, sort_keys=True)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:  # the event is rolled back with it
            raise CheckpointError(f"cannot write {path}: {exc}") from exc
    return path


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    seq: int
    head_hash: str
    count: int
    time: str
    keyed_from: int


def _read(path: Path, public: Ed25519PublicKey) -> Checkpoint | str:
    """A checkpoint whose signature holds, or what is wrong with the file."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("format") != FORMAT:
            return f"checkpoint {path.name} is not an Ombuds audit checkpoint"
        signature = base64.b64decode(body["signature"], validate=True)
        message = _message(body)
        point = Checkpoint(
            path,
            int(body["seq"]),
            str(body["head_hash"]),
            int(body["count"]),
            str(body["time"]),
            int(body["keyed_from"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return f"checkpoint {path.name} cannot be read"
    if not keys.signature_ok(public, signature, message):
        return f"checkpoint {path.name}: its signature does not match the public key"
    return point


def check(directory: str | Path, public: Ed25519PublicKey) -> Verdict:
    """Compare the database with every checkpoint in ``directory``, oldest first; the verdict names
    the first event that fails. (The chain itself is checked by `verify`.)"""
    folder = Path(directory)
    if not folder.is_dir():
        return Verdict(False, 0, f"{folder} is not a directory of checkpoints")
    points: list[Checkpoint] = []
    for path in sorted(folder.glob("checkpoint-*.json")):
        point = _read(path, public)
        if isinstance(point, str):
            return Verdict(False, 0, point)
        points.append(point)
    if not points:
        return Verdict(False, 0, f"{folder} holds no checkpoints")
    points.sort(key=lambda point: point.seq)
    count = Event.objects.count()
    last = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    after = 0
    for point in points:
        problem, seq = _against(point, count, last, after)
        if problem:
            return Verdict(False, len(points), problem, seq)
        after = point.seq
    return Verdict(True, len(points))


def _against(point: Checkpoint, count: int, last: int, after: int) -> tuple[str, int]:
    """What is wrong with the log by one checkpoint ("" if nothing), and the first event failing."""
    said = f"the checkpoint of {point.time} ({point.path.name})"
    stored = Event.objects.filter(seq=point.seq).values("hash").first()
    if stored is None:
        first = min(last + 1, point.seq)
        return (
            f"it is missing, and the events up to #{point.seq} are recorded by {said}: the "
            "newest events were removed and the head rewound",
            first,
        )
    if stored["hash"] != point.head_hash:
        return (
            f"its hash differs from {said}: an event from #{after + 1} to #{point.seq} was "
            "altered and the hashes after it recomputed",
            point.seq,
        )
    if count < point.count:
        return f"the log holds {count} events but {said} recorded {point.count}", point.seq
    if point.keyed_from:
        first = Event.objects.filter(seq=point.keyed_from).values("scheme").first()
        if first is None or first["scheme"] < HMAC:
            rewritten = f"the keyed chain began here by {said}: the log was rewritten unkeyed"
            return rewritten, point.keyed_from
    return "", 0


def daily_work(*, today: Any = None) -> dict[str, int]:
    """The daily work's checkpoint, into OMBUDS_AUDIT_CHECKPOINT_DIR (a failure is on the run's
    record: an unreadable key, a directory that cannot be written, a broken chain)."""
    if not settings.OMBUDS_AUDIT_CHECKPOINT_DIR:
        return {"checkpoints": 0}
    path = write(settings.OMBUDS_AUDIT_CHECKPOINT_DIR)
    return {"checkpoints": 1, "events": int(path.stem.rsplit("-", 1)[-1])}
