"""Reading and checking a programme: every problem listed at once with where it is; rules whose
query names what no return declares, reads a file or does anything but select are refused; the
provisions cited must be in the body's code."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ombuds.compliance import checking, documents, programme
from tests.compliance.conftest import PROGRAMME

HEAD = """
[programme]
key = "p"
name = "P"
[settings]
days = 5
[returns.monthly]
label = "Monthly"
filed_by = "member_agencies"
period = "monthly"
[returns.monthly.files.ledger]
label = "Ledger"
columns.date = "date"
columns.client = "text"
columns.amount = "money"
"""


def rule(sql: str, provision: str = "1.2(c)") -> str:
    return f"""
[rules.r]
label = "R"
return = "monthly"
provision = "{provision}"
severity = "high"
sql = \"\"\"{sql}\"\"\"
"""


def problems(text: str, citations=None) -> list[str]:
    return checking.programme_problems(text, source="p.toml", citations=citations)[1]


def test_the_shipped_csec_programme_has_no_problem():
    spec, found = checking.file_problems(PROGRAMME)
    assert found == []
    assert spec.code == "CSEC"
    assert {r.provision for r in spec.rules.values()} >= {
        "1.2(b)",
        "1.2(c)",
        "1.2(d)",
        "1.3(a)",
        "1.3(d)",
    }
    assert {s.period for s in spec.returns.values()} == {"monthly", "yearly", "on_change"}


def test_every_problem_of_the_form_is_listed_with_where_it_is():
    text = """
[programme]
name = "P"
colour = "red"
[returns.monthly]
label = "Monthly"
filed_by = "everyone"
period = "weekly"
[returns.monthly.files.ledger]
label = "Ledger"
columns.date = "datetime"
columns.kind = "enum"
unique = ["nope"]
[rules.r]
label = "R"
return = "yearly"
provision = "1.2 (c) or so"
severity = "dire"
"""
    found = problems(text)
    expected = [
        "[programme]: unknown key 'colour'",
        "[programme]: 'key' is required",
        "filed_by 'everyone' is not one of",
        "period 'weekly' is not one of",
        "columns.date: type 'datetime' is not one of",
        "columns.kind: an enum column lists its 'values'",
        "unique: no column called 'nope'",
        "[rules.r]: no return called 'yearly'",
        "is not a citation such as 1.2(c)",
        "severity 'dire' is not one of",
        "[rules.r]: a query rule gives its 'sql'",
    ]
    for part in expected:
        assert any(part in p for p in found), (part, found)
    assert all(p.startswith("p.toml: ") for p in found)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT client, date, amount, note AS detail FROM ledger", 'column "note" not found'),
        ("SELECT client, date, amount, 'x' AS detail FROM bank", "bank does not exist"),
        ("SELECT client, date, amount FROM ledger", "does not return detail"),
        ("SELECT client, date, amount, 'x' AS detail FROM ledger WHERE amount > $nope", "nope"),
        (
            "SELECT 1 AS client, 2 AS date, 3 AS amount, * AS detail FROM read_csv('/etc/passwd')",
            "Permission Error",
        ),
        ("SELECT 1; SELECT 2", "one SELECT query"),
        ("DELETE FROM ledger", "one SELECT query"),
        ("SELEC nothing", "not valid SQL"),
    ],
)
def test_a_rule_query_is_run_on_empty_tables_of_the_declared_files(sql, reason):
    found = problems(HEAD + rule(sql))
    assert len(found) == 1 and "[rules.r]" in found[0]
    assert reason in found[0], found


def test_a_query_over_declared_files_columns_and_settings_is_accepted():
    sql = (
        "SELECT client, date, amount, 'late' AS detail, c.number FROM ledger "
        "JOIN calendar c ON c.day = date WHERE date <= $period_end AND amount > $days"
    )
    assert problems(HEAD + rule(sql)) == []


def table(name: str, sql: str) -> str:
    return f"""
[returns.monthly.tables.{name}]
label = "T"
sql = \"\"\"{sql}\"\"\"
"""


def test_a_rule_may_read_a_table_the_return_declares():
    totals = table(
        "totals",
        "SELECT client, min(date) AS first, sum(amount) AS total FROM ledger GROUP BY client",
    )
    sql = "SELECT client, first AS date, total AS amount, 'x' AS detail FROM totals WHERE total > $days"
    assert problems(HEAD + totals + rule(sql)) == []


@pytest.mark.parametrize(
    ("name", "sql", "reason"),
    [
        ("totals", "SELECT client, note FROM ledger", 'column "note" not found'),
        ("totals", "DELETE FROM ledger", "one SELECT query"),
        ("totals", "SELECT * FROM read_csv('/etc/passwd')", "Permission Error"),
        ("ledger", "SELECT client FROM ledger", "already the name of a file"),
        ("calendar", "SELECT client FROM ledger", "already the name of a file or of the calendar"),
    ],
)
def test_a_declared_table_is_made_from_empty_files_or_refused_with_where(name, sql, reason):
    found = problems(HEAD + table(name, sql))
    assert any(f"[returns.monthly.tables.{name}]" in p and reason in p for p in found), found


def test_the_provisions_cited_must_be_in_the_bodys_code():
    text = HEAD + rule("SELECT client, date, amount, 'x' AS detail FROM ledger", "9.9(z)")
    assert problems(text, citations={"1.2(c)"}) == [
        "p.toml: [rules.r]: the provision '9.9(z)' is not in the body's code"
    ]
    assert problems(text) == []  # without the body, the provision is not looked up


def test_document_rules_name_what_their_return_declares():
    text = (
        HEAD.replace(
            "[returns.monthly.files.ledger]",
            '[returns.monthly.documents.bond]\nlabel = "Bond"\n[returns.monthly.files.ledger]',
        )
        + """
[rules.bond]
label = "Bond"
return = "monthly"
provision = "1.2(a)"
severity = "high"
kind = "in_force"
document = "bond"
[rules.cert]
label = "Cert"
return = "monthly"
provision = "1.2(a)"
severity = "high"
kind = "present"
document = "certificate"
"""
    )
    found = problems(text)
    assert any("the document 'bond' has no expiry date" in p for p in found)
    assert any("no document called 'certificate'" in p for p in found)


def test_presence_expiry_and_attestation_rules_find_what_is_missing(db):
    spec = programme.load_file(PROGRAMME)
    import datetime as dt

    end = dt.date(2026, 12, 31)
    findings = documents.rules_check(
        spec,
        "solvency",
        documents={"bond": dt.date(2026, 6, 30), "insurance": dt.date(2027, 6, 30)},
        statements=set(),
        period_end=end,
    )
    assert sorted((f.rule, f.provision) for f in findings) == [
        ("bond_in_force", "1.2(a)"),
        ("financial_statements_filed", "1.2(a)"),
        ("solvency_attested", "1.2(a)"),
    ]
    assert "expires on 2026-06-30" in next(f.detail for f in findings if f.rule == "bond_in_force")
    complete = documents.rules_check(
        spec,
        "solvency",
        documents={"financial_statements": None, "bond": end, "insurance": end},
        statements={"solvent"},
        period_end=end,
    )
    assert complete == []


def test_check_programme_prints_ok_or_every_problem_and_fails(tmp_path, capsys, council):
    call_command("compliance", "check-programme", str(PROGRAMME), "--org", "council")
    assert capsys.readouterr().out.strip() == "ok"
    bad = tmp_path / "bad.toml"
    bad.write_text(HEAD + rule("SELECT client, date, amount, 'x' AS detail FROM ledger", "7.7"))
    with pytest.raises(CommandError, match="1 problem in"):
        call_command("compliance", "check-programme", str(bad), "--org", "council")
    assert "the provision '7.7' is not in the body's code" in capsys.readouterr().err
    with pytest.raises(CommandError, match="no body 'nobody'"):
        call_command("compliance", "check-programme", str(PROGRAMME), "--org", "nobody")
    with pytest.raises(CommandError, match="problem"):
        call_command("compliance", "check-programme", str(tmp_path / "missing.toml"))
