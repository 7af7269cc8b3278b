"""The compliance engine: DuckDB reads a return's CSV files where they lie (never loading a row into
the application's database), first checks their shape, listing every problem, then runs every rule
of the return and gives back only findings.

Each file is read once: every cell is checked as text (the shape check's conditions) and cast to its
declared type on the way into a table named after the file, in a DuckDB database of its own in a
temporary folder. The rules then read those tables, never the file again. Only a file with a problem
is read a second time, to say what is wrong and where.

Nothing here imports Django: the benchmark and the synthetic ledgers use it as it is. The database
is on disk, compressed, with a memory limit and the same folder to spill to, so memory stays flat
whatever the size of a file.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ombuds.compliance.programme import (
    FINDING_COLUMNS,
    Column,
    FileSpec,
    Programme,
    ReturnSpec,
    Rule,
)

DUCK_TYPES = {
    "date": "DATE",
    "text": "VARCHAR",
    "money": "DECIMAL(18,2)",
    "percent": "DECIMAL(9,4)",
    "enum": "VARCHAR",
}
MONEY = r"-?[0-9]{1,16}(\.[0-9]{1,2})?"
PERCENT = r"[0-9]{1,3}(\.[0-9]{1,4})?"
DATE = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"  # a GLOB pattern: YYYY-MM-DD, nothing more
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
    timings: dict[str, float] = field(default_factory=dict)  # seconds each step took

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
    """A DuckDB database of its own in a temporary folder (its tables compressed on disk, so a
    file larger than memory fits), with a memory limit, spilling to the same folder; all of it
    removed after."""
    with tempfile.TemporaryDirectory(prefix="ombuds-compliance-") as folder:
        con = duckdb.connect(
            str(Path(folder) / "return.duckdb"),
            config={
                "memory_limit": memory_limit,
                "threads": str(threads),
                "temp_directory": str(Path(folder) / "spill"),
                "preserve_insertion_order": "false",
            },
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
    con.execute(
        "CREATE OR REPLACE TEMP TABLE calendar AS SELECT day, business, "
        "CAST(sum(CAST(business AS INTEGER)) OVER (ORDER BY day) AS INTEGER) AS number "
        "FROM (SELECT CAST(t AS DATE) AS day, isodow(t) < 6 "
        "AND NOT list_contains(CAST($holidays AS DATE[]), CAST(t AS DATE)) AS business "
        "FROM range(CAST($start AS TIMESTAMP), CAST($end AS TIMESTAMP), INTERVAL 1 DAY) AS days(t))",
        {"start": start, "end": end + dt.timedelta(days=91), "holidays": sorted(holidays)},
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
    column: Column, period: tuple[dt.date, dt.date], in_period: bool, cell: str = ""
) -> list[tuple[str, str]]:
    """(SQL condition, message), one per way a cell can be wrong; ``cell`` is the cell as text
    (by default the column of its name)."""
    c = cell or f'"{column.name}"'
    checks = []
    if not column.optional:
        checks.append((f"{c} IS NULL OR trim({c}) = ''", f"{column.name} is empty"))
    if column.type == "date":
        checks.append(
            (
                f"{c} IS NOT NULL AND (NOT ({c} GLOB '{DATE}') OR TRY_CAST({c} AS DATE) IS NULL)",
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
                f"OR TRY_CAST({c} AS DOUBLE) > 100)",
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


def _quick_conditions(column: Column, period: tuple[dt.date, dt.date], in_period: bool) -> str:
    """A condition true of every cell `_column_problems` finds wrong (and maybe of a few right
    ones), cheaper to test on every row: a blank cell starts with a space, and an amount of
    money written back as text is the cell itself (12.5 and 12 standing for 12.50 and 12.00)
    where a regular expression would cost more. The typed value is ``"name"``, the cell as text
    ``"name:text"``."""
    raw, typed = f'"{column.name}:text"', f'"{column.name}"'
    if column.type in ("text", "enum"):
        wrong = [] if column.optional else [f"{raw} IS NULL", f"{raw} < '!'"]
        if column.type == "enum":
            values = ", ".join(_quoted(v) for v in column.values)
            wrong.append(f"({raw} IS NOT NULL AND {raw} NOT IN ({values}))")
        return " OR ".join(wrong) or "false"
    if column.type == "date":
        written = f"NOT ({raw} GLOB '{DATE}')"
    elif column.type == "money":
        back = f"CAST({typed} AS VARCHAR)"
        written = f"{back} <> {raw} AND rtrim(rtrim({back}, '0'), '.') <> {raw}"
    else:  # a percentage: few rows (the contracts), checked as `_column_problems` does
        checks = _column_problems(column, period, False, cell=raw)
        return " OR ".join(f"({cond})" for cond, _ in checks)
    wrong = f"{typed} IS NULL OR {written}"
    if in_period:
        start, end = (d.isoformat() for d in period)
        wrong += f" OR {typed} NOT BETWEEN DATE '{start}' AND DATE '{end}'"
    return f"{raw} IS NOT NULL AND ({wrong})" if column.optional else wrong


def _load(
    con: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    path: Path,
    header: list[str],
    period: tuple[dt.date, dt.date],
) -> bool:
    """Read the file once into the table named after it, every cell cast to its declared type
    and checked on the way. False, leaving no table, when a row may be wrong (the read stops at
    the first) or the file cannot be read as CSV: the exact check then says what is wrong."""
    cells = ", ".join(
        f'"{name}" AS "{name}:text", '
        + (
            f'"{name}"'
            if DUCK_TYPES[spec.column(name).type] == "VARCHAR"
            else f'TRY_CAST("{name}" AS {DUCK_TYPES[spec.column(name).type]}) AS "{name}"'
        )
        for name in header
    )
    wrong = " OR ".join(
        f"({_quick_conditions(c, period, c.name == spec.in_period)})" for c in spec.columns
    )
    typed = ", ".join(f'"{name}"' for name in header)
    source = csv_source(spec, path, header, typed=False)
    try:
        con.execute(
            f'CREATE TABLE "{spec.key}" AS SELECT {typed} FROM (SELECT {cells} FROM {source}) '
            f"WHERE CASE WHEN {wrong} THEN error('a row to look at') ELSE true END"
        )
    except duckdb.Error:
        con.execute(f'DROP TABLE IF EXISTS "{spec.key}"')
        return False
    return True


def _duplicated(con: duckdb.DuckDBPyConnection, spec: FileSpec) -> bool:
    """Whether two rows of the file's table may share the values of the unique columns: as many
    distinct hashes of them as rows proves they do not (rows equal as text are equal as loaded)."""
    if not spec.unique:
        return False
    keys = ", ".join(f'"{k}"' for k in spec.unique)
    rows, distinct = con.execute(
        f'SELECT count(*), count(DISTINCT hash({keys})) FROM "{spec.key}"'
    ).fetchone()
    return rows != distinct


def _exact_problems(
    con: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    path: Path,
    header: list[str],
    period: tuple[dt.date, dt.date],
    *,
    rows_right: bool,
) -> tuple[list[Problem], bool]:
    """What is wrong with a file the quick pass doubted, and where: the file read again as text,
    its wrong rows (unless ``rows_right``: the load found none) and its duplicates."""
    source = csv_source(spec, path, header, typed=False)
    problems: list[Problem] = []
    more = False
    try:
        if not rows_right:
            found, more = _row_problems(con, spec, source, period)
            problems += found
        found, twice = _duplicates(con, spec, source)
        problems += found
        more = more or twice
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        problems.append(Problem(spec.key, f"the file cannot be read as CSV: {reason}"))
    return problems, more


def _header_problems(spec: FileSpec, header: list[str]) -> list[Problem]:
    declared = [c.name for c in spec.columns]
    problems = [
        Problem(spec.key, f"the column {n!r} is missing") for n in declared if n not in header
    ]
    problems += [
        Problem(spec.key, f"the column {n!r} is not one of {', '.join(declared)}")
        for n in header
        if n not in declared
    ]
    problems += [
        Problem(spec.key, f"the column {n!r} comes twice")
        for n in sorted({n for n in header if header.count(n) > 1})
    ]
    return problems


def shape_check(
    con: duckdb.DuckDBPyConnection,
    files: Mapping[str, FileSpec],
    paths: Mapping[str, Path],
    period: tuple[dt.date, dt.date],
    timings: dict[str, float] | None = None,
) -> tuple[list[Problem], list[str]]:
    """Every problem of the files' shape: their columns, then every cell and the duplicates.
    Returns the problems and the checks that found more than MAX_ROWS. A file without problems is
    left in a table named after it, with its declared columns and types, for the rules."""
    problems: list[Problem] = []
    truncated: list[str] = []
    timings = {} if timings is None else timings
    for key, spec in files.items():
        if key not in paths:
            raise FilesUnreadable(f"the {key} file is missing ({spec.label})")
        header = _header(spec, paths[key])
        wrong_header = _header_problems(spec, header)
        problems += wrong_header
        if wrong_header:
            continue
        started = time.perf_counter()
        loaded = _load(con, spec, paths[key], header, period)
        timings[f"{key}: read, check and load"] = time.perf_counter() - started
        started = time.perf_counter()
        doubted = not loaded or _duplicated(con, spec)
        timings[f"{key}: duplicates"] = time.perf_counter() - started
        if not doubted:
            continue
        started = time.perf_counter()
        found, more = _exact_problems(con, spec, paths[key], header, period, rows_right=loaded)
        timings[f"{key}: what is wrong"] = time.perf_counter() - started
        problems += found
        if more:
            truncated.append(key)
        if not found and not loaded:  # doubted for no reason the exact check shares
            _load_typed(con, spec, paths[key], header)
    return problems, truncated


def _load_typed(con: duckdb.DuckDBPyConnection, spec: FileSpec, path: Path, header) -> None:
    source = csv_source(spec, path, header, typed=True)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{spec.key}" AS SELECT * FROM {source}')
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0]
        raise FilesUnreadable(f"{spec.key}: cannot be read ({reason})") from exc


def tables_create(
    con: duckdb.DuckDBPyConnection, spec: ReturnSpec, values: Mapping[str, Any]
) -> None:
    """The return's declared tables, each computed once from its files (and the tables before
    it) for every rule to read."""
    for name, table in spec.tables.items():
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE "{name}" AS {table.sql}', parameters(table.sql, values)
        )


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
    one), then every query rule. FilesUnreadable when a file is missing or cannot be opened.
    ``Outcome.timings`` says how long each step took."""
    spec = programme.returns[return_key]
    timings: dict[str, float] = {}
    with connection(memory_limit, threads) as con:
        problems, truncated = shape_check(con, spec.files, paths, period, timings)
        outcome = Outcome(problems, [], programme.records_rule(return_key), truncated, timings)
        if problems:
            return outcome
        # From here on the tables are all there is: the queries cannot read any file.
        con.execute("SET enable_external_access = false")
        calendar_create(con, period[0], period[1], programme.holidays)
        values = rule_values(programme, period)
        started = time.perf_counter()
        try:
            tables_create(con, spec, values)
        except duckdb.Error as exc:
            reason = str(exc).splitlines()[0]
            raise FilesUnreadable(f"the return's tables could not be made: {reason}") from exc
        timings["tables"] = time.perf_counter() - started
        for rule in programme.rules_for(return_key):
            if rule.kind != "query":
                continue
            started = time.perf_counter()
            try:
                found, more = rule_run(con, rule, values)
            except duckdb.Error as exc:  # the files' shape was right: say why the rule stopped
                reason = str(exc).splitlines()[0]
                raise FilesUnreadable(f"the rule {rule.key} could not run: {reason}") from exc
            timings[f"rule {rule.key}"] = time.perf_counter() - started
            outcome.findings.extend(found)
            if more:
                outcome.truncated.append(rule.key)
    return outcome
