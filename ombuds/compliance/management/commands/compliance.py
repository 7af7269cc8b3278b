"""`ombuds compliance ...`: check a programme file, install a body's programme, check a return
without filing it (the findings as JSON with ``--json``), and file a return as a user who may (an
administrator of the agency, or the body's staff). A return is given as its CSV files (``--ledger``,
``--bank``, ``--contracts``), its documents (``--document KEY=PATH``, ``--expires KEY=YYYY-MM-DD``)
and the statements attested (``--attest KEY``, in the name of the ``--as`` user when filed).
A finding's life (findings, answer, close, open-case) and the schedule (due, tick) are in
`ombuds.compliance.management.lifecycle`.

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
from ombuds.compliance import checking, engine, periods, services
from ombuds.compliance.documents import DocumentGiven
from ombuds.compliance.management import lifecycle
from ombuds.compliance.selectors import code_citations, return_declared
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
            p.add_argument(
                "--period",
                metavar="PERIOD",
                help="YYYY-MM, YYYY-Qn, YYYY, or YYYY-MM-DD (the day an on_change return's change "
                "takes effect); default: the last whole period",
            )
            for key in FILES:
                p.add_argument(f"--{key}", type=Path, metavar=f"{key.upper()}.csv")
            p.add_argument(
                "--document", action="append", default=[], metavar="KEY=PATH", help="a document"
            )
            p.add_argument(
                "--expires",
                action="append",
                default=[],
                metavar="KEY=YYYY-MM-DD",
                help="the date a document expires",
            )
            p.add_argument(
                "--attest", action="append", default=[], metavar="KEY", help="attest a statement"
            )
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
        paths, documents, expires = _given(options)
        common = dict(
            organization=organization,
            agency=agency,
            return_key=options["return_key"],
            period=_period(organization, options["return_key"], options["period"]),
            paths=paths,
            documents=documents,
            expires=expires,
            statements=options["attest"],
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


def _period(
    organization: Organization, return_key: str, text: str | None
) -> tuple[dt.date, dt.date]:
    if text is not None:
        try:
            return periods.parse(text)
        except ValueError as exc:
            raise CommandError(
                f"--period {text!r} is not a month, quarter, year or day ({periods.FORMS})"
            ) from exc
    declared = return_declared(organization, return_key)
    period = periods.last(declared.period if declared else "monthly", dt.date.today())
    if period is None:
        raise CommandError(
            f"give the --period of the {return_key} return: the day the change takes effect "
            "(YYYY-MM-DD)"
        )
    return period


def _pairs(flag: str, form: str, values: list[str], problems: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, equals, rest = value.partition("=")
        if not (key.strip() and equals and rest.strip()):
            problems.append(f"--{flag} {value!r}: write it {form}")
        else:
            pairs.append((key.strip(), rest.strip()))
    return pairs


def _given(options: dict) -> tuple[dict[str, Path], list[DocumentGiven], dict[str, str]]:
    """The files, documents and expiry dates named on the command line (CommandError listing every
    file that cannot be read and every flag not written KEY=VALUE); the service checks the rest."""
    problems: list[str] = []
    paths = {key: options[key] for key in FILES if options[key] is not None}
    for key, path in paths.items():
        if not path.is_file():
            problems.append(f"--{key}: no file {path}")
    documents = []
    for key, value in _pairs("document", "KEY=PATH", options["document"], problems):
        try:
            documents.append(DocumentGiven.from_path(key, Path(value)))
        except OSError as exc:
            problems.append(f"--document {key}: cannot read {value} ({exc.strerror})")
    expires: dict[str, str] = {}
    for key, value in _pairs("expires", "KEY=YYYY-MM-DD", options["expires"], problems):
        if key in expires:
            problems.append(f"--expires {key}: given twice")
        expires[key] = value
    if problems:
        raise CommandError(_one_line("; ".join(problems)))
    return paths, documents, expires


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
