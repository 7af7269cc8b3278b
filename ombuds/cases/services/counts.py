"""A body's cases counted by state (`CaseCount`), kept in the transaction that files a case or
moves it, so the inbox reads its counts from a few rows instead of counting every case.

Each change adds to the rows with one `INSERT … ON CONFLICT DO UPDATE` (PostgreSQL and SQLite),
the rows in the order of their state so two moves between the same states never wait on each
other crosswise."""

from __future__ import annotations

from django.db import connection

from ombuds.cases.models import CaseCount


def counts_add(organization_id: int, changes: dict[str, tuple[int, int]]) -> None:
    """Add to the body's counts: by state, (cases, open) to add (negative to take away)."""
    rows = [(s, c, o) for s, (c, o) in sorted(changes.items()) if c or o]
    if not rows:
        return
    table = connection.ops.quote_name(CaseCount._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[object] = []
    for state, cases, open_ in rows:
        params += [organization_id, state, cases, open_]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, state, cases, open) VALUES {values} "
            "ON CONFLICT (organization_id, state) DO UPDATE SET "
            f"cases = {table}.cases + excluded.cases, open = {table}.open + excluded.open",
            params,
        )


def case_filed(organization_id: int, state: str, *, open_: bool = True) -> None:
    """A case was filed in ``state``."""
    counts_add(organization_id, {state: (1, int(open_))})


def case_moved(organization_id: int, old: str, new: str, *, was_open: bool, is_open: bool) -> None:
    """A case moved from the state ``old`` (open or closed: ``was_open``) to ``new``."""
    changes: dict[str, tuple[int, int]] = {old: (-1, -int(was_open))}
    cases, open_ = changes.get(new, (0, 0))
    changes[new] = (cases + 1, open_ + int(is_open))
    counts_add(organization_id, changes)
