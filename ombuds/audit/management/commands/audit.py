"""`ombuds audit verify`: recompute the audit log's hash chain; exit 1 at the first broken event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ombuds.audit.services import verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify",
            help="recompute every event's hash in order; name the first event that was altered, "
            "removed or inserted, and exit 1",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        verdict = verify()
        if not verdict.ok:
            raise CommandError(str(verdict))
        self.stdout.write(str(verdict))
