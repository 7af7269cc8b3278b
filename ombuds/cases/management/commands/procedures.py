"""`ombuds procedures check FILE...`: exit 0 when every file is a usable procedure; otherwise print
each problem on its own line and exit 1. `ombuds procedures list` shows the shipped ones."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ombuds.cases import procedure


class Command(BaseCommand):
    help = "Check procedure files, or list the procedures Ombuds ships."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="check procedure files (TOML)")
        check.add_argument("files", nargs="+", metavar="FILE")
        sub.add_parser("list", help="the procedures shipped with Ombuds")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            for key, p in procedure.shipped().items():
                self.stdout.write(
                    f"{key}\t{p.name}\t{len(p.states)} states, {len(p.transitions)} steps, "
                    f"{len(p.deadlines)} deadlines"
                )
            return
        bad = 0
        for path in options["files"]:
            problems = procedure.problems_in(path)
            for line in problems:
                self.stderr.write(line)
            if problems:
                bad += 1
            else:
                self.stdout.write(f"{path}: ok")
        if bad:
            total = len(options["files"])
            raise CommandError(
                f"{bad} of {total} procedure file{'s' if total > 1 else ''} cannot be used"
            )
