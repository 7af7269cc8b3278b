"""`ombuds restore DIR`: a backup back into an empty instance, checked before and after.

Before anything is written: the manifest is read, every checksum in it (the dump's and each
file's) is checked, the engine must be the one configured, the backup's migrations must all be
known to this Ombuds, and the target database and file storage must be empty. Then the dump is
loaded (`pg_restore`, or SQLite's backup API into the database file) and the files are put back
and read back. Only when the audit chain verifies, its head is the manifest's and every table
holds the rows the manifest counted does it say "restored".

Then the erasure journal, kept outside the backup, is re-applied (`ombuds.operations.erasures`):
a case or client's complaint erased after the backup was taken is erased again, with its events
on the chain, and the restore says how many. When the restored database still needs `ombuds
migrate`, it says to run `ombuds erasures reapply` after it (the daily work does it too)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.files.storage import Storage
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from ombuds.audit.services import verify
from ombuds.core import erasure_journal
from ombuds.operations import engines
from ombuds.operations.erasures import Reapplied, erasures_reapply
from ombuds.operations.files import files_copy_in, storage_is_empty
from ombuds.operations.manifest import (
    BackupError,
    DatabaseState,
    Manifest,
    check_files,
    read_manifest,
    safe_relative,
)


@dataclass(frozen=True)
class RestoreDone:
    manifest: Manifest
    events: int
    pending_migrations: int
    reapplied: Reapplied | None = None

    def __str__(self) -> str:
        m = self.manifest
        text = (
            f"restored: {sum(m.state.tables.values())} rows in {len(m.state.tables)} tables, "
            f"{len(m.files)} files ({m.files_bytes} bytes), audit chain intact at "
            f"#{m.state.head.seq} ({self.events} events), backup of {m.created_at}"
        )
        if self.pending_migrations:
            text += (
                f"; run `ombuds migrate`: {self.pending_migrations} migrations to apply, then "
                "`ombuds erasures reapply`"
            )
        if self.reapplied is not None:
            text += f"; {self.reapplied}"
        return text


def _check_engine(manifest: Manifest, alias: str) -> str:
    engine = engines.engine_of(alias)
    if manifest.engine != engine:
        raise BackupError(
            f"the backup is of a {engines.LABELS.get(manifest.engine, manifest.engine)} database "
            f"but this instance is configured for {engines.LABELS[engine]}: set DATABASE_URL to "
            f"a {engines.LABELS.get(manifest.engine, manifest.engine)} database"
        )
    return engine


def _check_migrations(manifest: Manifest) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [
        f"{app}.{name}" for app, name in manifest.state.migrations if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            f"the backup was made by Ombuds {manifest.ombuds_version} with migrations this Ombuds "
            f"does not have ({', '.join(unknown[:3])}{', …' if len(unknown) > 3 else ''}): "
            "restore it with that version or newer"
        )


def _check_empty(alias: str, storage: Storage | None) -> DatabaseState:
    state = engines.current_state(alias)
    holding = engines.holds_data(state)
    if holding:
        raise BackupError(
            f"the target database is not empty ({', '.join(holding[:3])}"
            f"{', …' if len(holding) > 3 else ''} hold rows): restore goes into an empty instance"
        )
    if not storage_is_empty(storage):
        raise BackupError(
            "the target file storage is not empty: restore goes into an empty instance"
        )
    return state


def _check_restored(manifest: Manifest, alias: str) -> int:
    connections.close_all()
    verdict = verify()
    if not verdict.ok:
        raise BackupError(f"restored, but the {verdict}")
    state = engines.current_state(alias)
    if state.head != manifest.state.head:
        raise BackupError(
            f"restored, but the audit chain's head is #{state.head.seq} {state.head.hash[:12]}, "
            f"not the manifest's #{manifest.state.head.seq} {manifest.state.head.hash[:12]}"
        )
    differ = [t for t, rows in manifest.state.tables.items() if state.tables.get(t) != rows]
    if differ:
        raise BackupError(
            f"restored, but {differ[0]} holds {state.tables.get(differ[0])} rows, not the "
            f"manifest's {manifest.state.tables[differ[0]]}"
        )
    return verdict.checked


def _pending_migrations(alias: str) -> int:
    connections.close_all()
    executor = MigrationExecutor(connections[alias])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def restore(
    directory: Path, *, storage: Storage | None = None, alias: str = "default"
) -> RestoreDone:
    """Restore the backup in ``directory`` into this (empty) instance. BackupError, one line, when
    a check fails: before loading, nothing has been written."""
    directory = Path(directory).absolute()
    manifest = read_manifest(directory)
    engine = _check_engine(manifest, alias)
    check_files(directory, manifest)
    _check_migrations(manifest)
    target = _check_empty(alias, storage)
    newer = set(target.migrations) - set(manifest.state.migrations)
    if engine == "postgresql" and newer:
        raise BackupError(
            f"the target database was migrated further than the backup ({len(newer)} migrations "
            "the backup has not applied): restore into a database with no tables (drop and "
            "create it)"
        )
    dump = directory / safe_relative(manifest.dump.path)
    if engine == "sqlite":
        engines.sqlite_load(dump, alias)
    else:
        engines.postgresql_load(dump, has_tables=bool(target.tables), alias=alias)
    try:
        files_copy_in(directory, manifest.files, storage)
    except OSError as exc:
        raise BackupError(f"the database was restored but the files could not be: {exc}") from exc
    events = _check_restored(manifest, alias)
    pending = _pending_migrations(alias)
    if pending:
        return RestoreDone(manifest, events, pending)
    try:
        reapplied = erasures_reapply()
    except erasure_journal.JournalError as exc:
        raise BackupError(
            f"restored, but the erasure journal could not be re-applied: {exc}; run `ombuds "
            "erasures reapply` once it can be read"
        ) from exc
    if reapplied.failed:
        raise BackupError(f"restored, but the {reapplied}; run `ombuds erasures reapply`")
    return RestoreDone(manifest, events, pending, reapplied)
