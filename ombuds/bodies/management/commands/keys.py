"""`ombuds keys status`: every data key (whose, current or retired, what it still seals).
`ombuds keys rotate`: a new data key for every body, every value and file key moved to it in
batches; safe to interrupt and run again (it resumes); a retired key is deleted once nothing uses it
(a later run deletes one retired less than --grace-minutes ago).
`ombuds keys rewrap [--new-key-file FILE]`: every data key re-wrapped under a new master key (FILE,
else the configured one while OMBUDS_MASTER_KEY_PREVIOUS_FILE names the old); resumable; then it says
what to change in the configuration."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ombuds.bodies import keys
from ombuds.core import crypto


class Command(BaseCommand):
    help = "The bodies' data keys: their status, and their rotation."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="every data key and how many values and files it seals")
        rotate = sub.add_parser("rotate", help="rotate every body's data key (resumable)")
        rotate.add_argument("--batch", type=int, default=500, help="rows per transaction")
        rotate.add_argument(
            "--grace-minutes",
            type=int,
            default=int(keys.GRACE.total_seconds() // 60),
            help="delete a retired key only this long after it was retired",
        )

        rewrap = sub.add_parser(
            "rewrap",
            help="re-wrap every data key under a new master key (resumable)",
        )
        rewrap.add_argument(
            "--new-key-file",
            metavar="FILE",
            help="the new master key (default: the configured one, the old one being given as "
            "OMBUDS_MASTER_KEY_PREVIOUS_FILE)",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "status":
                self._status()
            elif action == "rewrap":
                self._rewrap(options.get("new_key_file"))
            else:
                self._rotate(options["batch"], options["grace_minutes"])
        except crypto.CryptoError as exc:
            raise CommandError(str(exc)) from exc

    def _status(self) -> None:
        rows = keys.keys_status()
        if not rows:
            self.stdout.write("no data keys yet: nothing has been encrypted")
        for row in rows:
            state = (
                f"retired {row['retired_at']:%Y-%m-%d %H:%M}" if row["retired_at"] else "current"
            )
            self.stdout.write(
                f"{row['id']}\t{row['body']}\t{state}\t{row['values']} values\t{row['files']} files"
            )
        source = "generated in the data directory" if crypto.master_key_is_generated() else "given"
        fingerprint = crypto.master_fingerprint(crypto.master_key())
        self.stdout.write(f"master key: {fingerprint}, {source}")
        pending = keys.master_key_pending()
        if pending:
            self.stdout.write(pending.removeprefix("ombuds: "))

    def _rewrap(self, new_key_file: str | None) -> None:
        text = None
        if new_key_file:
            crypto.read_master_key_file(new_key_file)  # names the file if it cannot serve
            text = Path(new_key_file).read_text(encoding="ascii").strip()
        done = keys.keys_rewrap(new_key_text=text, actor_label="ombuds keys rewrap")
        self.stdout.write(
            f"{done.rewrapped} data keys re-wrapped under master key {done.master}"
            f" ({done.already} were already)"
        )
        if done.audit_key_rotated:
            self.stdout.write(
                "the audit chain's key, derived from the master key, now follows the new one"
            )
        where = f"OMBUDS_MASTER_KEY_FILE={new_key_file}" if new_key_file else "the new key"
        self.stdout.write(
            f"now: keep {where} as the only master key (remove OMBUDS_MASTER_KEY and "
            "OMBUDS_MASTER_KEY_PREVIOUS_FILE) and restart every process (web server, worker); "
            "keep the old key with the backups taken before now, which only it opens"
            + (
                "; add the old key file to OMBUDS_AUDIT_KEY_PREVIOUS_FILES so that `ombuds audit "
                "verify` still checks the events linked before"
                if done.audit_key_rotated
                else ""
            )
        )

    def _rotate(self, batch: int, grace_minutes: int) -> None:
        if batch < 1 or grace_minutes < 0:
            raise CommandError("--batch must be at least 1 and --grace-minutes not negative")
        done = keys.keys_rotate(
            batch=batch,
            grace=datetime.timedelta(minutes=grace_minutes),
            actor_label="ombuds keys rotate",
        )
        self.stdout.write(
            f"{done.new_keys} new keys, {done.files_encrypted} files stored before encryption"
            f" encrypted, {done.values_resealed} values re-sealed, "
            f"{done.file_keys_rewrapped} file keys re-wrapped, {done.keys_deleted} retired keys deleted"
        )
        if done.keys_kept:
            kept = ", ".join(map(str, done.keys_kept))
            self.stdout.write(
                f"retired keys kept for now: {kept} (still in use or retired less than "
                f"{grace_minutes} minutes ago): run `ombuds keys rotate` again later"
            )
