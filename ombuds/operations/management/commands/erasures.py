"""`ombuds erasures list|reapply`: the erasure journal kept outside the database, and its
re-application (see ombuds/core/erasure_journal.py and ombuds/operations/erasures.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ombuds.core import erasure_journal
from ombuds.operations.erasures import erasures_reapply


class Command(BaseCommand):
    help = (
        "The erasure journal: `list` its entries (no names, no texts), `reapply` them (erase "
        "again what this database still holds of the cases and complaints they name)."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every entry, oldest first, and where the journal is")
        sub.add_parser("reapply", help="erase again what a restored backup brought back")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "list":
                self._list()
                return
            done = erasures_reapply()
        except erasure_journal.JournalError as exc:
            raise CommandError(str(exc)) from exc
        if done.failed:
            raise CommandError(str(done))
        self.stdout.write(str(done))

    def _list(self) -> None:
        found = erasure_journal.entries()
        for entry in found:
            files = f", {len(entry.files)} files" if entry.files else ""
            self.stdout.write(
                f"{entry.at}  {entry.kind} {entry.reference} of {entry.body} (#{entry.record})"
                f"  {entry.reason}{files}"
            )
        self.stdout.write(f"{len(found)} erasures in {erasure_journal.journal_dir()}")
