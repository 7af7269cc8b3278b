"""The credentials import's cell tests in SQL (`csv.staged_cells`) against the Python checks they
stand in for: a cell passes in SQL only if Python reads it, and to the same value. PostgreSQL only
(on SQLite every cell is checked in Python)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection

from ombuds.register.csv import staged_cells
from ombuds.register.csv.cells import Cells
from ombuds.register.csv.reading import Row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQL of PostgreSQL"),
]

# The test of a plain cell as it was written before, as one regular expression.
PLAIN_RE = re.compile(r"[A-Za-z0-9](.*[]A-Za-z0-9.,;:!?)}/#&*_+=-])?", re.DOTALL)


def _evaluate(expression, cells: list[str]) -> list:
    """`expression(cell)` in SQL for each cell, in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {expression('r.c')} FROM unnest(%s::text[]) WITH ORDINALITY AS r (c, n) "
            "ORDER BY r.n",
            [cells],
        )
        return [value for (value,) in cursor.fetchall()]


def _python_date(cell: str) -> dt.date | None:
    errors: list = []
    value = Cells(Row(2, {"d": cell}), errors).date("d")
    return None if errors else value


def _date_probes() -> list[str]:
    years = ["0000", "0001", "0004", "0100", "1900", "2000", "2023", "2024", "2100", "2400", "9999"]
    days = [
        f"{year}-{month:02d}-{day:02d}"
        for year in years
        for month in range(14)
        for day in range(34)
    ]
    malformed = [
        "2024-1-01", "2024-01-1", "24-01-01", "02024-01-01", "2024-01-011", "2024/01/01",
        "20240101", " 2024-01-01", "2024-01-01 ", "+2024-01-01", "2024-01-01T00:00",
        "２０２４-01-01", "2024-０1-01", "2024-01-0١", "2024–01–01", "2024-001-01", "-2024-01-1",
        "x", "2024-13-01", "2024-00-10", "9999-12-31", "10000-01-01", "abcd-ef-gh",
    ]  # fmt: skip
    return days + malformed


def test_a_date_cell_passes_in_sql_only_as_python_reads_it():
    probes = _date_probes()
    in_sql = _evaluate(staged_cells._date, probes)
    read = 0
    for cell, value in zip(probes, in_sql, strict=True):
        assert value == _python_date(cell), cell
        read += value is not None
    assert read > 3000  # the probes hold many good dates, 29 February of leap years among them
    assert dt.date(2024, 2, 29) in in_sql and dt.date(2000, 2, 29) in in_sql


def test_a_plain_cell_is_tested_as_the_regular_expression_did():
    probes = [
        "", "a", "Z", "0", "a ", " a", "ab", "a.", "a]", "a}", "a)", "a-", "a=", "a%", "a'", 'a"',
        "'=SUM(1)", "=1", "-1", "+a", "@a", "a\nb", "a\n", "\na", "Ünter", "endsÜ", "aÜb",
        "ends with a space ", "Supervised (weekly).", "EC/43", "a\\", "a|", "a,", "a;", "a:",
        "a!", "a?", "a/", "a#", "a&", "a*", "a_", "a+", "a[", "a{", "a(", "a<", "a>", "a~", "a`",
        "a^", "a$", "aı", "ıa", "ａ", "a\t", "\ta",
    ]  # fmt: skip
    in_sql = _evaluate(staged_cells._plain, probes)
    assert in_sql == [cell == "" or bool(PLAIN_RE.fullmatch(cell)) for cell in probes]


def test_a_status_is_lowered_only_when_it_is_ascii_letters():
    probes = ["ACTIVE", "Active", "actİve", "actıve", "ＡＣＴＩＶＥ", "\u212aandidate"]
    lowered = _evaluate(lambda cell: staged_cells._ascii("lower", cell), probes)
    statuses = {"active", "candidate"}
    # Only the ASCII cells become a status; the others stay unknown, to be checked in Python.
    assert [value in statuses for value in lowered] == [True, True, False, False, False, False]
