"""`ombuds backup DIR`: the database, every stored file and a manifest with their checksums and the
audit chain's head, into an empty or new folder (see ombuds/operations/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ombuds.operations.backup import backup
from ombuds.operations.manifest import BackupError


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, or SQLite's online backup), every stored file and a "
        "manifest with their checksums and the audit chain's head into DIR (empty or new)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", metavar="DIR", help="an empty or new folder")

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        try:
            done = backup(Path(directory))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(done))
