"""Procedures from the command line:

- `ombuds procedures check FILE...`: exit 0 when every file is a usable procedure (its notices
  naming templates Ombuds has); otherwise print each problem on its own line and exit 1.
- `ombuds procedures install FILE --org SLUG [--as USER]`: check the file, store it as the body's
  next version and file its new cases under it (running cases keep theirs).
- `ombuds procedures list [--org SLUG]`: the shipped procedures, or a body's versions (which is
  current, how many cases run under each).
- `ombuds procedures show (--org SLUG [--version N] | KEY)`: a version's text, or a shipped one's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ombuds.bodies.models import Organization
from ombuds.cases import procedure
from ombuds.cases.notices import DEFAULTS
from ombuds.cases.procedure import ProcedureInvalid
from ombuds.cases.rules import CaseRefused
from ombuds.cases.selectors import procedure_versions, roles_on_body, shipped_procedures
from ombuds.cases.services.procedures import procedure_install
from ombuds.register.models import Sanction


class Command(BaseCommand):
    help = "Check, install, list and show procedures."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="check procedure files (TOML)")
        check.add_argument("files", nargs="+", metavar="FILE")
        install = sub.add_parser("install", help="install a procedure file as a body's procedure")
        install.add_argument("file", metavar="FILE")
        install.add_argument("--org", required=True, help="the body's slug")
        install.add_argument("--as", dest="username", help="the body's administrator installing it")
        listing = sub.add_parser("list", help="the shipped procedures, or a body's versions")
        listing.add_argument("--org", help="the body's slug")
        show = sub.add_parser("show", help="the text of a procedure version")
        show.add_argument("key", nargs="?", help="a shipped procedure's key")
        show.add_argument("--org", help="the body's slug")
        show.add_argument("--version", type=int, help="the version number (default: current)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "install":
            return self._install(options["file"], options["org"], options["username"])
        if action == "list":
            return self._list(options["org"])
        if action == "show":
            return self._show(options["key"], options["org"], options["version"])
        bad = 0
        for path in options["files"]:
            problems = procedure.problems_in(
                path, templates=DEFAULTS, sanctions=Sanction.Kind.values
            )
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

    def _install(self, path: str, org: str, username: str | None) -> None:
        organization = _organization(org)
        user = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user {username!r}")
            if "administrator" not in roles_on_body(user, organization):
                raise CommandError(f"{username!r} is not an administrator of {organization.slug}")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            version = procedure_install(
                organization=organization, text=text, source=path, acting_user=user
            )
        except ProcedureInvalid as exc:
            for line in exc.problems:
                self.stderr.write(line)
            n = len(exc.problems)
            raise CommandError(
                f"{path} cannot be used ({n} problem{'s' if n > 1 else ''})"
            ) from exc
        except CaseRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{organization.slug}: {version.key} version {version.number} installed; "
            "new cases are filed under it"
        )

    def _list(self, org: str | None) -> None:
        if not org:
            for key, p in shipped_procedures().items():
                self.stdout.write(
                    f"{key}\t{p.name}\t{len(p.states)} states, {len(p.transitions)} steps, "
                    f"{len(p.deadlines)} deadlines"
                )
            return
        organization = _organization(org)
        rows = procedure_versions(organization)
        if not rows:
            self.stdout.write(f"{organization.slug}: no procedure version recorded yet")
        for version, cases, current in rows:
            self.stdout.write(
                f"{version.key}\tv{version.number}\t{'current' if current else '-'}\t"
                f"{'shipped' if version.shipped else 'installed'} "
                f"{version.installed_at:%Y-%m-%d}\t{cases} case{'' if cases == 1 else 's'}\t"
                f"{version.sha256[:12]}"
            )

    def _show(self, key: str | None, org: str | None, number: int | None) -> None:
        if org:
            organization = _organization(org)
            rows = procedure_versions(organization)
            found = [
                v
                for v, _cases, current in rows
                if (v.number == number and (key is None or v.key == key))
                or (number is None and current)
            ]
            if not found:
                raise CommandError(f"{organization.slug} has no such procedure version")
            self.stdout.write(found[0].text, ending="")
            return
        if not key:
            raise CommandError("name a shipped procedure's key, or give --org")
        ours = shipped_procedures().get(key)
        if ours is None:
            raise CommandError(f"no shipped procedure called {key!r}")
        self.stdout.write(Path(ours.source).read_text(encoding="utf-8"), ending="")


def _organization(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(f"no body {slug!r}")
    return organization
