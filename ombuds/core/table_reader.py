"""What the readers of Ombuds' TOML files share (procedures, compliance programmes, certification
requirements): every problem noted with where it is, instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class TableReader:
    """Turns TOML tables into a reader's dataclasses; ``problems`` lists what was wrong, each
    prefixed with the file (``source``) and where in it."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def keys(
        self,
        where: str,
        table: Mapping[str, Any],
        allowed: set[str],
        required: Iterable[str] = (),
    ) -> None:
        """An unknown key, and a required key missing, are problems."""
        for key in table:
            if key not in allowed:
                self.problem(where, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in table:
                self.problem(where, f"{key!r} is required")

    def table(self, where: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            self.problem(where, "must be a table")
            return {}
        return value
