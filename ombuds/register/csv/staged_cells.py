"""The credentials import's cell checks in SQL (PostgreSQL), for the rows that plainly pass them.

The file's rows are copied as read (each cell's text, untouched) into a temporary table; one
statement (`other_lines_sql`) notes the line of every row whose cells do not all pass or which as
a new credential would not pass `StagedCredentialImporter._if_new`: those rows are read and
checked in Python as before, so each message of the report is the Python code's own. The other
rows are read, converted as `LifecycleImporter.read_one` converts them (`plain_rows_sql`), by the
statement that matches them to the register: they are not written into a staging table first.

The SQL test is deliberately narrower than the Python checks, never wider: a row passes here only
if it would pass there with the same values. Its cells are plain (empty, or starting with an ASCII
letter or digit and ending with one or with common punctuation: nothing to strip, no formula's
escape), its number, program, status and dates in plain ASCII (so that `upper`, `lower` and the
date's form mean what they mean in Python), its lengths within bounds, its status agreeing with its
dates today. A row that fails any of these (a cell with a space around it, a date of another form,
an unknown program…) is simply checked in Python.

The tests are written for a million rows: a date and a plain cell are looked up in constant arrays
(hashed) rather than matched by regular expressions or taken apart, and `upper` and `lower` are the
"C" collation's (ASCII letters only, which is all a passing cell holds).
"""

from __future__ import annotations

import datetime as dt
import string

from ombuds.register.csv.lookup import OMBUDS_ID_PREFIX

# (PostgreSQL's regular expressions are slow with bounded repeats such as {0,49}: lengths are
# tested apart.)
# A cell that Python would leave as it is: nothing to strip, no formula escape to remove. As a
# regular expression, "^[A-Za-z0-9](.*[]A-Za-z0-9.,;:!?)}/#&*_+=-])?$"; tested as its first and
# last characters (`_plain`), which is the same test at half the cost.
PLAIN_FIRST = string.ascii_letters + string.digits
PLAIN_LAST = PLAIN_FIRST + "].,;:!?)}/#&*_+=-"
PK_FORM = f"^{OMBUDS_ID_PREFIX}[0-9]+$"  # "ombuds:N" (N of at most 18 digits: a bigint)
NUMBER = "^[A-Za-z0-9][A-Za-z0-9._-]*$"  # `services.numbers.check_number`'s, in any case
CODE = "^[A-Za-z0-9._-]+$"


def _text_array(items: list[str]) -> str:
    """A constant text[] written into the statement, not a parameter: PostgreSQL looks a value up
    in a constant array of nine or more elements by hashing (one probe, not a scan)."""
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
    return "'{" + ",".join(quoted) + "}'::text[]"


# A date's two halves, "YYYY-" (years 0001 to 9999) and "-MM-DD" (every day of a leap year).
_YEARS = _text_array([f"{year:04d}-" for year in range(1, 10000)])
_MONTH_DAYS = _text_array(
    sorted({(dt.date(2000, 1, 1) + dt.timedelta(days=n)).strftime("-%m-%d") for n in range(366)})
)


_FIRST, _LAST = _text_array(list(PLAIN_FIRST)), _text_array(list(PLAIN_LAST))


def _plain(cell: str) -> str:
    return f"({cell} = '' OR (left({cell}, 1) = ANY({_FIRST}) AND right({cell}, 1) = ANY({_LAST})))"


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
    """The cell's date, NULL when it is not one: ASCII YYYY-MM-DD, a year from 1, a day of the
    month, then read by one cast. Tested as its ten bytes, its first five characters among the
    years' "YYYY-" and its last six among the days of a leap year's "-MM-DD" (two hashed look-ups
    in constant arrays, several times cheaper here than a regular expression or comparisons of its
    parts), 29 February only in a leap year; the CASE keeps the cast from seeing a cell the tests
    refused."""
    y = f"left({cell}, 4)::int"
    leap = f"(mod({y}, 4) = 0 AND (mod({y}, 100) <> 0 OR mod({y}, 400) = 0))"
    return (
        f"CASE WHEN octet_length({cell}) = 10 AND left({cell}, 5) = ANY({_YEARS}) "
        f"AND right({cell}, 6) = ANY({_MONTH_DAYS}) "
        f"AND (right({cell}, 6) <> '-02-29' OR {leap}) THEN {cell}::date END"
    )


def _cell(header: list[str], name: str) -> str | None:
    return f"r.c_{name}" if name in header else None


_DATES = ("issued_on", "expires_on", "suspended_until")


def _converted(header: list[str], *, checked: bool = False) -> str:
    """The select list of a row of `raw` (alias r) converted as `read_one` converts it, in the
    staging table's columns (`staged._STAGED_COLUMNS`). Every cast is guarded: safe on any text,
    but for `checked` rows (whose date cells are known to be empty or dates `_date` reads), whose
    dates are read by a plain cast."""
    e, n, h, s = (f"r.c_{name}" for name in ("external_id", "number", "holder", "status"))
    dates = {name: _cell(header, name) for name in _DATES}
    read = (lambda c: f"NULLIF({c}, '')::date") if checked else _date
    date = {name: read(c) if c else "NULL::date" for name, c in dates.items()}
    conditions, decision = _cell(header, "conditions"), _cell(header, "decision_ref")
    return f"""r.line, true AS read_ok, {e} AS ref, {_pk(e)} AS ref_pk,
        {_ascii("upper", n)} AS number, {_PROGRAM} AS program_id, {h} AS holder,
        {_pk(h)} AS holder_pk, {_ascii("lower", s)} AS status,
        {date["issued_on"]} AS issued_on, {date["expires_on"]} AS expires_on,
        {date["suspended_until"]} AS suspended_until, {conditions or "NULL::text"} AS conditions,
        {decision or "''"} AS decision_ref, NULL::text AS number_error, NULL::text AS plan_errors"""


def _ascii(case: str, cell: str) -> str:
    """`upper` or `lower` of ASCII letters only (the "C" collation's, cheaper than the database's):
    the same as Python's for the cells that pass, which are ASCII; in the database's collation."""
    return f'{case}({cell} COLLATE "C") COLLATE "default"'


_PROGRAM = (
    '(%(programs)s::bigint[])[array_position(%(codes)s::text[], lower(r.c_program COLLATE "C"))]'
)


def _cell_checks(header: list[str]) -> list[str]:
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
        f"{_PROGRAM} IS NOT NULL",
        f"{h} <> ''",
        _plain(h),
        _no_pk_or_pk_form(h),
        # ASCII letters only lower-cased: only a cell of ASCII letters can match a status.
        f"{_ascii('lower', s)} = ANY(%(statuses)s)",
    ]
    conditions, decision = _cell(header, "conditions"), _cell(header, "decision_ref")
    if conditions:
        checks.append(_plain(conditions))
    if decision:
        checks += [_plain(decision), f"length({decision}) <= 200"]
    return checks


def _plan_checks(header: list[str]) -> list[str]:
    """What `_if_new` tells a new credential (`check_final`, `check_new`), as one condition each,
    on the converted row (alias x), and each date cell empty or read."""
    status, today = "x.status", "%(today)s::date"
    i, x, u = "x.issued_on", "x.expires_on", "x.suspended_until"
    dates_ok = [f"(x.c_{name} = '' OR x.{name} IS NOT NULL)" for name in _DATES if name in header]
    return [
        *dates_ok,
        f"NOT ({status} = 'suspended' AND {u} IS NULL)",
        f"NOT ({status} <> 'suspended' AND {u} IS NOT NULL)",
        f"NOT ({i} IS NOT NULL AND {x} IS NOT NULL AND {x} <= {i})",
        f"NOT ({status} IN ('active', 'suspended', 'expired', 'lapsed') AND {x} IS NULL)",
        f"NOT ({status} IN ('active', 'suspended') AND {x} < {today})",
        f"NOT ({status} IN ('expired', 'lapsed') AND {x} >= {today})",
        f"NOT ({status} = 'suspended' AND {u} IS NOT NULL AND {u} <= {today})",
        f"NOT ({status} = 'candidate' AND {i} IS NOT NULL AND {i} > {today})",
    ]


def other_lines_sql(*, raw: str, others: str, header: list[str]) -> str:
    """INSERT INTO `others` (line) the line of every row of `raw` (line, c_<column>… in `header`)
    that does not plainly pass, to be checked in Python; parameters: `parameters`'s. Only what
    the test needs is converted (the outer query reads no other column)."""
    cells = "".join(f"r.c_{name}, " for name in _DATES if name in header)
    # OFFSET 0 keeps the subquery whole, so that each conversion is computed once per row.
    return f"""
        INSERT INTO {others} (line)
        SELECT x.line FROM (
          SELECT {cells}{_converted(header)}, ({" AND ".join(_cell_checks(header))}) AS cells_ok
          FROM {raw} r
          OFFSET 0
        ) x
        WHERE NOT COALESCE(x.cells_ok AND {" AND ".join(_plan_checks(header))}, false)
    """


def plain_rows_sql(*, raw: str, others: str, header: list[str]) -> str:
    """SELECT every row of `raw` whose line is not in `others` (so it plainly passes), converted,
    in the staging table's columns; parameters: `parameters`'s. Its date cells passed `_date`
    (empty or a date it reads, which `::date` reads alike: ISO YYYY-MM-DD), so they are cast
    directly; the select list is computed only for the rows the anti-join keeps."""
    return f"""
        SELECT {_converted(header, checked=True)} FROM {raw} r
        WHERE NOT EXISTS (SELECT 1 FROM {others} o WHERE o.line = r.line)
    """


def parameters(
    *, programs: list[tuple[str, int]], statuses: list[str], today: object
) -> dict[str, object]:
    return {
        "prefix": OMBUDS_ID_PREFIX,
        "pk_form": PK_FORM,
        "number": NUMBER,
        "code": CODE,
        "codes": [code for code, _pk in programs],
        "programs": [pk for _code, pk in programs],
        "statuses": statuses,
        "today": today,
    }
