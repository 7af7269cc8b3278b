"""A backup's manifest: what it holds, with a SHA-256 for every file, written last so that a backup
without one is known to be incomplete; and the checks a restore makes of it before it writes
anything."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MANIFEST = "manifest.json"
FILES = "files"
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; its message is one line for the operator."""


@dataclass(frozen=True)
class ChainHeadState:
    """The audit chain's last event (0 and "" when the chain is empty) and how many events it has."""

    seq: int
    hash: str
    count: int


@dataclass(frozen=True)
class StoredFile:
    path: str  # the storage name, with forward slashes, relative
    size: int
    sha256: str


@dataclass(frozen=True)
class DatabaseState:
    """What a dump holds, read in the same snapshot as the dump."""

    head: ChainHeadState
    tables: dict[str, int]  # rows per table
    migrations: list[tuple[str, str]]  # (app, name) applied


@dataclass
class Manifest:
    ombuds_version: str
    engine: str  # "postgresql" or "sqlite"
    created_at: str  # ISO 8601, UTC
    dump: StoredFile
    state: DatabaseState
    files: list[StoredFile] = field(default_factory=list)
    format: int = FORMAT

    def to_json(self) -> str:
        data = asdict(self)
        data["state"]["migrations"] = [list(m) for m in self.state.migrations]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise BackupError(
                    f"the manifest's format {data.get('format')!r} is not one this Ombuds reads "
                    f"({FORMAT})"
                )
            state = data["state"]
            return cls(
                ombuds_version=str(data["ombuds_version"]),
                engine=str(data["engine"]),
                created_at=str(data["created_at"]),
                dump=StoredFile(**data["dump"]),
                state=DatabaseState(
                    head=ChainHeadState(**state["head"]),
                    tables={str(k): int(v) for k, v in state["tables"].items()},
                    migrations=[(str(a), str(n)) for a, n in state["migrations"]],
                ),
                files=[StoredFile(**f) for f in data["files"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the manifest cannot be read: {exc}") from exc

    @property
    def files_bytes(self) -> int:
        return sum(f.size for f in self.files)


def safe_relative(name: str) -> PurePosixPath:
    """A storage name as a relative path that stays inside the folder it is joined to."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name or "\x00" in name:
        raise BackupError(f"the manifest names a file outside the backup: {name!r}")
    return path


def copy_hashing(source: BinaryIO, target: BinaryIO | None = None) -> tuple[int, str]:
    """Copy a stream (or only read it, without a target): its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return size, digest.hexdigest()


def file_digest(path: Path) -> tuple[int, str]:
    with path.open("rb") as f:
        return copy_hashing(f)


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Write the manifest under a temporary name, flush it to disk, then give it its name: a
    manifest is there whole or not at all."""
    temporary = directory / f".{MANIFEST}.partial"
    with temporary.open("w", encoding="utf-8") as f:
        f.write(manifest.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, directory / MANIFEST)
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a folder")
    if not path.is_file():
        raise BackupError(f"{directory} has no {MANIFEST}: it is not a complete backup")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from exc
    return Manifest.from_json(text)


def check_files(directory: Path, manifest: Manifest) -> None:
    """Every checksum in the manifest, the dump's first: BackupError at the first that differs."""
    for label, path, expected in _listed(directory, manifest):
        if not path.is_file():
            raise BackupError(f"{label} is missing from the backup")
        size, digest = file_digest(path)
        if size != expected.size or digest != expected.sha256:
            raise BackupError(
                f"{label} does not match its checksum in the manifest: the backup was altered "
                "or damaged, nothing was restored"
            )


def _listed(directory: Path, manifest: Manifest) -> Iterator[tuple[str, Path, StoredFile]]:
    yield "the database dump", directory / safe_relative(manifest.dump.path), manifest.dump
    seen: set[str] = set()
    for stored in manifest.files:
        relative = safe_relative(stored.path)
        if stored.path in seen:
            raise BackupError(f"the manifest lists {stored.path!r} twice")
        seen.add(stored.path)
        yield f"file {stored.path!r}", directory / FILES / relative, stored


def remove_created(paths: Iterable[Path]) -> None:
    """Remove what a failed backup wrote (only that), so nothing half-written is left behind."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
