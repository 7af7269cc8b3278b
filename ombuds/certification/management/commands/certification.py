"""`ombuds certification ...`: a programme's requirements checked and installed, applications listed
and reviewed, exam windows added, a testing vendor's results imported, the daily work run: over the
same services as the staff pages and the API.

Without ``--as``, the operator acts (on the record as "command line"); with ``--as USERNAME`` the
change is that user's, and refused unless they are the body's staff. Bad input ends with a one-line
reason and a non-zero exit; a results file with bad rows prints each and exits 1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ombuds.bodies.models import Organization
from ombuds.certification import selectors, services
from ombuds.certification.models import Application
from ombuds.certification.requirements import RequirementsInvalid, load_file
from ombuds.register.models import CredentialProgram


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _organization(slug: str) -> Organization:
    found = Organization.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no body with slug {slug!r}")
    return found


def _read(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc


def _user(username: str | None) -> Any:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no user {username!r}")
    return user


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not a date written YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Certification: check-requirements, install-requirements, applications, review, window, "
        "import-results, tick."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = sub.add_parser("check-requirements", help="check a programme's requirements file")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--org", help="also check it against this body (code, programme)")
        p = sub.add_parser("install-requirements", help="install a programme's requirements")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--org", required=True)
        p = sub.add_parser("applications", help="list a body's applications")
        p.add_argument("--org", required=True)
        p.add_argument("--show", choices=list(selectors.STAFF_FILTERS), default="to_review")
        p = sub.add_parser("review", help="decide on an application")
        p.add_argument("reference", metavar="REFERENCE")
        p.add_argument("--org", required=True)
        p.add_argument(
            "--decision",
            required=True,
            choices=["complete", "more_information", "eligible", "refused"],
        )
        p.add_argument("--reason", default="")
        p.add_argument("--as", dest="username", help="the staff member deciding")
        p = sub.add_parser("window", help="add an exam window")
        p.add_argument("--org", required=True)
        p.add_argument("--program", required=True, help="the credential's code, e.g. cesp")
        p.add_argument("--code", required=True)
        p.add_argument("--name", required=True)
        p.add_argument("--opens", required=True, metavar="YYYY-MM-DD")
        p.add_argument("--closes", required=True, metavar="YYYY-MM-DD")
        p.add_argument("--vendor", default="")
        p = sub.add_parser("import-results", help="import a testing vendor's results file (CSV)")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--org", required=True)
        p.add_argument("--dry-run", action="store_true", help="check it; store nothing")
        p.add_argument("--as", dest="username", help="the staff member importing it")
        sub.add_parser("tick", help="the daily work: lapses, suspensions ended, eligibility ended")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        handler = getattr(self, action.replace("-", "_"))
        try:
            handler(**options)
        except services.CertificationRefused as exc:
            raise CommandError(_one_line("; ".join(exc.problems))) from exc
        except services.ChangedMeanwhile as exc:
            raise CommandError(_one_line(str(exc))) from exc

    def check_requirements(self, *, file: str, org: str | None, **_: Any) -> None:
        if org:
            text = _read(file).decode("utf-8", errors="replace")
            problems = services.requirements_problems(_organization(org), text, source=file)
        else:
            try:
                load_file(file)
                problems = []
            except RequirementsInvalid as exc:
                problems = exc.problems
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} problem{'s' * (len(problems) > 1)} in {file}")
        self.stdout.write("ok")

    def install_requirements(self, *, file: str, org: str, **_: Any) -> None:
        try:
            text = _read(file).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: not UTF-8 text") from exc
        try:
            installed = services.requirements_install(
                organization=_organization(org), text=text, actor_label="operator (command line)"
            )
        except services.CertificationRefused as exc:
            for line in exc.problems:
                self.stderr.write(line)
            raise CommandError(f"{len(exc.problems)} problem(s): nothing installed") from exc
        self.stdout.write(f"installed {installed.key} {installed.version} for {installed.program}")

    def applications(self, *, org: str, show: str, **_: Any) -> None:
        for a in selectors.staff_applications(_organization(org), show=show):
            due = a.review_due_on or a.respond_by or a.eligible_until or ""
            self.stdout.write(
                f"{a.reference}\t{a.state}\t{a.full_name}\t{a.program.abbreviation}\t{due}"
            )

    def review(
        self,
        *,
        reference: str,
        org: str,
        decision: str,
        reason: str,
        username: str | None,
        **_: Any,
    ) -> None:
        organization = _organization(org)
        application = Application.objects.filter(
            organization=organization, reference=reference.upper()
        ).first()
        if application is None:
            raise CommandError(f"no application {reference!r} at {organization.slug}")
        done = services.application_review(
            application=application,
            decision=decision,
            reason=reason,
            expected_version=None,
            acting_user=_user(username),
        )
        self.stdout.write(f"{done.reference}: {done.state}")

    def window(
        self,
        *,
        org: str,
        program: str,
        code: str,
        name: str,
        opens: str,
        closes: str,
        vendor: str,
        **_: Any,
    ) -> None:
        organization = _organization(org)
        found = CredentialProgram.objects.filter(organization=organization, code=program).first()
        if found is None:
            raise CommandError(f"no credential programme {program!r} at {organization.slug}")
        window = services.window_save(
            program=found,
            values={
                "code": code,
                "name": name,
                "opens_on": _date(opens, "--opens"),
                "closes_on": _date(closes, "--closes"),
                "vendor": vendor,
            },
        )
        self.stdout.write(f"window {window.code} ({window.opens_on} to {window.closes_on})")

    def import_results(
        self, *, file: str, org: str, dry_run: bool, username: str | None, **_: Any
    ) -> None:
        report = services.results_import(
            organization=_organization(org),
            data=_read(file),
            dry_run=dry_run,
            acting_user=_user(username),
            actor_label="" if username else "operator (command line)",
        )
        for error in report.errors:
            self.stderr.write(str(error))
        if not report.ok:
            raise CommandError(_one_line(report.summary()))
        for line in report.certified:
            self.stdout.write(f"certified {line}")
        self.stdout.write(report.summary())

    def tick(self, **_: Any) -> None:
        counts = services.applications_tick()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
