"""`ombuds audit verify [--checkpoints DIR]`, `ombuds audit checkpoint DIR`, `ombuds audit keygen FILE`.

verify recomputes the audit log's chain (and compares it with the signed checkpoints in DIR): exit 1
naming the first event that fails. checkpoint writes a signed checkpoint of the chain's head into
DIR. keygen makes the Ed25519 key checkpoints are signed with (FILE, and its public key FILE.pub).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from ombuds.audit import checkpoints, keys
from ombuds.audit.services import verify


class Command(BaseCommand):
    help = "Check the audit log's chain; write and check signed checkpoints of it."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "verify",
            help="recompute every event's hash in order; name the first event that was altered, "
            "removed or inserted, and exit 1",
        )
        check.add_argument(
            "--checkpoints",
            metavar="DIR",
            help="also compare the log with the signed checkpoints in DIR",
        )
        check.add_argument(
            "--public-key",
            metavar="FILE",
            help="the public key the checkpoints are signed with (default: the one of "
            "OMBUDS_AUDIT_SIGNING_KEY_FILE)",
        )
        point = sub.add_parser(
            "checkpoint",
            help="verify the chain and write a signed checkpoint of its head into DIR "
            "(signed with OMBUDS_AUDIT_SIGNING_KEY_FILE)",
        )
        point.add_argument("directory", metavar="DIR")
        keygen = sub.add_parser(
            "keygen",
            help="make an Ed25519 signing key for checkpoints: FILE (private, mode 0600) and "
            "FILE.pub",
        )
        keygen.add_argument("file", metavar="FILE")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "keygen":
                self._keygen(Path(options["file"]))
            elif action == "checkpoint":
                path = checkpoints.write(options["directory"])
                self.stdout.write(f"checkpoint written: {path}")
            else:
                self._verify(options.get("checkpoints"), options.get("public_key"))
        except (ImproperlyConfigured, checkpoints.CheckpointError) as exc:
            raise CommandError(str(exc)) from exc

    def _keygen(self, path: Path) -> None:
        try:
            public = keys.keygen(path)
        except (FileExistsError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"signing key written to {path} (keep it secret; set OMBUDS_AUDIT_SIGNING_KEY_FILE to "
            f"it); public key: {public}"
        )

    def _verify(self, directory: str | None, public_key: str | None) -> None:
        verdict = verify()
        if directory:
            against = checkpoints.check(directory, keys.verifying_key(public_key))
            failed = [v for v in (verdict, against) if not v.ok]
            if failed:
                # Name the earliest event that fails, whichever check found it.
                verdict = min(failed, key=lambda v: v.seq if v.seq is not None else 0)
            else:
                verdict_text = f"{verdict}; {against.checked} checkpoints match"
                self.stdout.write(verdict_text)
                return
        if not verdict.ok:
            raise CommandError(str(verdict))
        self.stdout.write(str(verdict))
