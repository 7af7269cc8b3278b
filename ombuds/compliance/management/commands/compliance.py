"""`ombuds compliance ...`: check a programme file, install a body's programme, check a return's
files without filing them (the findings as JSON with ``--json``), and file a return as a user who
may (an administrator of the agency, or the body's staff). A finding's life (findings, answer,
close, open-case) and the schedule (due, tick) are in `ombuds.compliance.management.lifecycle`.

Bad input ends with a one-line reason and a non-zero exit; files whose shape is wrong print every
problem (as findings of the records rule with ``--json``) and exit 1; findings are not an error
(exit 0): they are what a check is for."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ombuds.bodies.models import Organization
from ombuds.compliance import checking, engine, services
from ombuds.compliance.management import lifecycle
from ombuds.compliance.selectors import code_citations
from ombuds.compliance.synthetic import month
from ombuds.core.changes import ChangedMeanwhile
from ombuds.register.models import Agency

FILES = ("ledger", "bank", "contracts")


class Command(BaseCommand):
    help = (
        "Compliance programmes, returns and findings: check-programme, install, check, file, "
        "findings, answer, close, open-case, due, tick."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check_programme = sub.add_parser("check-programme", help="check a programme file (TOML)")
        check_programme.add_argument("file", metavar="FILE")
        check_programme.add_argument("--org", help="check its provisions in this body's code")
        install = sub.add_parser("install", help="install a programme file for a body")
        install.add_argument("file", metavar="FILE")
        install.add_argument("--org", required=True)
        for name, what in (
            ("check", "check a return's files; nothing is filed"),
            ("file", "file a return"),
        ):
            p = sub.add_parser(name, help=what)
            p.add_argument("--org", required=True)
            p.add_argument("--agency", required=True, type=int, metavar="NUMBER")
            p.add_argument("--return", dest="return_key", default="trust_ledger")
            p.add_argument("--period", metavar="YYYY-MM", help="the month (default: last month)")
            for key in FILES:
                p.add_argument(f"--{key}", type=Path, metavar=f"{key.upper()}.csv")
            p.add_argument("--json", action="store_true", help="the findings as JSON")
        file_ = sub.choices["file"]
        file_.add_argument("--as", dest="username", required=True, help="who files it")
        file_.add_argument("--amends", type=int, metavar="RETURN", help="the return it amends")
        lifecycle.add_parsers(sub)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action in lifecycle.ACTIONS:
            return lifecycle.run(self, action, options)
        if action == "check-programme":
            return self.check_programme(options["file"], options["org"])
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no body {options['org']!r}")
        if action == "install":
            return self.install(organization, options["file"])
        agency = Agency.objects.filter(organization=organization, pk=options["agency"]).first()
        if agency is None:
            raise CommandError(f"no agency {options['agency']} in {organization.slug}'s register")
        paths = {key: options[key] for key in FILES if options[key] is not None}
        for key, path in paths.items():
            if not path.is_file():
                raise CommandError(f"--{key}: no file {path}")
        period = _period(options["period"])
        common = dict(
            organization=organization,
            agency=agency,
            return_key=options["return_key"],
            period=period,
            paths=paths,
        )
        try:
            if action == "check":
                outcome = services.return_check(**common)
            else:
                user = get_user_model().objects.filter(username=options["username"]).first()
                if user is None:
                    raise CommandError(f"no user {options['username']!r}")
                filed = services.return_file(**common, user=user, amends=options["amends"])
                outcome = engine.Outcome([], [_as_finding(f) for f in filed.findings.all()])
                self.stderr.write(f"filed return {filed.pk}")
        except services.ReturnRefused as exc:
            if exc.outcome is None:
                raise CommandError(_one_line("; ".join(exc.problems))) from exc
            outcome = exc.outcome
        except ChangedMeanwhile as exc:
            raise CommandError(_one_line(str(exc))) from exc
        self.report(outcome, as_json=options["json"], code=organization.acronym)

    def check_programme(self, path: str, slug: str | None) -> None:
        citations = None
        if slug:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise CommandError(f"no body {slug!r}")
            citations = code_citations(organization)
            if citations is None:
                raise CommandError(f"{slug} has no published code to check the provisions in")
        _spec, problems = checking.file_problems(path, citations)
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(
                f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in {path}"
            )
        self.stdout.write("ok")

    def install(self, organization: Organization, path: str) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            programme = services.programme_install(
                organization=organization, text=text, label="operator (command line)"
            )
        except services.ReturnRefused as exc:
            for line in exc.problems:
                self.stderr.write(line)
            raise CommandError(f"{len(exc.problems)} problem(s): nothing installed") from exc
        self.stdout.write(f"installed {programme.key} v{programme.version}")

    def report(self, outcome: engine.Outcome, *, as_json: bool, code: str) -> None:
        findings = outcome.problem_findings() if outcome.refused else outcome.findings
        if as_json:
            self.stdout.write(json.dumps([f.as_json(code) for f in findings], indent=2))
        else:
            for f in findings:
                where = " ".join(x for x in (f.client or "", str(f.date or "")) if x)
                self.stdout.write(f"{code} {f.provision}\t{f.rule}\t{where}\t{f.detail}")
            if not findings:
                self.stdout.write("no findings")
        for key in outcome.truncated:
            self.stderr.write(f"{key}: more than {engine.MAX_ROWS} found; the first are listed")
        if outcome.refused:
            raise CommandError(
                f"the files' shape has {len(outcome.problems)} problem(s): the return cannot be "
                "accepted and its rules were not run"
            )


def _period(text: str | None) -> tuple[dt.date, dt.date]:
    if text is None:
        last_month = dt.date.today().replace(day=1) - dt.timedelta(days=1)
        return month(last_month.strftime("%Y-%m"))
    try:
        return month(text)
    except ValueError as exc:
        raise CommandError(f"--period {text!r} is not a month written YYYY-MM") from exc


def _as_finding(f) -> engine.Finding:
    return engine.Finding(
        f.rule_key,
        f.provision,
        f.severity,
        f.client_ref or None,
        f.date,
        f.amount,
        f.detail,
        f.evidence,
    )


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
