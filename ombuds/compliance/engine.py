"""The compliance engine: DuckDB reads a return's CSV files where they lie (never loading a row into
the application's database), first checks their shape, listing every problem, then runs every rule
of the return and gives back only findings.

Nothing here imports Django: the benchmark and the synthetic ledgers use it as it is. DuckDB streams
the files; a memory limit and a temporary folder for what it spills keep memory flat whatever the
size of a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ombuds.compliance.programme import FINDING_COLUMNS, Column, FileSpec, Programme, Rule

DUCK_TYPES = {
    "date": "DATE",
    "text": "VARCHAR",
    "money": "DECIMAL(18,2)",
    "percent": "DECIMAL(9,4)",
    "enum": "VARCHAR",
}
MONEY = r"-?[0-9]{1,16}(\.[0-9]{1,2})?"
PERCENT = r"[0-9]{1,3}(\.[0-9]{1,4})?"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# What is kept of a check: so many rows per problem or rule, so many evidence rows per finding.
MAX_ROWS = 500
MAX_EVIDENCE = 5
EXTERNAL_PARAMETERS = ("period_start", "period_end")
PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")


class FilesUnreadable(Exception):
    """A return's files cannot be checked at all (a file missing or unreadable): one line."""


@dataclass(frozen=True)
class Problem:
    """A row (or a file) that cannot be right: the shape check's finding."""

    file: str
    detail: str
    client: str | None = None
    date: dt.date | None = None
    value: str | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    provision: str
    severity: str
    client: str | None
    date: dt.date | None
    amount: Decimal | None
    detail: str
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self, code: str = "") -> dict[str, Any]:
        return {
            "rule": self.rule,
            "provision": f"{code} {self.provision}".strip(),
            "severity": self.severity,
            "client": self.client,
            "date": self.date.isoformat() if self.date else None,
            "amount": str(self.amount) if self.amount is not None else None,
            "detail": self.detail,
            "evidence": dict(self.evidence),
        }


@dataclass
class Outcome:
    """What a check found. With shape problems the rules were not run: the return is refused."""

    problems: list[Problem]
    findings: list[Finding]
    records_rule: Rule | None = None
    truncated: list[str] = field(default_factory=list)  # checks that found more than MAX_ROWS

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    def problem_findings(self) -> list[Finding]:
        """The shape problems as findings of the programme's records rule (CSEC 1.2(b))."""
        rule = self.records_rule
        return [
            Finding(
                rule=rule.key if rule else "records",
                provision=rule.provision if rule else "",
                severity=rule.severity if rule else "high",
                client=p.client,
                date=p.date,
                amount=None,
                detail=f"{p.file}: {p.detail}",
                evidence={"value": p.value} if p.value is not None else {},
            )
            for p in self.problems
        ]


@contextmanager
def connection(memory_limit: str = "1GB", threads: int = 2) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with a memory limit, spilling to a temporary folder removed after."""
    with tempfile.TemporaryDirectory(prefix="ombuds-compliance-") as spill:
        con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "threads": str(threads),
                "temp_directory": spill,
                "preserve_insertion_order": "false",
            }
        )
        try:
            yield con
        finally:
            con.close()


def parameters(sql: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The named parameters ($name) a query uses, from ``values`` (DuckDB refuses extra ones)."""
    return {name: values[name] for name in dict.fromkeys(PARAMETER.findall(sql)) if name in values}


def calendar_create(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    holidays: frozenset[dt.date] = frozenset(),
) -> None:
    """``calendar(day, business, number)``: every day from ``start`` to ``end`` and 90 days more,
    whether it is a business day, and the running count of business days (so the Nth business
    day after a date is the business day whose number is N more)."""
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 91)]
    rows = [(d, d.weekday() < 5 and d not in holidays) for d in days]
    con.execute("CREATE OR REPLACE TEMP TABLE _days (day DATE, business BOOLEAN)")
    con.executemany("INSERT INTO _days VALUES (?, ?)", rows)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE calendar AS SELECT day, business, "
        "CAST(sum(CAST(business AS INTEGER)) OVER (ORDER BY day) AS INTEGER) AS number FROM _days"
    )


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _header(spec: FileSpec, path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            row = next(csv.reader(f), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FilesUnreadable(f"{spec.key}: cannot read {path.name} ({exc})") from exc
    if not row:
        raise FilesUnreadable(f"{spec.key}: {path.name} is empty (no header row)")
    return [name.strip() for name in row]


def csv_source(spec: FileSpec, path: Path, header: list[str], typed: bool) -> str:
    """DuckDB's read_csv of the file: every column as text (for the shape check) or typed."""
    columns = ", ".join(
        f"{_quoted(name)}: {_quoted(DUCK_TYPES[spec.column(name).type] if typed else 'VARCHAR')}"
        for name in header
    )
    return (
        f"read_csv({_quoted(str(path))}, header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', dateformat = '%Y-%m-%d', columns = {{{columns}}})"
    )


def _column_problems(
    column: Column, period: tuple[dt.date, dt.date], in_period: bool
) -> list[tuple[str, str]]:
    """(SQL condition, message), one per way a cell can be wrong."""
    c = f'"{column.name}"'
    checks = []
    if not column.optional:
        checks.append((f"{c} IS NULL OR trim({c}) = ''", f"{column.name} is empty"))
    if column.type == "date":
        checks.append(
            (
                f"{c} IS NOT NULL AND (NOT regexp_full_match({c}, '{DATE}') "
                f"OR TRY_CAST({c} AS DATE) IS NULL)",
                f"{column.name} is not a date (YYYY-MM-DD)",
            )
        )
        if in_period:
            start, end = (d.isoformat() for d in period)
            checks.append(
                (
                    f"TRY_CAST({c} AS DATE) NOT BETWEEN DATE '{start}' AND DATE '{end}'",
                    f"{column.name} is outside the period {start} to {end}",
                )
            )
    elif column.type == "money":
        checks.append(
            (
                f"{c} IS NOT NULL AND NOT regexp_full_match({c}, '{MONEY}')",
                f"{column.name} is not an amount of money (digits, at most two decimals)",
            )
        )
    elif column.type == "percent":
        checks.append(
            (
                f"{c} IS NOT NULL AND (NOT regexp_full_match({c}, '{PERCENT}') "
                f"OR CAST({c} AS DOUBLE) > 100)",
                f"{column.name} is not a percentage from 0 to 100",
            )
        )
    elif column.type == "enum":
        values = ", ".join(_quoted(v) for v in column.values)
        checks.append(
            (
                f"{c} IS NOT NULL AND {c} NOT IN ({values})",
                f"{column.name} is not one of {', '.join(column.values)}",
            )
        )
    return checks


def _cell_date(spec: FileSpec) -> str:
    name = spec.in_period or next((c.name for c in spec.columns if c.type == "date"), "")
    # TRY_CAST after the pattern YYYY-MM-DD: a date that does not exist (30 February) is NULL.
    return f'TRY_CAST("{name}" AS DATE)' if name else "NULL"


def _client(spec: FileSpec) -> str:
    return '"client"' if spec.column("client") else "NULL"


def _row_problems(
    con: duckdb.DuckDBPyConnection, spec: FileSpec, source: str, period: tuple[dt.date, dt.date]
) -> tuple[list[Problem], bool]:
    checks = [
        check
        for column in spec.columns
        for check in _column_problems(column, period, column.name == spec.in_period)
    ]
    # The rows are filtered on the conditions first: the messages are made for the wrong ones only.
    wrong = " OR ".join(f"({cond})" for cond, _ in checks)
    messages = ", ".join(f"CASE WHEN {cond} THEN {_quoted(m)} END" for cond, m in checks)
    value = " || ' · ' || ".join(f"coalesce(\"{c.name}\", '')" for c in spec.columns)
    sql = (
        f"SELECT {_client(spec)}, {_cell_date(spec)}, {value}, "
        f"list_filter([{messages}], lambda x: x IS NOT NULL) "
        f"FROM {source} WHERE {wrong} LIMIT {MAX_ROWS + 1}"
    )
    problems = [
        Problem(spec.key, message, client, day, said)
        for client, day, said, found in con.execute(sql).fetchall()
        for message in found
    ]
    return problems[:MAX_ROWS], len(problems) > MAX_ROWS


def _duplicates(
    con: duckdb.DuckDBPyConnection, spec: FileSpec, source: str
) -> tuple[list[Problem], bool]:
    """Rows sharing the values of the unique columns: the keys are counted in one pass; the client
    and first date are looked up for the duplicated keys only (a clean file has none)."""
    if not spec.unique:
        return [], False
    keys = ", ".join(f'"{k}"' for k in spec.unique)
    duplicated = con.execute(
        f"SELECT {keys}, count(*) FROM {source} GROUP BY ALL HAVING count(*) > 1 "
        f"LIMIT {MAX_ROWS + 1}"
    ).fetchall()
    if not duplicated:
        return [], False
    con.execute(f"CREATE OR REPLACE TEMP TABLE _twice AS SELECT {keys} FROM {source} LIMIT 0")
    con.executemany(
        f"INSERT INTO _twice VALUES ({', '.join('?' for _ in spec.unique)})",
        [row[:-1] for row in duplicated[:MAX_ROWS]],
    )
    client = "min(s.client)" if spec.column("client") else "NULL"
    day = (
        _cell_date(spec).replace("TRY_CAST(", "TRY_CAST(s.") if _cell_date(spec) != "NULL" else None
    )
    said = " || ' · ' || ".join(f"coalesce(t.\"{k}\", '')" for k in spec.unique)
    join = " AND ".join(f's."{k}" IS NOT DISTINCT FROM t."{k}"' for k in spec.unique)
    rows = con.execute(
        f"SELECT {client}, {f'min({day})' if day else 'NULL'}, {said}, count(*) "
        f"FROM {source} s JOIN _twice t ON {join} GROUP BY {said}"
    ).fetchall()
    what = ", ".join(spec.unique)
    problems = [
        Problem(spec.key, f"{n} rows have the same {what} ({said})", client, day_, said)
        for client, day_, said, n in rows
    ]
    return problems, len(duplicated) > MAX_ROWS


def shape_check(
    con: duckdb.DuckDBPyConnection,
    files: Mapping[str, FileSpec],
    paths: Mapping[str, Path],
    period: tuple[dt.date, dt.date],
) -> tuple[list[Problem], list[str], dict[str, list[str]]]:
    """Every problem of the files' shape: their columns, then every cell and the duplicates.
    Returns the problems, the checks that found more than MAX_ROWS, and each file's header."""
    problems: list[Problem] = []
    truncated: list[str] = []
    headers: dict[str, list[str]] = {}
    for key, spec in files.items():
        if key not in paths:
            raise FilesUnreadable(f"the {key} file is missing ({spec.label})")
        header = _header(spec, paths[key])
        declared = [c.name for c in spec.columns]
        missing = [n for n in declared if n not in header]
        extra = [n for n in header if n not in declared]
        for name in missing:
            problems.append(Problem(key, f"the column {name!r} is missing"))
        for name in extra:
            problems.append(
                Problem(key, f"the column {name!r} is not one of {', '.join(declared)}")
            )
        for name in sorted({n for n in header if header.count(n) > 1}):
            problems.append(Problem(key, f"the column {name!r} comes twice"))
        if len(header) != len(set(header)) or missing or extra:
            continue
        headers[key] = header
        source = csv_source(spec, paths[key], header, typed=False)
        try:
            for found, more in (
                _row_problems(con, spec, source, period),
                _duplicates(con, spec, source),
            ):
                problems.extend(found)
                if more:
                    truncated.append(key)
        except duckdb.Error as exc:
            reason = str(exc).splitlines()[0]
            problems.append(Problem(key, f"the file cannot be read as CSV: {reason}"))
    return problems, truncated, headers


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_json_value(v) for v in value[:MAX_EVIDENCE]]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _finding(rule: Rule, names: list[str], row: tuple) -> Finding:
    values = dict(zip(names, row, strict=True))
    amount = values.get("amount")
    day = values.get("date")
    return Finding(
        rule=rule.key,
        provision=rule.provision,
        severity=rule.severity,
        client=None if values.get("client") is None else str(values["client"]),
        date=day if isinstance(day, dt.date) else None,
        amount=None if amount is None else Decimal(str(amount)).quantize(Decimal("0.01")),
        detail=str(values.get("detail") or rule.label),
        evidence={k: _json_value(v) for k, v in values.items() if k not in FINDING_COLUMNS},
    )


def rule_run(
    con: duckdb.DuckDBPyConnection, rule: Rule, values: Mapping[str, Any]
) -> tuple[list[Finding], bool]:
    """One query rule's findings (at most MAX_ROWS; True when it found more)."""
    result = con.execute(rule.sql, parameters(rule.sql, values))
    names = [d[0] for d in result.description]
    rows = result.fetchmany(MAX_ROWS + 1)
    return [_finding(rule, names, row) for row in rows[:MAX_ROWS]], len(rows) > MAX_ROWS


def rule_values(programme: Programme, period: tuple[dt.date, dt.date]) -> dict[str, Any]:
    return {**programme.settings, "period_start": period[0], "period_end": period[1]}


def check_files(
    programme: Programme,
    return_key: str,
    paths: Mapping[str, Path],
    period: tuple[dt.date, dt.date],
    *,
    memory_limit: str = "1GB",
    threads: int = 2,
) -> Outcome:
    """Check a return's files: the shape first (every problem; the rules are not run when there is
    one), then every query rule. FilesUnreadable when a file is missing or cannot be opened."""
    spec = programme.returns[return_key]
    with connection(memory_limit, threads) as con:
        problems, truncated, headers = shape_check(con, spec.files, paths, period)
        outcome = Outcome(problems, [], programme.records_rule(return_key), truncated)
        if problems:
            return outcome
        for key, file_spec in spec.files.items():
            source = csv_source(file_spec, paths[key], headers[key], typed=True)
            con.execute(f'CREATE OR REPLACE TEMP VIEW "{key}" AS SELECT * FROM {source}')
        calendar_create(con, period[0], period[1], programme.holidays)
        values = rule_values(programme, period)
        for rule in programme.rules_for(return_key):
            if rule.kind != "query":
                continue
            try:
                found, more = rule_run(con, rule, values)
            except duckdb.Error as exc:  # the files' shape was right: say why the rule stopped
                reason = str(exc).splitlines()[0]
                raise FilesUnreadable(f"the rule {rule.key} could not run: {reason}") from exc
            outcome.findings.extend(found)
            if more:
                outcome.truncated.append(rule.key)
    return outcome
