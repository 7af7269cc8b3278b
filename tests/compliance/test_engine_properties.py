"""The engine against synthetic ledgers: every planted violation is found with its rule, provision,
client and date, and nothing else is (precision and recall 100%); an honest ledger has no finding.
No database: the engine reads the files where they lie."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombuds.compliance import engine, programme, synthetic
from tests.compliance.conftest import PROGRAMME

CSEC = programme.load_file(PROGRAMME)
RULE_PLANTS = [p for p in synthetic.PLANTS if p != "records"]
months = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2024, 2027), st.integers(1, 12))


def _key(item) -> tuple:
    return (item.rule, item.provision, item.client, item.date.isoformat() if item.date else "")


def _run(seed: int, month: str, clients: int, plant) -> tuple[engine.Outcome, list]:
    period = synthetic.month(month)
    made = synthetic.Synthetic(seed=seed, period=period, clients=clients, plant=plant)
    with tempfile.TemporaryDirectory() as folder:
        paths = made.write(Path(folder))
        outcome = engine.check_files(CSEC, "trust_ledger", paths, period, memory_limit="256MB")
    return outcome, made.planted


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    month=months,
    clients=st.integers(8, 30),
    plant=st.sets(st.sampled_from(RULE_PLANTS)),
)
def test_every_planted_violation_is_found_and_nothing_else(seed, month, clients, plant):
    outcome, planted = _run(seed, month, clients, plant)
    assert not outcome.refused, outcome.problems
    assert sorted(map(_key, outcome.findings)) == sorted(map(_key, planted))
    # one finding for each plant: two never-paid or late collections are two findings
    assert len(outcome.findings) == len(plant)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), month=months, clients=st.integers(2, 40))
def test_an_honest_ledger_has_no_finding(seed, month, clients):
    outcome, planted = _run(seed, month, clients, ())
    assert planted == []
    assert outcome.problems == [] and outcome.findings == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), month=months, clients=st.integers(3, 20))
def test_records_that_cannot_be_right_refuse_the_return_each_found(seed, month, clients):
    outcome, planted = _run(seed, month, clients, {"records"})
    assert outcome.refused and outcome.findings == []
    found = outcome.problem_findings()
    assert sorted(map(_key, found)) == sorted(map(_key, planted))
    assert {f.provision for f in found} == {"1.2(b)"}


def test_the_plants_cover_every_query_rule_of_the_programme():
    """Each rule of the shipped ledger return has a plant that violates it."""
    rules = {r.key for r in CSEC.rules_for("trust_ledger")}
    planted_rules = {"late_distribution" if p == "never_paid" else p for p in synthetic.PLANTS}
    assert rules == planted_rules
    for key, provision in synthetic.RULES.items():
        rule = CSEC.rules["late_distribution" if key == "never_paid" else key]
        assert rule.provision == provision


def test_days_late_and_the_deadline_are_the_findings_evidence(tmp_path):
    period = synthetic.month("2026-03")  # 2 March 2026 is a Monday
    (tmp_path / "ledger.csv").write_text(
        "date,client,kind,amount,reference\n"
        "2026-03-02,A1,collection,100.00,R1\n"
        "2026-03-02,A1,fee,10.00,R1\n"
        "2026-03-12,A1,disbursement,90.00,R1\n"
    )
    rows = ["date,closing_balance"]
    balance = {2: 90, 12: 0}
    level = 0
    for day in range(1, 32):
        level = balance.get(day, level)
        rows.append(f"2026-03-{day:02d},{level}.00")
    (tmp_path / "bank.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "contracts.csv").write_text(
        "client,signed_on,fee_percent,fixed_fee\nA1,2025-01-01,10,\n"
    )
    paths = {k: tmp_path / f"{k}.csv" for k in ("ledger", "bank", "contracts")}
    outcome = engine.check_files(CSEC, "trust_ledger", paths, period)
    [finding] = outcome.findings
    assert (finding.rule, finding.provision, finding.client) == (
        "late_distribution",
        "1.2(d)",
        "A1",
    )
    assert finding.date == dt.date(2026, 3, 2) and str(finding.amount) == "90.00"
    # five business days after Monday 2 March is Monday 9 March; paid three days later
    assert finding.evidence["deadline"] == "2026-03-09"
    assert finding.evidence["days_late"] == 3
    assert "3 days after the deadline" in finding.detail
    assert finding.evidence["rows"] == [
        {"date": "2026-03-02", "kind": "collection", "amount": "100.00"},
        {"date": "2026-03-02", "kind": "fee", "amount": "10.00"},
        {"date": "2026-03-12", "kind": "disbursement", "amount": "90.00"},
    ]


def test_evidence_rows_are_capped(tmp_path):
    period = synthetic.month("2026-03")
    ledger = ["date,client,kind,amount,reference", "2026-03-02,B2,collection,10.00,R0"]
    ledger += [f"2026-03-05,B2,disbursement,2.00,P{n}" for n in range(8)]  # 16.00 out of 10.00
    (tmp_path / "ledger.csv").write_text("\n".join(ledger) + "\n")
    bank = ["date,closing_balance"] + [f"2026-03-{d:02d},0.00" for d in range(1, 32)]
    (tmp_path / "bank.csv").write_text("\n".join(bank) + "\n")
    (tmp_path / "contracts.csv").write_text(
        "client,signed_on,fee_percent,fixed_fee\nB2,2025-01-01,,\n"
    )
    paths = {k: tmp_path / f"{k}.csv" for k in ("ledger", "bank", "contracts")}
    findings = engine.check_files(CSEC, "trust_ledger", paths, period).findings
    negative = next(f for f in findings if f.rule == "negative_balance")
    assert (negative.client, negative.date, str(negative.amount)) == (
        "B2",
        dt.date(2026, 3, 5),
        "6.00",
    )
    assert len(negative.evidence["rows"]) == engine.MAX_EVIDENCE


def _three(tmp_path, ledger: bytes) -> dict[str, Path]:
    (tmp_path / "ledger.csv").write_bytes(ledger)
    (tmp_path / "bank.csv").write_text("date,closing_balance\n2026-03-01,0.00\n")
    (tmp_path / "contracts.csv").write_text("client,signed_on,fee_percent,fixed_fee\n")
    return {k: tmp_path / f"{k}.csv" for k in ("ledger", "bank", "contracts")}


def test_a_row_with_too_many_cells_is_a_shape_problem(tmp_path):
    paths = _three(
        tmp_path, b"date,client,kind,amount,reference\n2026-03-02,A,collection,1.00,R,extra\n"
    )
    outcome = engine.check_files(CSEC, "trust_ledger", paths, synthetic.month("2026-03"))
    assert outcome.refused
    assert outcome.problems[0].file == "ledger"
    assert "cannot be read as CSV" in outcome.problems[0].detail


def test_a_file_that_is_not_utf8_or_has_no_header_cannot_be_checked(tmp_path):
    paths = _three(tmp_path, "date,client\n2026-03-02,Zoë\n".encode("latin-1"))
    with pytest.raises(engine.FilesUnreadable, match=r"ledger: cannot read ledger\.csv"):
        engine.check_files(CSEC, "trust_ledger", paths, synthetic.month("2026-03"))
    paths = _three(tmp_path, b"")
    with pytest.raises(engine.FilesUnreadable, match="is empty"):
        engine.check_files(CSEC, "trust_ledger", paths, synthetic.month("2026-03"))


def test_a_header_after_a_byte_order_mark_is_read(tmp_path):
    paths = _three(
        tmp_path,
        "\ufeffdate,client,kind,amount,reference\n2026-03-02,A,adjustment,1.00,R\n".encode(),
    )
    (tmp_path / "contracts.csv").write_text(
        "client,signed_on,fee_percent,fixed_fee\nA,2025-01-01,,\n"
    )
    outcome = engine.check_files(CSEC, "trust_ledger", paths, synthetic.month("2026-03"))
    assert outcome.problems == []
    assert [f.rule for f in outcome.findings] == []
