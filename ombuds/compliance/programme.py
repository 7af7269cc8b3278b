"""A body's compliance programme as data: the returns its members file, what each contains, the
rules that check it and the provision each rule enforces. `load` reads the TOML and lists every
problem at once, with where it is; `ombuds.compliance.checking` then runs each rule's query on
empty tables of the declared types, so a rule naming a file or column nobody files is refused
before any agency files anything."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ombuds.core.table_reader import TableReader

COLUMN_TYPES = ("date", "text", "money", "percent", "enum")
# Returns are filed by member agencies (a register Agency with a membership in the body).
FILERS = ("member_agencies",)
PERIODS = ("monthly", "quarterly", "yearly", "on_change")
SEVERITIES = ("low", "medium", "high", "critical")
# query: a SQL query over the return's files; records: the shape check of the files (the rows that
# cannot be right); present: a document is there; in_force: a document has not expired by the end
# of the period; attested: a statement was attested.
RULE_KINDS = ("query", "records", "present", "in_force", "attested")
# What every query's rows carry; any other column is kept as the finding's evidence.
FINDING_COLUMNS = ("client", "date", "amount", "detail")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CITATION = re.compile(r"^[0-9A-Za-z.()\-]{1,40}$")


class ProgrammeInvalid(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    values: tuple[str, ...] = ()  # an enum's values
    optional: bool = False  # may be empty


@dataclass(frozen=True)
class FileSpec:
    key: str
    label: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()  # no two rows share these columns' values
    in_period: str = ""  # the date column whose every value must fall in the period

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class DocumentSpec:
    key: str
    label: str
    expires: bool = False  # the filer gives its expiry date


@dataclass(frozen=True)
class StatementSpec:
    key: str
    label: str


@dataclass(frozen=True)
class TableSpec:
    """A table computed once from a return's files (and the tables declared before it) for
    several rules to read: a query's result, named."""

    key: str
    label: str
    sql: str


@dataclass(frozen=True)
class ReturnSpec:
    key: str
    label: str
    filed_by: str
    period: str
    due_days: int
    due_business_days: bool
    files: Mapping[str, FileSpec] = field(default_factory=dict)
    documents: Mapping[str, DocumentSpec] = field(default_factory=dict)
    statements: Mapping[str, StatementSpec] = field(default_factory=dict)
    # Days before the due date on which the agency's administrators are reminded, each once.
    remind_days: tuple[int, ...] = (7, 1)
    # What a return not filed by its due date breaches (a finding of the "overdue" rule); empty:
    # the provision of the return's first rule.
    overdue_provision: str = ""
    overdue_severity: str = "high"
    tables: Mapping[str, TableSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    return_key: str
    provision: str
    severity: str
    kind: str
    sql: str = ""
    target: str = ""  # the document or statement a presence, expiry or attestation rule is about


@dataclass(frozen=True)
class Programme:
    key: str
    name: str
    version: str
    code: str  # the acronym the provisions are cited under ("CSEC 1.2(c)")
    settings: Mapping[str, int]
    holidays: frozenset[dt.date]
    returns: Mapping[str, ReturnSpec]
    rules: Mapping[str, Rule]

    def rules_for(self, return_key: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.return_key == return_key]

    def records_rule(self, return_key: str) -> Rule | None:
        return next((r for r in self.rules_for(return_key) if r.kind == "records"), None)

    def overdue_provision(self, return_key: str) -> str:
        """The provision a return not filed in time breaches."""
        spec = self.returns[return_key]
        if spec.overdue_provision:
            return spec.overdue_provision
        rules = self.rules_for(return_key)
        return rules[0].provision if rules else ""

    def scheduled(self) -> list[ReturnSpec]:
        """The returns due every period (not those filed on a change)."""
        return [r for r in self.returns.values() if r.period != "on_change"]


def load_file(path: str | Path) -> Programme:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProgrammeInvalid([f"{path}: cannot read it ({exc})"]) from exc
    return load(text, source=str(path))


def load(text: str, *, source: str = "<programme>") -> Programme:
    """Read a programme; ProgrammeInvalid lists every problem of its form (the queries are run by
    `ombuds.compliance.checking.programme_problems`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgrammeInvalid([f"{source}: not valid TOML: {exc}"]) from exc
    reader = _Reader(source)
    programme = reader.programme(data)
    if reader.problems:
        raise ProgrammeInvalid(reader.problems)
    return programme


class _Reader(TableReader):
    """Turns the TOML tables into the dataclasses, noting every problem instead of stopping."""

    def text(self, where: str, table: Mapping[str, Any], key: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.problem(where, f"{key!r} must be text")
            return default
        return value

    def choice(self, where: str, table: Mapping[str, Any], key: str, allowed: tuple) -> str:
        value = self.text(where, table, key)
        if key in table and value not in allowed:
            self.problem(where, f"{key} {value!r} is not one of {', '.join(allowed)}")
        return value

    def number(self, where: str, value: Any, what: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.problem(where, f"{what} must be a whole number of 0 or more")
            return 0
        return value

    def named(self, where: str, value: Any) -> dict[str, Mapping[str, Any]]:
        """A table of tables keyed by name, each name checked."""
        tables: dict[str, Mapping[str, Any]] = {}
        for name, table in self.table(where, value).items():
            if not NAME.match(name):
                self.problem(where, f"{name!r} is not a name (a-z, 0-9 and _, from a letter)")
            tables[name] = self.table(f"{where}.{name}", table)
        return tables

    def programme(self, data: Mapping[str, Any]) -> Programme:
        self.keys("file", data, {"programme", "settings", "returns", "rules"}, ["programme"])
        head = self.table("[programme]", data.get("programme", {}))
        self.keys("[programme]", head, {"key", "name", "version", "code"}, ["key", "name"])
        settings, holidays = self.settings(data.get("settings", {}))
        returns = {
            key: self.return_spec(key, table)
            for key, table in self.named("[returns]", data.get("returns", {})).items()
        }
        if not returns:
            self.problem("[returns]", "declare at least one return")
        rules = {
            key: self.rule(key, table, returns)
            for key, table in self.named("[rules]", data.get("rules", {})).items()
        }
        for key, spec in returns.items():
            if (
                spec.files
                and sum(r.kind == "records" for r in rules.values() if r.return_key == key) > 1
            ):
                self.problem(f"[returns.{key}]", "more than one records rule checks its files")
        return Programme(
            key=self.text("[programme]", head, "key"),
            name=self.text("[programme]", head, "name"),
            version=self.text("[programme]", head, "version", "1"),
            code=self.text("[programme]", head, "code"),
            settings=settings,
            holidays=holidays,
            returns=returns,
            rules=rules,
        )

    def settings(self, value: Any) -> tuple[dict[str, int], frozenset[dt.date]]:
        table = self.table("[settings]", value)
        settings: dict[str, int] = {}
        holidays: set[dt.date] = set()
        for key, item in table.items():
            if key == "holidays":
                if not isinstance(item, list) or not all(type(d) is dt.date for d in item):
                    self.problem("[settings]", "holidays must be a list of dates (2026-12-25)")
                else:
                    holidays.update(item)
            elif not NAME.match(key):
                self.problem("[settings]", f"{key!r} is not a name")
            else:
                settings[key] = self.number("[settings]", item, key)
        return settings, frozenset(holidays)

    def return_spec(self, key: str, table: Mapping[str, Any]) -> ReturnSpec:
        where = f"[returns.{key}]"
        self.keys(
            where,
            table,
            {
                "label",
                "filed_by",
                "period",
                "due_days",
                "due_in",
                "files",
                "documents",
                "statements",
                "remind_days",
                "overdue_provision",
                "overdue_severity",
                "tables",
            },
            ["label", "filed_by", "period"],
        )
        remind_days = table.get("remind_days", [7, 1])
        if not isinstance(remind_days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 < d <= 366 for d in remind_days
        ):
            self.problem(where, "remind_days must be a list of days before the due date (1 to 366)")
            remind_days = []
        due_in = self.choice(where, table, "due_in", ("days", "business_days")) or "days"
        files = {
            name: self.file_spec(f"{where[:-1]}.files.{name}]", name, spec)
            for name, spec in self.named(f"{where[:-1]}.files]", table.get("files", {})).items()
        }
        documents = {}
        for name, spec in self.named(
            f"{where[:-1]}.documents]", table.get("documents", {})
        ).items():
            self.keys(f"{where[:-1]}.documents.{name}]", spec, {"label", "expires"}, ["label"])
            expires = spec.get("expires", False)
            if not isinstance(expires, bool):
                self.problem(f"{where[:-1]}.documents.{name}]", "'expires' must be true or false")
            documents[name] = DocumentSpec(name, self.text(where, spec, "label"), expires is True)
        statements = {}
        for name, spec in self.named(
            f"{where[:-1]}.statements]", table.get("statements", {})
        ).items():
            self.keys(f"{where[:-1]}.statements.{name}]", spec, {"label"}, ["label"])
            statements[name] = StatementSpec(name, self.text(where, spec, "label"))
        if not (files or documents or statements):
            self.problem(where, "a return contains files, documents or statements")
        tables = {}
        for name, spec in self.named(f"{where[:-1]}.tables]", table.get("tables", {})).items():
            at = f"{where[:-1]}.tables.{name}]"
            self.keys(at, spec, {"label", "sql"}, ["label", "sql"])
            if name in files or name == "calendar":
                self.problem(at, f"{name!r} is already the name of a file or of the calendar")
            if not files:
                self.problem(at, "a table is made from the return's files, and it has none")
            tables[name] = TableSpec(name, self.text(at, spec, "label"), self.text(at, spec, "sql"))
        return ReturnSpec(
            key=key,
            label=self.text(where, table, "label"),
            filed_by=self.choice(where, table, "filed_by", FILERS),
            period=self.choice(where, table, "period", PERIODS),
            due_days=self.number(where, table.get("due_days", 0), "due_days"),
            due_business_days=due_in == "business_days",
            files=files,
            documents=documents,
            statements=statements,
            remind_days=tuple(sorted(set(remind_days), reverse=True)),
            overdue_provision=self.text(where, table, "overdue_provision"),
            overdue_severity=self.choice(where, table, "overdue_severity", SEVERITIES) or "high",
            tables=tables,
        )

    def file_spec(self, where: str, key: str, table: Mapping[str, Any]) -> FileSpec:
        self.keys(where, table, {"label", "columns", "unique", "in_period"}, ["label", "columns"])
        columns = [
            self.column(f"{where} columns.{name}", name, spec)
            for name, spec in self.table(f"{where} columns", table.get("columns", {})).items()
        ]
        if not columns:
            self.problem(where, "declare its columns")
        names = {c.name for c in columns}
        unique = table.get("unique", [])
        if not isinstance(unique, list) or not all(isinstance(u, str) for u in unique):
            self.problem(where, "'unique' must be a list of column names")
            unique = []
        for name in unique:
            if name not in names:
                self.problem(where, f"unique: no column called {name!r}")
        in_period = self.text(where, table, "in_period")
        if in_period and (in_period not in names or _type_of(columns, in_period) != "date"):
            self.problem(where, f"in_period: {in_period!r} is not a date column")
        return FileSpec(
            key, self.text(where, table, "label"), tuple(columns), tuple(unique), in_period
        )

    def column(self, where: str, name: str, spec: Any) -> Column:
        if not NAME.match(name):
            self.problem(where, f"{name!r} is not a column name (a-z, 0-9 and _, from a letter)")
        if isinstance(spec, str):
            spec = {"type": spec}
        spec = self.table(where, spec)
        self.keys(where, spec, {"type", "values", "optional"}, ["type"])
        kind = self.choice(where, spec, "type", COLUMN_TYPES)
        values = spec.get("values", [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            self.problem(where, "'values' must be a list of words")
            values = []
        if kind == "enum" and not values:
            self.problem(where, "an enum column lists its 'values'")
        if values and kind != "enum":
            self.problem(where, "only an enum column has 'values'")
        optional = spec.get("optional", False)
        if not isinstance(optional, bool):
            self.problem(where, "'optional' must be true or false")
        return Column(name, kind, tuple(values), optional is True)

    def rule(self, key: str, table: Mapping[str, Any], returns: Mapping[str, ReturnSpec]) -> Rule:
        where = f"[rules.{key}]"
        self.keys(
            where,
            table,
            {"label", "return", "provision", "severity", "kind", "sql", "document", "statement"},
            ["label", "return", "provision", "severity"],
        )
        kind = self.choice(where, table, "kind", RULE_KINDS) or "query"
        return_key = self.text(where, table, "return")
        spec = returns.get(return_key)
        if "return" in table and spec is None:
            self.problem(where, f"no return called {return_key!r}")
        provision = self.text(where, table, "provision")
        if "provision" in table and not CITATION.match(provision):
            self.problem(where, f"provision {provision!r} is not a citation such as 1.2(c)")
        sql = self.text(where, table, "sql")
        target = self.rule_target(where, table, kind, spec)
        if kind == "query" and not sql.strip():
            self.problem(where, "a query rule gives its 'sql'")
        if kind != "query" and sql:
            self.problem(where, f"a {kind} rule has no 'sql'")
        if kind in ("query", "records") and spec is not None and not spec.files:
            self.problem(where, f"the return {return_key!r} has no files to check")
        return Rule(
            key=key,
            label=self.text(where, table, "label"),
            return_key=return_key,
            provision=provision,
            severity=self.choice(where, table, "severity", SEVERITIES),
            kind=kind,
            sql=sql,
            target=target,
        )

    def rule_target(
        self, where: str, table: Mapping[str, Any], kind: str, spec: ReturnSpec | None
    ) -> str:
        wanted = {"present": "document", "in_force": "document", "attested": "statement"}.get(kind)
        for key in ("document", "statement"):
            if key in table and key != wanted:
                self.problem(where, f"a {kind} rule names no {key}")
        if wanted is None:
            return ""
        target = self.text(where, table, wanted)
        if not target:
            self.problem(where, f"a {kind} rule names its {wanted!r}")
        elif spec is not None:
            declared = spec.documents if wanted == "document" else spec.statements
            if target not in declared:
                self.problem(where, f"the return {spec.key!r} has no {wanted} called {target!r}")
            elif kind == "in_force" and not spec.documents[target].expires:
                self.problem(where, f"the document {target!r} has no expiry date ('expires')")
        return target


def _type_of(columns: list[Column], name: str) -> str:
    return next((c.type for c in columns if c.name == name), "")
