"""`ombuds restore DIR`: a backup into an empty instance, every checksum checked first and the
audit chain verified after (see ombuds/operations/restore.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ombuds.operations.manifest import BackupError
from ombuds.operations.restore import restore


class Command(BaseCommand):
    help = (
        "Restore the backup in DIR into this instance, whose database and file storage must be "
        "empty: checks every checksum first, and the audit chain and its head after."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", metavar="DIR", help="a folder `ombuds backup` wrote")

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        try:
            done = restore(Path(directory))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(done))
