"""`ombuds backup DIR`: the database through its engine's own dump, every stored file, and a
manifest (the Ombuds version, the engine, the time, each file's size and SHA-256, the dump's, and
the audit chain's head), written last.

The database is copied first and the files after it, so every file a backed-up record names is in
the backup (a file uploaded meanwhile is copied too, without its record: harmless). A backup that
fails removes what it wrote; one without a manifest is never taken for a complete one."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.core.files.storage import Storage
from django.db import DatabaseError
from django.utils import timezone

from ombuds.operations import engines
from ombuds.operations.files import files_copy_out
from ombuds.operations.manifest import (
    FILES,
    MANIFEST,
    BackupError,
    Manifest,
    StoredFile,
    file_digest,
    remove_created,
    write_manifest,
)


def ombuds_version() -> str:
    try:
        return version("ombuds")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class BackupDone:
    directory: Path
    manifest: Manifest

    def __str__(self) -> str:
        m = self.manifest
        rows = sum(m.state.tables.values())
        return (
            f"backed up to {self.directory}: {engines.LABELS[m.engine]} database "
            f"({len(m.state.tables)} tables, {rows} rows, {m.dump.size} bytes), "
            f"{len(m.files)} files ({m.files_bytes} bytes), "
            f"audit chain at #{m.state.head.seq}"
        )


def _prepare(directory: Path) -> list[Path]:
    """Make sure the folder is empty or new; what a failure must remove (the folder if made)."""
    if directory.exists():
        if not directory.is_dir():
            raise BackupError(f"{directory} is not a folder")
        if any(directory.iterdir()):
            raise BackupError(f"{directory} is not empty: a backup goes into an empty folder")
        return []
    try:
        directory.mkdir(parents=True)
    except OSError as exc:
        raise BackupError(f"{directory} cannot be made: {exc.strerror}") from exc
    return [directory]


def backup(
    directory: Path, *, storage: Storage | None = None, alias: str = "default"
) -> BackupDone:
    """Back the instance up into ``directory`` (empty or new). BackupError with a one-line reason
    when it cannot; then nothing is left there that looks like a backup."""
    directory = Path(directory).absolute()
    engine = engines.engine_of(alias)
    # A backup holds personal data: what it writes is readable by its owner only.
    umask = os.umask(0o077)
    try:
        return _backup(directory, engine, storage, alias)
    finally:
        os.umask(umask)


def _backup(directory: Path, engine: str, storage: Storage | None, alias: str) -> BackupDone:
    made = _prepare(directory)
    dump = directory / engines.DUMP_NAMES[engine]
    written = made or [dump, directory / FILES, directory / f".{MANIFEST}.partial"]
    try:
        created_at = timezone.now().isoformat(timespec="seconds")
        if engine == "sqlite":
            state = engines.sqlite_dump(dump, alias)
        else:
            state = engines.postgresql_dump(dump, alias)
        files = files_copy_out(directory, storage)
        size, digest = file_digest(dump)
        manifest = Manifest(
            ombuds_version=ombuds_version(),
            engine=engine,
            created_at=created_at,
            dump=StoredFile(path=dump.name, size=size, sha256=digest),
            state=state,
            files=files,
        )
        write_manifest(directory, manifest)
    except BaseException as exc:
        remove_created(written)
        if isinstance(exc, (DatabaseError, sqlite3.Error)):
            raise BackupError(f"the database cannot be read: {exc}".splitlines()[0]) from exc
        if isinstance(exc, OSError):
            raise BackupError(f"the backup failed: {exc}") from exc
        raise
    return BackupDone(directory, manifest)
