"""The erasure journal: a record of every erasure kept outside the database, so that restoring a
backup taken before an erasure does not bring the erased data back (`ombuds restore` re-applies
every entry, and so do `ombuds erasures reapply` and the daily work).

One file per erasure, in OMBUDS_ERASURE_JOURNAL_DIR (when not set: "ombuds-erasures" beside
OMBUDS_AUDIT_CHECKPOINT_DIR, else "erasures" in the data dir). The operator keeps it outside what
backups restore. An entry names nothing and nobody: what kind of record (a case, a client's
complaint to a member agency), the body's slug, the record's id and reference, the names its stored
files had (their keys are destroyed), the time and a reason code, never a name or a text.

The entry is written, and synced to disk, inside the erasure's transaction before it commits: a
journal that cannot be written makes the erasure fail, so no erasure commits without its entry. A
commit that fails after the entry was written leaves an entry for a record that was not erased;
re-applying it later erases that record, which is what was asked for.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

FORMAT = "ombuds-erasure/1"
KINDS = frozenset({"case", "client_complaint"})
# Why a record was erased: codes only (a reason in words may name the person who asked).
REASONS = frozenset(
    {
        "erasure_on_request",  # the Chair or an operator erased a case on request
        "retention_purge",  # a closed record's retention period ended
        "purge_completed",  # what an earlier purge left was swept
        "case_erased",  # a client's complaint forgotten with the body's case it went to
    }
)
SUFFIX = ".json"


class JournalError(Exception):
    """The journal cannot be written or read; the message is one line."""


@dataclass(frozen=True)
class Entry:
    """One erasure: what was erased (kind, body, record id and reference, stored files' names),
    when, and the reason code."""

    id: str
    kind: str
    body: str
    record: int
    reference: str
    files: tuple[str, ...]
    at: str
    reason: str

    def as_json(self) -> dict:
        return {
            "format": FORMAT,
            "id": self.id,
            "kind": self.kind,
            "body": self.body,
            "record": self.record,
            "reference": self.reference,
            "files": list(self.files),
            "at": self.at,
            "reason": self.reason,
        }


def journal_dir() -> Path:
    """Where the journal is kept (see the module)."""
    configured = getattr(settings, "OMBUDS_ERASURE_JOURNAL_DIR", "") or ""
    if configured:
        return Path(configured)
    checkpoints = getattr(settings, "OMBUDS_AUDIT_CHECKPOINT_DIR", "") or ""
    if checkpoints:
        return Path(checkpoints).absolute().parent / "ombuds-erasures"
    return Path(settings.DATA_DIR) / "erasures"


def append(
    *, kind: str, body: str, record: int, reference: str, files: list[str], reason: str
) -> Entry:
    """Write one entry, durably (the file and its folder synced), as a new file that never
    replaces another. JournalError when it cannot be written: the caller's erasure then fails."""
    if kind not in KINDS or reason not in REASONS:
        raise ValueError(f"not a journal entry: {kind!r}, {reason!r}")
    now = timezone.now()
    entry = Entry(
        id=f"{now:%Y%m%dT%H%M%S%f}-{kind}-{int(record)}-{secrets.token_hex(4)}",
        kind=kind,
        body=body,
        record=int(record),
        reference=reference,
        files=tuple(sorted(set(files))),
        at=now.isoformat(),
        reason=reason,
    )
    folder = journal_dir()
    data = json.dumps(entry.as_json(), sort_keys=True).encode("utf-8") + b"\n"
    temporary = folder / f".{entry.id}.tmp"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, folder / f"{entry.id}{SUFFIX}")
        _sync_folder(folder)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise JournalError(
            f"the erasure journal {folder} cannot be written ({exc.strerror or exc}): nothing was"
            " erased; set OMBUDS_ERASURE_JOURNAL_DIR to a folder this process can write"
        ) from exc
    return entry


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def entries() -> list[Entry]:
    """Every entry, oldest first (none when the journal was never written). JournalError naming
    the first file that is not an entry: an erasure is never skipped silently."""
    folder = journal_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        if path.name.startswith("."):
            continue
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT or raw["kind"] not in KINDS:
                raise ValueError("not an entry of this format")
            found.append(
                Entry(
                    id=str(raw["id"]),
                    kind=str(raw["kind"]),
                    body=str(raw["body"]),
                    record=int(raw["record"]),
                    reference=str(raw["reference"]),
                    files=tuple(str(name) for name in raw["files"]),
                    at=str(raw["at"]),
                    reason=str(raw["reason"]),
                )
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise JournalError(f"{path} is not an erasure journal entry: {exc}") from exc
    return found
