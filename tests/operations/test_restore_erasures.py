"""Erasure that survives restoring an older backup: a named complainant's case is backed up, then
erased; restoring the backup brings the case back as it was, and the restore re-applies the erasure
journal (kept outside the backup), so that nothing names the complainant again: not a table, not
the engine's dump, not a file, not a value read through the application."""

from __future__ import annotations

import pytest

from tests.operations.test_backup import ENGINES, Instances, instances, one_line

__all__ = ["instances"]  # the fixture, shared with test_backup


@pytest.mark.parametrize("engine", ENGINES)
def test_a_case_erased_after_the_backup_stays_erased_after_the_restore(
    engine, instances: Instances, tmp_path
):
    journal = tmp_path / "kept-elsewhere" / "erasures"
    source = instances.new(engine)
    source.env["OMBUDS_ERASURE_JOURNAL_DIR"] = str(journal)
    source.migrate()
    seeded = source.script("named")
    assert seeded["personal"]  # the search finds the complainant before
    backup = tmp_path / "backup"
    assert source.ombuds("backup", str(backup)).returncode == 0
    erased = source.ombuds("cases", "erase", seeded["reference"], "--reason", "Asked by letter.")
    assert erased.returncode == 0, erased.stderr
    assert source.script("personal") == []
    listed = source.ombuds("erasures", "list")
    assert one_line(listed.stdout.splitlines()[-1]) == f"1 erasures in {journal}"

    # Without the journal, the restored backup names the complainant again: what it fixes.
    forgetful = instances.new(engine)
    forgetful.env["OMBUDS_ERASURE_JOURNAL_DIR"] = str(tmp_path / "an-empty-journal")
    restored = forgetful.ombuds("restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "erasure journal: 0 of 0 entries re-applied" in restored.stdout
    assert forgetful.script("personal")

    target = instances.new(engine)
    target.env["OMBUDS_ERASURE_JOURNAL_DIR"] = str(journal)
    restored = target.ombuds("restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    line = one_line(restored.stdout)
    assert line.startswith("restored: ")
    assert line.endswith(
        "; erasure journal: 1 of 1 entries re-applied (0 erased already, 0 not in this database)"
    )
    assert target.script("personal") == []
    verified = target.ombuds("audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stderr
    again = target.ombuds("erasures", "reapply")
    assert again.returncode == 0, again.stderr
    assert one_line(again.stdout) == (
        "erasure journal: 0 of 1 entries re-applied (1 erased already, 0 not in this database)"
    )
