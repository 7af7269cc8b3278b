"""The engine's quick paths against the plain ones, on generated returns full of near-misses.

- The shipped ledger rules (one table per client and reference made once, only suspect clients'
  balances followed day by day, evidence joined to the findings) find exactly what the rules as
  first written find (tests/compliance/csec_rules_plain.toml): same findings, details and evidence.
- The shape check's single pass (every cell checked on the way into the tables; a distinct count
  of the unique columns' hashes) lists exactly the problems of the plain check: each file read as
  text, its wrong rows listed, its unique columns grouped.
No database: the engine reads the files where they lie."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombuds.compliance import engine, programme, synthetic
from ombuds.compliance.programme import Column, Rule
from ombuds.core.dates import add_business_days
from tests.compliance.conftest import PROGRAMME

CSEC = programme.load_file(PROGRAMME)
KINDS = ("collection", "disbursement", "fee", "refund", "adjustment")
SIGN = {"collection": 1, "refund": 1, "adjustment": 1, "disbursement": -1, "fee": -1}
months = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2024, 2027), st.integers(1, 12))
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _plain() -> programme.Programme:
    """CSEC's programme with its ledger rules as first written, and no declared tables."""
    data = tomllib.loads((Path(__file__).parent / "csec_rules_plain.toml").read_text())
    rules = {
        key: Rule(key, r["label"], r["return"], r["provision"], r["severity"], "query", r["sql"])
        for key, r in data["rules"].items()
    }
    ledger = dataclasses.replace(CSEC.returns["trust_ledger"], tables={})
    return dataclasses.replace(
        CSEC, rules={**CSEC.rules, **rules}, returns={**CSEC.returns, "trust_ledger": ledger}
    )


PLAIN = _plain()


def _money(cents: int, short: bool) -> str:
    text = f"{Decimal(cents).scaleb(-2):.2f}"
    if short and text.endswith("0"):  # 12.50 written 12.5, 12.00 written 12: both are money
        text = text.rstrip("0").rstrip(".")
    return text


def _write(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    path = folder / f"{name}.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _allowed(cents: int, terms: tuple[str, str, str] | None) -> int:
    """The fee a contract allows on a collection, in cents (as the rule rounds it)."""
    if terms is None:
        return 0
    percent = Decimal(terms[1] or 0)
    fixed = Decimal(terms[2] or 0) * 100
    return int((cents * percent / 100).quantize(Decimal(1), ROUND_HALF_UP) + fixed)


@st.composite
def ledgers(draw, folder: Path) -> tuple[dict[str, Path], tuple[dt.date, dt.date]]:
    """A return whose shape is right, where each client's references have a few kinds of rows
    each (at most one of a kind, as the ledger's unique columns say), on days and for amounts
    chosen to fall on the edges: deadlines met to the day or missed by one, a fee at the
    contract's limit or a cent past it, a payout the collection less its fee or a cent short,
    money taken out before it came in, a contract signed the day of the first activity."""
    period = synthetic.month(draw(months))
    start, end = period
    span = (end - start).days
    days = st.one_of(st.sampled_from([0, 1, 2, 6, 7, 8, 9, span - 2, span]), st.integers(0, span))
    amounts = st.one_of(
        st.sampled_from([0, 100, 900, 1000, 20_000]),
        st.integers(1, 60_000),
        st.sampled_from([-500, -1]),
    )
    near = st.one_of(st.sampled_from([-1, 0, 0, 1]), st.integers(-5_000, 5_000))
    terms = {}
    for client in ("A", "B"):
        if draw(st.integers(0, 4)):  # else no contract on file
            signed = draw(st.one_of(days, st.just(-30)))
            percent = draw(st.sampled_from(["", "0", "10", "12.5", "100"]))
            terms[client] = (signed, percent, draw(st.sampled_from(["", "0.00", "1.00", "2.5"])))
    ledger, owed = [], {}
    for client in ("A", "B"):
        for reference in ("R1", "R2", "OPENING"):
            kinds = draw(st.sets(st.sampled_from(KINDS)))
            collected = draw(amounts) if "collection" in kinds else 0
            fee = _allowed(collected, terms.get(client)) + draw(near) if "fee" in kinds else 0
            for kind in sorted(kinds, key=KINDS.index):
                if kind == "collection":
                    cents = collected
                elif kind == "fee" and collected:
                    cents = fee
                elif kind == "disbursement" and collected:
                    cents = collected - fee + draw(near)
                else:
                    cents = draw(amounts)
                day = start + dt.timedelta(days=draw(days))
                ledger.append(
                    [day.isoformat(), client, kind, _money(cents, draw(st.booleans())), reference]
                )
                owed[day] = owed.get(day, 0) + SIGN[kind] * cents
    contracts = [
        [client, (start + dt.timedelta(days=signed)).isoformat(), percent, fixed]
        for client, (signed, percent, fixed) in terms.items()
    ]
    bank, running = [], 0
    for n in range(span + 1):
        day = start + dt.timedelta(days=n)
        running += owed.get(day, 0)
        if draw(st.integers(0, 3)) == 0:
            continue  # no statement that day
        off = draw(st.sampled_from([0, 0, 0, 500, -1, -10_000]))
        bank.append([day.isoformat(), _money(running + off, False)])
    paths = {
        "ledger": _write(
            folder, "ledger", ["date", "client", "kind", "amount", "reference"], ledger
        ),
        "bank": _write(folder, "bank", ["date", "closing_balance"], bank),
        "contracts": _write(
            folder, "contracts", ["client", "signed_on", "fee_percent", "fixed_fee"], contracts
        ),
    }
    return paths, period


def _findings(outcome: engine.Outcome) -> list[str]:
    assert not outcome.refused, outcome.problems
    return sorted(json.dumps(f.as_json(), sort_keys=True) for f in outcome.findings)


@SLOW
@given(data=st.data())
def test_the_shipped_rules_find_what_the_plain_rules_find(data, tmp_path_factory):
    paths, period = data.draw(ledgers(tmp_path_factory.mktemp("return")))
    fast = engine.check_files(CSEC, "trust_ledger", paths, period, memory_limit="256MB")
    plain = engine.check_files(PLAIN, "trust_ledger", paths, period, memory_limit="256MB")
    assert _findings(fast) == _findings(plain)
    # a return whose shape is right (money written 12.5 or 12 too) is read once
    assert [step for step in fast.timings if step.endswith("what is wrong")] == []


def test_the_shipped_rules_find_what_the_plain_rules_find_on_a_planted_ledger(tmp_path):
    period = synthetic.month("2026-05")
    made = synthetic.Synthetic(
        seed=7, period=period, clients=60, collections=(1, 6), plant=synthetic.PLANTS[:-1]
    )
    paths = made.write(tmp_path)
    fast = engine.check_files(CSEC, "trust_ledger", paths, period)
    plain = engine.check_files(PLAIN, "trust_ledger", paths, period)
    assert _findings(fast) == _findings(plain)
    assert len(fast.findings) == len(made.planted)


CELLS = {
    "date": ["2026-03-02", "2026-03-31", "2026-04-01", "2026-02-30", "2026-3-5", "", " ", "x"],
    "client": ["A", "B", "", " "],
    "kind": [*KINDS, "transfer", ""],
    "amount": ["10.00", "10", "10.5", "12.345", "-1.00", "", "1e3", " 5.00", "00012.00"],
    "reference": ["R1", "R2", "", "R1 "],
}


def _plain_problems(paths: dict[str, Path], period) -> list[engine.Problem]:
    """The shape check as first written: each file read as text for its wrong rows, then its
    unique columns grouped."""
    problems = []
    spec = CSEC.returns["trust_ledger"]
    with engine.connection("256MB") as con:
        for key, file_spec in spec.files.items():
            header = engine._header(file_spec, paths[key])
            source = engine.csv_source(file_spec, paths[key], header, typed=False)
            problems += engine._row_problems(con, file_spec, source, period)[0]
            problems += engine._duplicates(con, file_spec, source)[0]
    return problems


@SLOW
@given(
    rows=st.lists(st.tuples(*(st.sampled_from(values) for values in CELLS.values())), max_size=14),
    percent=st.sampled_from(["", "10", "100", "100.5", "abc", "12.34567"]),
    day=st.sampled_from(["2026-03-01", "2026-03-01", "2026-02-28", "01/03/2026"]),
)
def test_the_single_pass_shape_check_lists_what_the_plain_check_lists(
    rows, percent, day, tmp_path_factory
):
    folder = tmp_path_factory.mktemp("return")
    period = synthetic.month("2026-03")
    paths = {
        "ledger": _write(folder, "ledger", list(CELLS), [list(r) for r in rows]),
        "bank": _write(folder, "bank", ["date", "closing_balance"], [[day, "1.00"]]),
        "contracts": _write(
            folder,
            "contracts",
            ["client", "signed_on", "fee_percent", "fixed_fee"],
            [["A", "2025-01-01", percent, ""], ["B", "2025-01-01", "", ""]],
        ),
    }
    outcome = engine.check_files(CSEC, "trust_ledger", paths, period, memory_limit="256MB")
    assert sorted(outcome.problems, key=repr) == sorted(_plain_problems(paths, period), key=repr)


def test_money_in_below_zero_before_the_rest_of_its_reference_is_followed(tmp_path):
    """A reference whose money in is negative before the rest of it arrives takes its client
    below zero though it ends above: the client's balance is followed day by day."""
    period = synthetic.month("2026-03")
    paths = {
        "ledger": _write(
            tmp_path,
            "ledger",
            ["date", "client", "kind", "amount", "reference"],
            [
                ["2026-03-02", "A", "adjustment", "-5.00", "R1"],
                ["2026-03-09", "A", "collection", "10.00", "R1"],
                ["2026-03-09", "A", "disbursement", "5.00", "R1"],
            ],
        ),
        "bank": _write(tmp_path, "bank", ["date", "closing_balance"], []),
        "contracts": _write(
            tmp_path,
            "contracts",
            ["client", "signed_on", "fee_percent", "fixed_fee"],
            [["A", "2026-01-01", "", ""]],
        ),
    }
    fast = engine.check_files(CSEC, "trust_ledger", paths, period)
    assert _findings(fast) == _findings(engine.check_files(PLAIN, "trust_ledger", paths, period))
    negative = [(f.date, str(f.amount)) for f in fast.findings if f.rule == "negative_balance"]
    assert negative == [(dt.date(2026, 3, 2), "5.00")]


COLUMNS = [
    Column("d", "date"),
    Column("o", "date", optional=True),
    Column("m", "money"),
    Column("f", "money", optional=True),
    Column("p", "percent", optional=True),
    Column("t", "text"),
    Column("e", "enum", ("fee", "refund")),
]
cells = st.one_of(
    st.none(),
    st.text(alphabet="0123456789-. e+x_\t", max_size=13),
    st.sampled_from(
        [
            "2026-03-05",
            "2026-3-5",
            "2026-03-05 ",
            "12.5",
            "12",
            "-0.00",
            "12.345",
            "1e3",
            "fee",
            " ",
        ]
    ),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(cells, min_size=1, max_size=30))
def test_the_quick_conditions_hold_of_every_cell_the_exact_ones_find_wrong(values):
    """The single pass may doubt a right cell (the file is then read again) but never passes
    a wrong one."""
    period = synthetic.month("2026-03")
    con = duckdb.connect()
    con.execute("CREATE TABLE cells (x VARCHAR)")
    con.executemany("INSERT INTO cells VALUES (?)", [[v] for v in values])
    for column in COLUMNS:
        in_period = column.name == "d"
        exact = " OR ".join(
            f"({cond})" for cond, _ in engine._column_problems(column, period, in_period, "x")
        )
        quick = engine._quick_conditions(column, period, in_period)
        kind = engine.DUCK_TYPES[column.type]
        missed = con.execute(
            f'SELECT x FROM (SELECT x, x AS "{column.name}:text", TRY_CAST(x AS {kind}) AS '
            f'"{column.name}" FROM cells) WHERE ({exact}) AND NOT coalesce(({quick}), false)'
        ).fetchall()
        assert missed == [], column


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    month=months,
    days=st.integers(1, 12),
    holidays=st.sets(st.integers(0, 80), max_size=6),
)
def test_the_calendars_business_days_are_the_ones_deadlines_are_counted_in(month, days, holidays):
    """The Nth business day after a date in the calendar the rules read is the one
    `ombuds.core.dates.add_business_days` gives (holidays included)."""
    start, end = synthetic.month(month)
    off = frozenset(start + dt.timedelta(days=n) for n in holidays)
    con = duckdb.connect()
    engine.calendar_create(con, start, end, off)
    found = dict(
        con.execute(
            "SELECT c.day, k.day FROM calendar c "
            "JOIN calendar k ON k.business AND k.number = c.number + $n "
            "WHERE c.day <= $end",
            {"n": days, "end": end},
        ).fetchall()
    )
    expected = {
        day: add_business_days(day, days, off)
        for day in (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    }
    assert found == expected
