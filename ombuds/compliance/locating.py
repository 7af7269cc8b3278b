"""Where the shape check's problems are in the files as the filer wrote them: the column each is
about and the lines it is on, so that the agency can correct its export.

The engine names each problem's file and what is wrong, and gives the row's values as it read
them; the lines come from one pass of Python's CSV reader over each file with problems, matching
those values (the engine keeps no line numbers: DuckDB reads a file in parallel). A file larger
than ``MAX_BYTES`` is not read again: its problems are shown without their lines. Nothing here
imports Django."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ombuds.compliance.engine import Problem
from ombuds.compliance.programme import FileSpec

MAX_BYTES = 64 * 1024 * 1024
# At most so many lines are given per problem (a duplicate may be on many).
MAX_LINES = 20
QUOTED_COLUMN = re.compile(r"^the column '([^']*)'")
SEPARATOR = " · "  # how the engine joins a row's values


@dataclass(frozen=True)
class Located:
    """A problem, the column(s) it is about ("" for a whole row or file) and its lines (1 is the
    header line; empty when unknown)."""

    problem: Problem
    column: str
    lines: tuple[int, ...] = ()
    more_lines: bool = False


def _column(spec: FileSpec | None, problem: Problem) -> str:
    quoted = QUOTED_COLUMN.match(problem.detail)
    if quoted:
        return quoted.group(1)
    if spec is None:
        return ""
    if spec.unique and problem.detail.split(" (")[0].endswith(f"same {', '.join(spec.unique)}"):
        return ", ".join(spec.unique)
    for column in spec.columns:
        if problem.detail.startswith(f"{column.name} is "):
            return column.name
    return ""


def _lines(path: Path, spec: FileSpec, wanted: set[str]) -> dict[str, list[int]]:
    """The lines whose values (all columns, or the unique ones) are among ``wanted``."""
    found: dict[str, list[int]] = defaultdict(list)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = [name.strip() for name in next(reader, [])]
            where = {name: i for i, name in enumerate(header)}
            every = [where.get(c.name) for c in spec.columns]
            unique = [where.get(name) for name in spec.unique]
            for row in reader:

                def joined(indexes: list[int | None], row: list[str] = row) -> str:
                    return SEPARATOR.join(
                        row[i] if i is not None and i < len(row) else "" for i in indexes
                    )

                for key in (joined(every), joined(unique) if unique else None):
                    if key in wanted and len(found[key]) <= MAX_LINES:
                        found[key].append(reader.line_num)
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}  # the lines stay unknown; the problems are listed all the same
    return found


def locate(
    problems: list[Problem], files: Mapping[str, FileSpec], paths: Mapping[str, Path]
) -> list[Located]:
    """Each problem with its column and lines, in the order the engine gave them."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for p in problems:
        if p.value is not None:
            wanted[p.file].add(p.value)
    lines: dict[str, dict[str, list[int]]] = {}
    for key, values in wanted.items():
        path, spec = paths.get(key), files.get(key)
        if path is None or spec is None or not path.is_file():
            continue
        if path.stat().st_size <= MAX_BYTES:
            lines[key] = _lines(path, spec, values)
    located = []
    for p in problems:
        spec = files.get(p.file)
        column = _column(spec, p)
        if p.value is None and QUOTED_COLUMN.match(p.detail):
            at = [1]  # the header line
        else:
            at = lines.get(p.file, {}).get(p.value or "", [])
        located.append(Located(p, column, tuple(at[:MAX_LINES]), len(at) > MAX_LINES))
    return located
