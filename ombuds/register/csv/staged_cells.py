"""The credentials import's cell checks in SQL (PostgreSQL), for the rows that plainly pass them.

The file's rows are copied as read (each cell's text, untouched) into a temporary table; one
statement then moves into the staging table every row whose cells pass, converted as
`LifecycleImporter.read_one` converts them, and which as a new credential would pass
`StagedCredentialImporter._if_new` too. Every other row is read and checked in Python as before,
so each message of the report is the Python code's own.

The SQL test is deliberately narrower than the Python checks, never wider: a row passes here only
if it would pass there with the same values. Its cells are plain (empty, or starting with an ASCII
letter or digit and ending with one or with common punctuation: nothing to strip, no formula's
escape), its number, program, status and dates in plain ASCII (so that `upper`, `lower` and the
date's form mean what they mean in Python), its lengths within bounds, its status agreeing with its
dates today. A row that fails any of these (a cell with a space around it, a date of another form,
an unknown program…) is simply checked in Python.
"""

from __future__ import annotations

from ombuds.register.csv.lookup import OMBUDS_ID_PREFIX

# (PostgreSQL's regular expressions are slow with bounded repeats such as {0,49}: lengths are
# tested apart.)
# A cell that Python would leave as it is: nothing to strip, no formula escape to remove.
PLAIN = "^[A-Za-z0-9](.*[]A-Za-z0-9.,;:!?)}/#&*_+=-])?$"
PK_FORM = f"^{OMBUDS_ID_PREFIX}[0-9]+$"  # "ombuds:N" (N of at most 18 digits: a bigint)
NUMBER = "^[A-Za-z0-9][A-Za-z0-9._-]*$"  # `services.numbers.check_number`'s, in any case
CODE = "^[A-Za-z0-9._-]+$"
WORD = "^[A-Za-z]+$"


def _plain(cell: str) -> str:
    return f"({cell} = '' OR {cell} ~ %(plain)s)"


def _pk_form(cell: str) -> str:
    return f"({cell} ~ %(pk_form)s AND length({cell}) <= {len(OMBUDS_ID_PREFIX) + 18})"


def _no_pk_or_pk_form(cell: str) -> str:
    return f"(left({cell}, {len(OMBUDS_ID_PREFIX)}) <> %(prefix)s OR {_pk_form(cell)})"


def _pk(cell: str) -> str:
    return (
        f"CASE WHEN left({cell}, {len(OMBUDS_ID_PREFIX)}) = %(prefix)s THEN CASE WHEN "
        f"{_pk_form(cell)} THEN substr({cell}, {len(OMBUDS_ID_PREFIX) + 1})::bigint END END"
    )


def _date(cell: str) -> str:
    """The cell's date, NULL when it is not one: ASCII digits as YYYY-MM-DD (tested without a
    regular expression, several times cheaper here), a year from 1, a month of the year, a day of
    the month. The nested CASEs keep each test from seeing a cell the one before refused."""
    year, month, day = (
        f"left({cell}, 4)::int",
        f"substr({cell}, 6, 2)::int",
        f"substr({cell}, 9, 2)::int",
    )
    last_day = f"extract(day from make_date({year}, {month}, 1) + interval '1 month - 1 day')"
    return (
        f"CASE WHEN length({cell}) = 10 AND substr({cell}, 5, 1) = '-' "
        f"AND substr({cell}, 8, 1) = '-' AND translate({cell}, '0123456789', '') = '--' THEN "
        f"CASE WHEN {year} >= 1 AND {month} BETWEEN 1 AND 12 AND {day} BETWEEN 1 AND 31 THEN "
        f"CASE WHEN {day} <= 28 OR {day} <= {last_day} THEN "
        f"make_date({year}, {month}, {day}) END END END"
    )


def plain_rows_sql(*, raw: str, staged: str, header: list[str], columns: tuple[str, ...]) -> str:
    """INSERT INTO `staged` (`columns`) the rows of `raw` (line, c_<column>… in `header`) that
    pass every cell check; parameters: `parameters`'s (the body's programs as (code, id))."""

    def cell(name: str) -> str | None:
        return f"r.c_{name}" if name in header else None

    dates = {name: cell(name) for name in ("issued_on", "expires_on", "suspended_until")}
    converted = {name: _date(c) if c else "NULL::date" for name, c in dates.items()}
    dates_ok = [f"(x.{name}_cell = '' OR x.{name} IS NOT NULL)" for name, c in dates.items() if c]
    conditions, decision = cell("conditions"), cell("decision_ref")
    program = "(%(programs)s::bigint[])[array_position(%(codes)s::text[], lower(r.c_program))]"
    e, n, g, h, s = (
        f"r.c_{name}" for name in ("external_id", "number", "program", "holder", "status")
    )
    checks = [
        f"{e} <> ''",
        _plain(e),
        f"length({e}) <= 100",
        _no_pk_or_pk_form(e),
        f"{n} ~ %(number)s",
        f"length({n}) <= 50",
        f"{g} ~ %(code)s",
        f"{program} IS NOT NULL",
        f"{h} <> ''",
        _plain(h),
        _no_pk_or_pk_form(h),
        f"{s} ~ %(word)s",
        f"lower({s}) = ANY(%(statuses)s)",
    ]
    if conditions:
        checks.append(_plain(conditions))
    if decision:
        checks += [_plain(decision), f"length({decision}) <= 200"]
    # What `_if_new` tells a new credential (`check_final`, `check_new`), as one condition each.
    status, today = "x.status", "%(today)s::date"
    i, x, u = "x.issued_on", "x.expires_on", "x.suspended_until"
    plan = [
        f"NOT ({status} = 'suspended' AND {u} IS NULL)",
        f"NOT ({status} <> 'suspended' AND {u} IS NOT NULL)",
        f"NOT ({i} IS NOT NULL AND {x} IS NOT NULL AND {x} <= {i})",
        f"NOT ({status} IN ('active', 'suspended', 'expired', 'lapsed') AND {x} IS NULL)",
        f"NOT ({status} IN ('active', 'suspended') AND {x} < {today})",
        f"NOT ({status} IN ('expired', 'lapsed') AND {x} >= {today})",
        f"NOT ({status} = 'suspended' AND {u} IS NOT NULL AND {u} <= {today})",
        f"NOT ({status} = 'candidate' AND {i} IS NOT NULL AND {i} > {today})",
    ]
    raw_dates = "".join(f"{c} AS {name}_cell, " for name, c in dates.items() if c)
    return f"""
        INSERT INTO {staged} ({", ".join(columns)})
        SELECT x.line, true, x.ref, x.ref_pk, x.number, x.program_id, x.holder, x.holder_pk,
          x.status, x.issued_on, x.expires_on, x.suspended_until, x.conditions, x.decision_ref,
          NULL, NULL
        FROM (
          SELECT r.line, {e} AS ref, {_pk(e)} AS ref_pk, upper({n}) AS number,
            {program} AS program_id, {h} AS holder, {_pk(h)} AS holder_pk, lower({s}) AS status,
            {raw_dates}{converted["issued_on"]} AS issued_on,
            {converted["expires_on"]} AS expires_on,
            {converted["suspended_until"]} AS suspended_until,
            {conditions or "NULL::text"} AS conditions, {decision or "''"} AS decision_ref
          FROM {raw} r
          WHERE {" AND ".join(checks)}
          OFFSET 0
        ) x
        WHERE COALESCE({" AND ".join([*dates_ok, *plan])}, false)
    """


def parameters(
    *, programs: list[tuple[str, int]], statuses: list[str], today: object
) -> dict[str, object]:
    return {
        "plain": PLAIN,
        "prefix": OMBUDS_ID_PREFIX,
        "pk_form": PK_FORM,
        "number": NUMBER,
        "code": CODE,
        "word": WORD,
        "codes": [code for code, _pk in programs],
        "programs": [pk for _code, pk in programs],
        "statuses": statuses,
        "today": today,
    }
