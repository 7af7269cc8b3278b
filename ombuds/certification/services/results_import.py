"""A testing vendor's results file, imported as the register imports its files: every row checked
first and every bad one reported (line, column, reason); with any error nothing is stored. A good
file is recorded in one transaction, each result through `result_record` (so a pass issues its
credential there), and one audit event records the file with its SHA-256. A result already
recorded is left as it is, so importing the same file twice changes nothing.

The columns (a header row names them, in any order): ``reference`` (the application's),
``window`` (the exam window's code), ``sat_on`` (YYYY-MM-DD), ``result`` (pass, fail or no_show)
and/or ``score`` (0 to 100: a pass at or above the programme's pass score), and optionally
``family_name`` (checked against the application's, to catch a row given the wrong reference).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.certification.models import Application, ExamWindow
from ombuds.certification.services.common import CertificationRefused, spec_of, staff_label
from ombuds.certification.services.exams import (
    RESULTS,
    ResultIn,
    recorded_already,
    result_of,
    result_problems,
    result_record,
)
from ombuds.register.csv.reading import FileUnreadable, RowError, decode, unescape_formula

COLUMNS = ("reference", "window", "sat_on", "result", "score", "family_name")
REQUIRED = ("reference", "window", "sat_on")
MAX_ROWS = 20_000


@dataclass
class ResultsReport:
    """What an import did or, in a check, would do. With any error nothing was stored."""

    dry_run: bool
    rows: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: {"pass": 0, "fail": 0, "no_show": 0, "unchanged": 0}
    )
    certified: list[str] = field(default_factory=list)  # "reference: number"
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            bad = len({e.line for e in self.errors if e.line is not None})
            if not self.rows and bad <= 1:
                return f"cannot import this file: {self.errors[0]}"
            return f"{bad} bad line{'s' * (bad != 1)}, {len(self.errors)} error{'s' * (len(self.errors) != 1)}; nothing was stored"
        c = self.counts
        counts = (
            f"{c['pass']} passed, {c['fail']} failed, {c['no_show']} did not sit, "
            f"{c['unchanged']} already recorded"
        )
        if self.dry_run:
            return f"checked, nothing stored: {self.rows} rows would be: {counts}"
        return f"{self.rows} rows: {counts}"


@dataclass(frozen=True)
class _Row:
    line: int
    reference: str
    window: str
    given: ResultIn
    family_name: str


class _Invalid(Exception):
    """Raised inside the transaction to roll everything back."""


def _header(records: list[tuple[int, list[str]]], report: ResultsReport) -> list[str] | None:
    line, values = records[0]
    header = [v.strip().lower() for v in values]
    for position, name in enumerate(header, start=1):
        if name not in COLUMNS:
            report.errors.append(
                RowError(
                    line,
                    name or str(position),
                    f"unknown column; the columns are: {', '.join(COLUMNS)}",
                )
            )
        elif header.index(name) != position - 1:
            report.errors.append(RowError(line, name, "this column appears twice"))
    for name in REQUIRED:
        if name not in header:
            report.errors.append(RowError(line, name, "this column is required; it is missing"))
    if "result" not in header and "score" not in header:
        report.errors.append(RowError(line, None, "a results file has a result or a score column"))
    return None if report.errors else header


def _records(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out, start = [], 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                out.append((start, values))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileUnreadable(start, f"malformed CSV: {exc}") from None
    return out


def _row(line: int, cells: dict[str, str], report: ResultsReport) -> _Row | None:
    def error(column: str | None, reason: str) -> None:
        report.errors.append(RowError(line, column, reason))

    before = len(report.errors)
    for name in REQUIRED:
        if not cells.get(name):
            error(name, "a value is required")
    sat_on = None
    if cells.get("sat_on"):
        try:
            sat_on = dt.date.fromisoformat(cells["sat_on"])
        except ValueError:
            error("sat_on", f"{cells['sat_on']!r} is not a date; write it as YYYY-MM-DD")
    result = cells.get("result", "").lower()
    if result and result not in RESULTS:
        error("result", f"unknown result {result!r}; one of: {', '.join(RESULTS)}")
    score = None
    if cells.get("score"):
        try:
            score = Decimal(cells["score"])
            if not Decimal(0) <= score <= Decimal(100):
                error("score", "a score is between 0 and 100")
        except InvalidOperation:
            error("score", f"{cells['score']!r} is not a number")
    if not result and not cells.get("score"):
        error("result", "give the result or the score")
    if len(report.errors) > before or sat_on is None:
        return None
    return _Row(
        line,
        cells["reference"].upper(),
        cells["window"].lower(),
        ResultIn(sat_on, result, score),
        cells.get("family_name", ""),
    )


def _read(data: bytes, report: ResultsReport) -> list[_Row]:
    try:
        records = _records(decode(data))
    except FileUnreadable as exc:
        report.errors.append(RowError(exc.line, None, exc.reason))
        return []
    if not records:
        report.errors.append(RowError(1, None, "the file is empty"))
        return []
    header = _header(records, report)
    if header is None:
        return []
    if len(records) - 1 > MAX_ROWS:
        report.errors.append(RowError(None, None, f"more than {MAX_ROWS} rows: split the file"))
        return []
    rows, seen = [], {}
    for line, values in records[1:]:
        if len(values) != len(header):
            report.errors.append(
                RowError(
                    line, None, f"{len(values)} values where the header has {len(header)} columns"
                )
            )
            continue
        cells = {n: unescape_formula(v.strip()) for n, v in zip(header, values, strict=True)}
        row = _row(line, cells, report)
        if row is None:
            continue
        if row.reference in seen:
            report.errors.append(
                RowError(
                    line,
                    "reference",
                    f"{row.reference} is on line {seen[row.reference]} too: one result per candidate and file",
                )
            )
            continue
        seen[row.reference] = line
        rows.append(row)
    report.rows = len(records) - 1
    return rows


def _check(
    organization: Organization, rows: list[_Row], report: ResultsReport
) -> list[tuple[_Row, Application, ExamWindow]]:
    """Each row against the body's applications and windows, as they are (locked by the caller's
    transaction when it writes): every problem on its line."""
    applications = {
        a.reference: a
        for a in Application.objects.filter(
            organization=organization, reference__in=[r.reference for r in rows]
        ).select_related("program", "requirements", "person", "organization")
    }
    windows = {
        (w.program_id, w.code): w
        for w in ExamWindow.objects.filter(
            organization=organization, code__in={r.window for r in rows}
        )
    }
    checked = []
    for row in rows:
        application = applications.get(row.reference)
        if application is None:
            report.errors.append(
                RowError(
                    row.line,
                    "reference",
                    f"no application {row.reference} at {organization.short_name}",
                )
            )
            continue
        window = windows.get((application.program_id, row.window))
        if window is None:
            report.errors.append(
                RowError(
                    row.line,
                    "window",
                    f"no {application.program.abbreviation} window {row.window!r}",
                )
            )
            continue
        if row.family_name and row.family_name.casefold() != application.family_name.casefold():
            report.errors.append(
                RowError(
                    row.line,
                    "family_name",
                    f"{row.reference} is {application.full_name}'s application, not {row.family_name}'s",
                )
            )
            continue
        spec = spec_of(application.requirements)
        if recorded_already(application, window, row.given, spec) is not None:
            checked.append((row, application, window))
            continue
        for problem in result_problems(application, window, row.given, spec):
            report.errors.append(RowError(row.line, None, problem))
        checked.append((row, application, window))
    return checked


def results_import(
    *,
    organization: Organization,
    data: bytes,
    dry_run: bool,
    acting_user: Any = None,
    actor_label: str = "",
) -> ResultsReport:
    """Import a vendor's results file into the body's applications: all of it or nothing (see the
    module). The importer is the body's staff (CertificationRefused otherwise), or the operator
    (no user) or a staff token (``actor_label``). A dry run does everything and rolls it back, so its report is exactly what an import
    would do (the credential numbers it would give included)."""
    if not actor_label:
        staff_label(organization, acting_user)
    report = ResultsReport(dry_run=dry_run)
    rows = _read(data, report)
    if report.errors and not rows:
        report.errors.sort(key=lambda e: e.line or 0)
        return report
    # Rows whose cells were bad are reported already; the others are still checked against the
    # register, so that one pass lists every bad row.
    try:
        with transaction.atomic():
            checked = _check(organization, rows, report)
            if report.errors:
                raise _Invalid
            for row, application, window in checked:
                _write(row, application, window, report, acting_user=acting_user, label=actor_label)
            if report.errors:
                raise _Invalid
            audit.record(
                action="certification.results_imported",
                subject_type="organization",
                subject_id=organization.pk,
                data={
                    "rows": report.rows,
                    **report.counts,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "certified": report.certified,
                },
                organization=organization,
                actor=acting_user,
                actor_label=actor_label,
            )
            if dry_run:
                raise _Invalid
    except _Invalid:
        pass
    report.errors.sort(key=lambda e: e.line or 0)
    return report


def _write(
    row: _Row,
    application: Application,
    window: ExamWindow,
    report: ResultsReport,
    *,
    acting_user: Any,
    label: str,
) -> None:
    spec = spec_of(application.requirements)
    if recorded_already(application, window, row.given, spec) is not None:
        report.counts["unchanged"] += 1
        return
    try:
        result_record(
            window=window,
            application=application,
            given=row.given,
            source="import",
            acting_user=acting_user,
            actor_label=label,
        )
    except CertificationRefused as exc:
        report.errors.extend(RowError(row.line, None, p) for p in exc.problems)
        return
    result = result_of(row.given, spec)
    report.counts[result] += 1
    if result == "pass":
        application.refresh_from_db(fields=["credential"])
        report.certified.append(f"{application.reference}: {application.credential.number}")
