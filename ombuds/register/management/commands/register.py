"""`ombuds register import|export|verify|tick|fine-paid|open-cycles|draw-audit|invoices`: the
register on the command line, over the same services as the staff pages and the API (`invoices`:
`ombuds.register.invoice_cli`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff, user_roles
from ombuds.register import invoice_cli, recert_audit, recert_selectors
from ombuds.register.csv import KINDS, export_csv, import_csv
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Sanction
from ombuds.register.public import VerifiedCredential, credential_verify
from ombuds.register.recertification import RecertificationError, send_due_reminders
from ombuds.register.services import (
    apply_due_transitions,
    cycles_open_bulk,
    discard_stale_uploads,
    sanction_fine_paid,
)

# Who records a fine as paid (as on the case page and through the API's write scope).
FINE_RECORDERS = frozenset({"administrator", "ethics_chair", "staff"})


def _read(path: str, size: int = -1) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        with file.open("rb") as f:
            return f.read(size)
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc


def _organization(slug: str) -> Organization:
    try:
        return Organization.objects.get(slug=slug)
    except Organization.DoesNotExist:
        raise CommandError(f"no body with slug {slug!r}") from None


def _body_staff(username: str, organization: Organization) -> Any:
    """The active user named, if they are the body's administrator or staff (or a superuser)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no user {username!r}")
    if not is_body_staff(user, organization):
        raise CommandError(
            f"{username!r} is not an administrator or staff of {organization.short_name}"
        )
    return user


class Command(BaseCommand):
    help = (
        "Import and export the register as CSV, verify a credential, apply due transitions, "
        "record a fine as paid, invoices (fees and fines)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        p = sub.add_parser(
            "import", help="import a CSV file of people, agencies, memberships or credentials"
        )
        p.add_argument("path")
        p.add_argument("--org", required=True, help="the body's slug")
        p.add_argument(
            "--dry-run", action="store_true", help="check every row and report; write nothing"
        )

        p = sub.add_parser("export", help="print a body's register as CSV, as import reads it")
        p.add_argument("--org", required=True, help="the body's slug")
        p.add_argument("--kind", choices=list(KINDS), default="credentials")

        p = sub.add_parser("verify", help="what the public register shows for a credential number")
        p.add_argument("number")
        p.add_argument("--json", action="store_true", help="print it as JSON")

        p = sub.add_parser("fine-paid", help="record a fine of the body's register as paid")
        p.add_argument("--org", required=True, help="the body's slug")
        p.add_argument("--sanction", required=True, type=int, help="the fine's id (a sanction)")
        p.add_argument(
            "--on", required=True, dest="paid_on", help="the day it was paid, YYYY-MM-DD"
        )
        p.add_argument("--note", default="", help="e.g. the cheque or transfer reference")
        p.add_argument(
            "--as",
            dest="username",
            required=True,
            help="who records it: the body's administrator, staff or ethics chair",
        )

        p = sub.add_parser(
            "open-cycles",
            help="open the recertification cycle of every active credential that has none "
            "(imported ones); safe to run again",
        )
        p.add_argument("--org", required=True, help="the body's slug")
        p.add_argument("--as", dest="username", required=True, help="the body's admin or staff")

        p = sub.add_parser(
            "draw-audit", help="draw a random sample of submitted recertification cycles for audit"
        )
        p.add_argument("--org", required=True, help="the body's slug")
        p.add_argument(
            "--program", default="", help="the programme's code (needed if the body has several)"
        )
        p.add_argument(
            "--fraction",
            default="",
            help="e.g. 0.05 for one in twenty; the programme's own if left out",
        )
        p.add_argument(
            "--seed", default="", help="to draw the same sample again; random if left out"
        )
        p.add_argument("--as", dest="username", required=True, help="the body's admin or staff")

        invoice_cli.add_parser(sub)

        sub.add_parser(
            "tick",
            help="take the automatic transitions due today (expiry, lapse, end of suspension) "
            "and send the recertification reminders due",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action.replace('-', '_')}")(**options)

    def handle_import(self, *, path: str, org: str, dry_run: bool, **_: Any) -> None:
        organization = _organization(org)
        _read(path, 0)  # there and readable; the import reads it a block at a time
        show_progress = self.stderr.isatty()

        def progress(phase: str, done: int, total: int) -> None:
            self.stderr.write(f"\r{phase} {done:,} of {total:,} rows", ending="")
            if done == total:
                self.stderr.write("")

        with Path(path).open("rb") as data:
            report = import_csv(
                organization=organization,
                data=data,
                dry_run=dry_run,
                progress=progress if show_progress else None,
            )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{path}: {report.summary()}")
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(report.summary())

    def handle_export(self, *, org: str, kind: str, **_: Any) -> None:
        self.stdout.write(export_csv(organization=_organization(org), kind=kind), ending="")

    def handle_verify(self, *, number: str, json: bool, **_: Any) -> None:
        found = credential_verify(number)
        if found is None:
            raise CommandError(f"no credential with number {number.strip()!r}")
        if json:
            self.stdout.write(_json_dumps(dataclasses.asdict(found)))
        else:
            self.stdout.write(_verified_text(found))

    def handle_fine_paid(
        self, *, org: str, sanction: int, paid_on: str, note: str, username: str, **_: Any
    ) -> None:
        organization = _organization(org)
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if not (user.is_superuser or user_roles(user, organization) & FINE_RECORDERS):
            raise CommandError(
                f"{username!r} is not an administrator, staff or the ethics chair of "
                f"{organization.short_name}"
            )
        try:
            on = dt.date.fromisoformat(paid_on)
        except ValueError:
            raise CommandError(f"--on {paid_on!r}: give a date as YYYY-MM-DD") from None
        found = Sanction.objects.filter(organization=organization, pk=sanction).first()
        if found is None:
            raise CommandError(f"no sanction {sanction} in {organization.short_name}'s register")
        try:
            paid = sanction_fine_paid(
                organization=organization, sanction=found, paid_on=on, note=note, acting_user=user
            )
        except TransitionRefused as exc:
            raise CommandError(" ".join(str(exc).split())) from exc
        self.stdout.write(f"Fine {paid.pk} ({paid.amount} {paid.currency}) paid on {paid.paid_on}.")

    def handle_open_cycles(self, *, org: str, username: str, **_: Any) -> None:
        organization = _organization(org)
        user = _body_staff(username, organization)
        self.stdout.write(cycles_open_bulk(organization=organization, acting_user=user).summary())

    def handle_draw_audit(
        self, *, org: str, program: str, fraction: str, seed: str, username: str, **_: Any
    ) -> None:
        organization = _organization(org)
        user = _body_staff(username, organization)
        programs = recert_selectors.programs_of(organization)
        if program:
            chosen = next((p for p in programs if p.code == program), None)
            if chosen is None:
                raise CommandError(f"{organization.short_name} has no programme {program!r}")
        elif len(programs) == 1:
            chosen = programs[0]
        else:
            codes = ", ".join(p.code for p in programs) or "none"
            raise CommandError(f"give --program: {organization.short_name}'s are {codes}")
        try:
            draw = recert_audit.audit_draw(
                program=chosen, fraction=fraction or None, seed=seed, acting_user=user
            )
        except RecertificationError as exc:
            raise CommandError(" ".join(str(exc).split())) from exc
        numbers = list(draw.cycles.order_by("pk").values_list("credential__number", flat=True))
        self.stdout.write(
            f"Drew {len(numbers)} of {len(draw.population)} submitted {chosen.abbreviation} "
            f"cycles for audit (draw {draw.pk}, fraction {draw.fraction}, seed {draw.seed}): "
            + ", ".join(numbers)
        )

    def handle_invoices(self, **options: Any) -> None:
        invoice_cli.handle(self.stdout, self.stderr, **options)

    def handle_tick(self, **_: Any) -> None:
        counts = apply_due_transitions()
        counts["reminders sent"] = send_due_reminders()
        counts["stale uploads removed"] = discard_stale_uploads()
        self.stdout.write(", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items()))


def _verified_text(found: VerifiedCredential) -> str:
    def date(value: dt.date | None) -> str:
        return value.isoformat() if value else "-"

    lines = [
        f"{found.number}  {found.status_display}",
        f"Holder:      {found.holder}",
        f"Body:        {found.body}",
        f"Credential:  {found.credential}",
        f"Status:      {found.status_display}",
        f"Issued:      {date(found.issued_on)}",
        f"Expires:     {date(found.expires_on)}",
    ]
    if found.suspended_until:
        lines.append(f"Suspended until: {date(found.suspended_until)}")
    if found.conditions:
        lines.append(f"Conditions:  {found.conditions}")
    if not found.sanctions:
        lines.append("Sanctions:   none published")
    for s in found.sanctions:
        cited = f" ({', '.join(s.citations)})" if s.citations else ""
        lines.append(
            f"Sanction:    {s.decided_on.isoformat()} {s.kind_display}{cited}: {s.summary}"
        )
        if s.decision_url:
            lines.append(f"             {s.decision_url}")
    return "\n".join(lines)


def _json_dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
