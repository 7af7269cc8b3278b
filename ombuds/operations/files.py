"""The stored files (uploaded evidence, documents) of an instance, read and written through Django's
storage API, so a backup and a restore work the same on local disk and on object storage."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage

from ombuds.operations.manifest import FILES, BackupError, StoredFile, copy_hashing, safe_relative


def _open_raw(storage: Storage, name: str):
    """The stored bytes as they are: ciphertext from the encrypting storage (ombuds.core.encrypted),
    so a backup holds no file in clear; the files' keys travel in the database dump."""
    opener = getattr(storage, "open_raw", None)
    return opener(name) if opener else storage.open(name, "rb")


def _save_raw(storage: Storage, name: str, content: File) -> str:
    saver = getattr(storage, "save_raw", None)
    return saver(name, content) if saver else storage.save(name, content)


def storage_names(storage: Storage | None = None) -> Iterator[str]:
    """Every file's name in the storage, sorted. On local disk the folder is walked (every file,
    whatever its name); elsewhere the storage lists itself."""
    storage = storage or default_storage
    if isinstance(storage, FileSystemStorage):
        root = Path(storage.location)
        if not root.is_dir():
            return
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                yield (Path(folder) / name).relative_to(root).as_posix()
        return
    yield from _listed(storage, "")


def _listed(storage: Storage, prefix: str) -> Iterator[str]:
    dirs, names = storage.listdir(prefix)
    for name in sorted(names):
        yield f"{prefix}{name}"
    for sub in sorted(dirs):
        yield from _listed(storage, f"{prefix}{sub}/")


def storage_is_empty(storage: Storage | None = None) -> bool:
    return next(storage_names(storage), None) is None


def files_copy_out(directory: Path, storage: Storage | None = None) -> list[StoredFile]:
    """Copy every stored file into ``directory``/files/, each with its size and SHA-256 taken from
    the bytes written."""
    storage = storage or default_storage
    stored = []
    for name in storage_names(storage):
        target = directory / FILES / safe_relative(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with _open_raw(storage, name) as source, target.open("xb") as out:
                size, digest = copy_hashing(source, out)
                out.flush()
                os.fsync(out.fileno())
        except FileNotFoundError:
            continue  # deleted since it was listed (a purge): the database no longer names it
        stored.append(StoredFile(path=name, size=size, sha256=digest))
    return stored


def files_copy_in(directory: Path, files: list[StoredFile], storage: Storage | None = None) -> None:
    """Put the backup's files back under their own names, then read each back from the storage
    and check it against its checksum."""
    storage = storage or default_storage
    for stored in files:
        with (directory / FILES / safe_relative(stored.path)).open("rb") as source:
            saved = _save_raw(storage, stored.path, File(source, name=stored.path))
        if saved != stored.path:
            raise BackupError(
                f"the storage saved {stored.path!r} as {saved!r}: the target was not empty"
            )
        with _open_raw(storage, stored.path) as back:
            size, digest = copy_hashing(back)
        if size != stored.size or digest != stored.sha256:
            raise BackupError(f"file {stored.path!r} reads back from the storage changed")
