"""A backup taken while an audit event waits for the chain head (PostgreSQL) restores: verify only
reads, so the restored chain matches the manifest's head, and the waiting event is restored waiting
(its MAC checked), then linked by the next append or `ombuds audit verify --settle`."""

from __future__ import annotations

import json

import pytest

from tests.operations.test_backup import instances  # noqa: F401  (the fixture)


@pytest.mark.parametrize("migrated", [False, True], ids=["new", "migrated"])
def test_a_backup_with_an_event_waiting_restores_and_the_event_is_linked_after(
    instances,  # noqa: F811
    tmp_path,
    migrated,
):
    source = instances.new("postgresql")
    source.migrate()
    source.script("seed")
    seeded = source.script("wait")
    assert seeded["waiting"] == 1
    assert seeded["verify"].endswith(", 1 waiting to be linked")
    result = source.ombuds("backup", str(tmp_path / "backup"))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["state"]["tables"]["audit_waitingevent"] == 1

    target = instances.new("postgresql")
    if migrated:
        target.migrate()  # an operator may migrate the empty instance first
    result = target.ombuds("restore", str(tmp_path / "backup"))
    assert result.returncode == 0, result.stderr
    restored = target.script("inspect")
    assert restored == seeded  # the head is the manifest's: nothing was linked by the restore
    settled = target.ombuds("audit", "verify", "--settle")
    assert settled.returncode == 0, settled.stderr
    events = seeded["counts"]["events"] + 1
    assert settled.stdout.strip() == f"audit chain intact: {events} events"
    after = target.script("inspect")
    assert after["waiting"] == 0 and after["head"][0] == seeded["head"][0] + 1
