"""`ombuds audit verify [--checkpoints DIR]`, `ombuds audit checkpoint DIR`, `ombuds audit keygen FILE`,
`ombuds audit rotate-key [--new-key-file FILE]`.

verify recomputes the audit log's chain (and compares it with the signed checkpoints in DIR): exit 1
naming the first event that fails. checkpoint writes a signed checkpoint of the chain's head into
DIR. keygen makes the Ed25519 key checkpoints are signed with (FILE, and its public key FILE.pub).
rotate-key links every later event with a new audit key (FILE, else the configured one while the old
is in OMBUDS_AUDIT_KEY_PREVIOUS_FILES), and says what to change in the configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from ombuds.audit import checkpoints, keys
from ombuds.audit.services import AuditKeyMissing, chain_key_rotate, chain_keys, verify


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
        rotate = sub.add_parser(
            "rotate-key",
            help="link every later event with a new audit key; the rotation is itself an event",
        )
        rotate.add_argument(
            "--new-key-file",
            metavar="FILE",
            help="the new audit key (default: the configured OMBUDS_AUDIT_KEY, the old one being "
            "in OMBUDS_AUDIT_KEY_PREVIOUS_FILES)",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "keygen":
                self._keygen(Path(options["file"]))
            elif action == "rotate-key":
                self._rotate(options.get("new_key_file"))
            elif action == "checkpoint":
                path = checkpoints.write(options["directory"])
                self.stdout.write(f"checkpoint written: {path}")
            else:
                self._verify(options.get("checkpoints"), options.get("public_key"))
        except (ImproperlyConfigured, checkpoints.CheckpointError, AuditKeyMissing) as exc:
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

    def _rotate(self, new_key_file: str | None) -> None:
        if new_key_file:
            try:
                text = Path(new_key_file).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"cannot read the new audit key {new_key_file}: {exc}") from None
            if len(text) < 32:
                raise CommandError(
                    f"the new audit key in {new_key_file} is shorter than 32 characters"
                )
            new = keys.chain_key_from(text)
        else:
            new = keys.chain_key()
        old = keys.key_id(chain_keys()[0])
        if not chain_key_rotate(new_key=new, actor_label="ombuds audit rotate-key"):
            raise CommandError(
                f"the chain is linked with the audit key {old} already: give the new key with "
                "--new-key-file, or configure it first"
            )
        where = f"OMBUDS_AUDIT_KEY_FILE={new_key_file}" if new_key_file else "the new key"
        self.stdout.write(
            f"the audit chain is now linked with the audit key {keys.key_id(new)} (was {old}); now "
            f"set {where}, add the file of the old key to OMBUDS_AUDIT_KEY_PREVIOUS_FILES (verify "
            "needs it for the events before), and restart every process (web server, worker): "
            "one still holding only the old key cannot record until it is restarted"
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
