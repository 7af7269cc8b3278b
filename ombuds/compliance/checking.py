"""Checking a programme whose form is right: every rule's query is run by DuckDB on empty tables
of the declared files and types (with no access to any file), so a query naming a file, a column
or a setting that does not exist, or returning rows without the finding's columns, is refused
with DuckDB's own reason; the provisions cited are looked up in the body's code when it is given.
The rules about documents and statements need no query: ombuds.compliance.documents runs them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from pathlib import Path

import duckdb

from ombuds.compliance import engine
from ombuds.compliance.programme import (
    FINDING_COLUMNS,
    Programme,
    ProgrammeInvalid,
    Rule,
    TableSpec,
    load,
    load_file,
)


def _select_problem(sql: str) -> str | None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        return f"not valid SQL: {str(exc).splitlines()[0]}"
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        return "the sql must be one SELECT query"
    return None


def _table_problem(con: duckdb.DuckDBPyConnection, table: TableSpec, values: Mapping) -> str | None:
    reason = _select_problem(table.sql)
    if reason:
        return reason
    try:
        con.execute(
            f'CREATE TEMP TABLE "{table.key}" AS {table.sql}',
            engine.parameters(table.sql, values),
        )
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


def _query_problem(con: duckdb.DuckDBPyConnection, rule: Rule, values: Mapping) -> str | None:
    reason = _select_problem(rule.sql)
    if reason:
        return reason
    try:
        result = con.execute(rule.sql, engine.parameters(rule.sql, values))
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    names = [d[0] for d in result.description]
    missing = [c for c in FINDING_COLUMNS if c not in names]
    if missing:
        return f"the query does not return {', '.join(missing)} (every finding has {', '.join(FINDING_COLUMNS)})"
    return None


def query_problems(programme: Programme) -> list[str]:
    """Every query rule run on empty tables of its return's declared files (and its declared
    tables, made from them)."""
    problems: list[str] = []
    today = dt.date(2000, 1, 1)
    values = engine.rule_values(programme, (today, today))
    for key, spec in programme.returns.items():
        rules = [r for r in programme.rules_for(key) if r.kind == "query"]
        if not rules and not spec.tables:
            continue
        with engine.connection(memory_limit="256MB", threads=1) as con:
            engine.calendar_create(con, today, today)
            for name, file_spec in spec.files.items():
                columns = ", ".join(
                    f'"{c.name}" {engine.DUCK_TYPES[c.type]}' for c in file_spec.columns
                )
                con.execute(f'CREATE TEMP TABLE "{name}" ({columns})')
            con.execute("SET enable_external_access = false")
            for table in spec.tables.values():
                reason = _table_problem(con, table, values)
                if reason:
                    problems.append(f"[returns.{key}.tables.{table.key}]: {reason}")
            for rule in rules:
                reason = _query_problem(con, rule, values)
                if reason:
                    problems.append(f"[rules.{rule.key}]: {reason}")
    return problems


def provision_problems(programme: Programme, citations: Collection[str]) -> list[str]:
    """The rules (and the overdue returns) citing a provision that is not in the body's code
    (``citations``)."""
    return [
        f"[rules.{rule.key}]: the provision {rule.provision!r} is not in the body's code"
        for rule in programme.rules.values()
        if rule.provision not in citations
    ] + [
        f"[returns.{key}]: the overdue_provision {spec.overdue_provision!r} is not in the body's code"
        for key, spec in programme.returns.items()
        if spec.overdue_provision and spec.overdue_provision not in citations
    ]


def programme_problems(
    text: str, *, source: str = "<programme>", citations: Collection[str] | None = None
) -> tuple[Programme | None, list[str]]:
    """The programme and every problem found in it (its form first; then its queries and, given
    the body's citations, its provisions)."""
    try:
        programme = load(text, source=source)
    except ProgrammeInvalid as exc:
        return None, exc.problems
    problems = [f"{source}: {p}" for p in query_problems(programme)]
    if citations is not None:
        problems += [f"{source}: {p}" for p in provision_problems(programme, citations)]
    return programme, problems


def file_problems(
    path: str | Path, citations: Collection[str] | None = None
) -> tuple[Programme | None, list[str]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}: cannot read it ({exc})"]
    return programme_problems(text, source=str(path), citations=citations)


__all__ = ["file_problems", "load_file", "programme_problems"]
