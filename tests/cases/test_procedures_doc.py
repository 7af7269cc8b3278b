"""docs/procedures.md keeps up with what a procedure file may name: every key of each table, every
fact, effect, input kind, role and notice recipient, and each shipped procedure."""

from __future__ import annotations

from pathlib import Path

import pytest

from ombuds.cases.procedure import (
    EFFECT_KINDS,
    FACTS,
    INPUT_KINDS,
    NOTICE_RECIPIENTS,
    PROCEDURES_DIR,
    ROLES,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "procedures.md").read_text(encoding="utf-8")

KEYS = {
    "[procedure]": ["key", "name", "initial", "version", "starts_on_filing", "holidays", "stages"],
    "[case]": [
        "determinations_in",
        "sanction_in",
        "acknowledged_by",
        "respondent_deadlines",
        "complainant_deadlines",
        "efforts",
    ],
    "[states.<name>]": ["label", "final", "description", "stage", "complainant"],
    "[deadlines.<name>]": ["days", "months", "count", "reminders", "on_expiry", "after_delivery"],
    "[[transitions]]": ["from", "to", "roles", "when", "inputs", "starts", "stops", "effects"],
}


@pytest.mark.parametrize(
    "name",
    sorted({*FACTS, *EFFECT_KINDS, *INPUT_KINDS, *ROLES, *NOTICE_RECIPIENTS}),
)
def test_every_name_a_file_may_use_is_documented(name):
    assert f"`{name}`" in DOC


@pytest.mark.parametrize(("table", "key"), [(t, k) for t, keys in KEYS.items() for k in keys])
def test_every_key_is_documented(table, key):
    assert f"`{key}`" in DOC, f"{table} {key}"


def test_each_shipped_procedure_is_named_with_its_install():
    for path in PROCEDURES_DIR.glob("*.toml"):
        assert f"`{path.name}`" in DOC
    assert "ombuds procedures install FILE --org SLUG" in DOC
