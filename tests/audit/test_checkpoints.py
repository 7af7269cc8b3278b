"""Signed checkpoints anchor the chain outside the database: `ombuds audit verify --checkpoints DIR`
finds what the database's owner can do past the chain itself (a removed tail with a rewound head, a
chain recomputed with the key, a log rewritten unkeyed), naming the first event that fails."""

from __future__ import annotations

import json
import os
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ombuds.audit import checkpoints, keys
from ombuds.audit.models import Event
from tests.audit.tampering import chain, delete_tail, owner_sql, rewrite_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def signing(tmp_path, settings):
    path = tmp_path / "keys" / "audit-signing.pem"
    call_command("audit", "keygen", str(path), stdout=StringIO())
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = str(path)
    return path


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "checkpoints"


def _audit(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", *args, stdout=out)
    except CommandError as exc:
        return 1, str(exc)
    return 0, out.getvalue().strip()


def _checkpoint(folder) -> None:
    code, out = _audit("checkpoint", str(folder))
    assert code == 0 and out.startswith("checkpoint written: "), out


def test_keygen_writes_a_private_key_only_its_owner_reads_and_the_public_key(signing):
    assert stat.S_IMODE(os.stat(signing).st_mode) == 0o600
    public = signing.with_name("audit-signing.pem.pub")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    code, message = _audit("keygen", str(signing))
    assert code == 1 and "exists already" in message


def test_a_checkpoint_is_a_signed_file_naming_the_head(signing, folder):
    chain(4)
    _checkpoint(folder)
    [path] = folder.iterdir()
    body = json.loads(path.read_text())
    head = Event.objects.get(seq=5)  # the checkpoint is on the chain, and is its head
    assert (head.action, path.name) == ("audit.checkpoint", "checkpoint-000000000005.json")
    assert (body["seq"], body["head_hash"], body["count"], body["keyed_from"]) == (
        5,
        head.hash,
        5,
        1,
    )
    assert body["time"] and body["signature"]
    assert body["signing_key"] == keys.public_key_id(keys.signing_key().public_key())
    assert _audit("verify", "--checkpoints", str(folder)) == (
        0,
        "audit chain intact: 5 events; 1 checkpoints match",
    )


def test_the_public_key_alone_verifies(signing, folder, settings):
    chain(2)
    _checkpoint(folder)
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = ""
    public = str(signing) + ".pub"
    assert _audit("verify", "--checkpoints", str(folder), "--public-key", public)[0] == 0
    code, message = _audit("verify", "--checkpoints", str(folder))
    assert code == 1 and "OMBUDS_AUDIT_SIGNING_KEY_FILE is not set" in message


def test_a_removed_tail_with_a_rewound_head_is_found(signing, folder):
    """The reproduction: with the trigger disabled, the last events deleted and the head rewound,
    `ombuds audit verify` passed."""
    chain(10)
    _checkpoint(folder)  # event 11
    chain(3)
    delete_tail(9)
    assert _audit("verify") == (0, "audit chain intact: 8 events")  # the chain alone cannot tell
    code, message = _audit("verify", "--checkpoints", str(folder))
    assert code == 1
    assert message.startswith("audit chain broken at event #9: it is missing, and the events up")
    assert "checkpoint-000000000011.json" in message and "head rewound" in message


def test_an_edit_with_every_later_hash_recomputed_with_the_key_is_found(signing, folder):
    """The reproduction: event 20 edited and every later hash recomputed. Even whoever holds the
    audit key cannot make the chain match a checkpoint taken before."""
    chain(10)
    _checkpoint(folder)  # event 11
    chain(19)
    _checkpoint(folder)  # event 31
    rewrite_from(20)  # with the audit key itself
    assert _audit("verify")[0] == 0
    code, message = _audit("verify", "--checkpoints", str(folder))
    assert code == 1
    assert message.startswith(
        "audit chain broken at event #31: its hash differs from the checkpoint of"
    )
    assert "an event from #12 to #31 was altered and the hashes after it recomputed" in message


def test_without_the_key_the_edited_event_itself_is_named(signing, folder):
    chain(25)
    _checkpoint(folder)
    rewrite_from(20, key=b"not the audit key")
    code, message = _audit("verify", "--checkpoints", str(folder))
    assert code == 1 and message.startswith("audit chain broken at event #20:")


def test_a_log_rewritten_unkeyed_from_the_start_is_found(signing, folder):
    chain(6)
    _checkpoint(folder)  # event 7
    rewrite_from(3, scheme=Event.Scheme.SHA256, start=1)
    assert _audit("verify")[0] == 0  # a consistent SHA-256 chain, as before the keyed one
    code, message = _audit("verify", "--checkpoints", str(folder))
    assert code == 1 and message.startswith("audit chain broken at event #7: its hash differs")


def test_rows_deleted_with_the_trigger_disabled_are_found(signing, folder):
    chain(8)
    _checkpoint(folder)
    with owner_sql() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq IN (4, 5)")
    assert _audit("verify", "--checkpoints", str(folder)) == (
        1,
        "audit chain broken at event #4: events #4 to #5 are missing",
    )


def test_a_forged_checkpoint_is_refused(signing, folder, tmp_path):
    chain(3)
    _checkpoint(folder)
    [path] = folder.iterdir()
    body = json.loads(path.read_text())
    body["count"] = 2
    path.write_text(json.dumps(body))
    code, message = _audit("verify", "--checkpoints", str(folder))
    assert code == 1 and "its signature does not match the public key" in message
    path.write_text("{not json")
    assert _audit("verify", "--checkpoints", str(folder))[1].endswith("cannot be read")


def test_a_checkpoint_signed_by_another_key_is_refused(signing, folder, tmp_path, settings):
    chain(3)
    _checkpoint(folder)
    other = tmp_path / "other.pem"
    keys.keygen(other)
    code, message = _audit("verify", "--checkpoints", str(folder), "--public-key", f"{other}.pub")
    assert code == 1 and "its signature does not match the public key" in message


def test_an_empty_or_missing_directory_is_not_a_pass(signing, folder, tmp_path):
    chain(1)
    code, message = _audit("verify", "--checkpoints", str(folder))
    assert code == 1 and "is not a directory of checkpoints" in message
    folder.mkdir()
    code, message = _audit("verify", "--checkpoints", str(folder))
    assert code == 1 and "holds no checkpoints" in message


def test_no_checkpoint_of_a_broken_chain(signing, folder):
    chain(3)
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET action = 'x' WHERE seq = 2")
    code, message = _audit("checkpoint", str(folder))
    assert code == 1 and message.startswith("no checkpoint of a broken chain: ")
    assert Event.objects.count() == 3 and not list(folder.glob("*.json"))


def test_checkpoint_without_a_signing_key_is_a_one_line_refusal(folder, settings):
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = ""
    assert _audit("checkpoint", str(folder)) == (
        1,
        "OMBUDS_AUDIT_SIGNING_KEY_FILE is not set (make one with `ombuds audit keygen FILE`)",
    )


def test_the_daily_work_writes_a_checkpoint_where_configured(
    signing, folder, settings, monkeypatch
):
    import datetime as dt

    from ombuds.operations import daily

    assert checkpoints.daily_work() == {"checkpoints": 0}  # not configured: nothing written
    settings.OMBUDS_AUDIT_CHECKPOINT_DIR = str(folder)
    monkeypatch.setitem(daily.JOBS, "audit", checkpoints.daily_work)
    chain(2)
    run = daily.daily_run("audit", day=dt.date(2026, 3, 1), worker="w1")
    assert (run.outcome, run.summary) == ("succeeded", {"checkpoints": 1, "events": 3})
    assert [p.name for p in folder.iterdir()] == ["checkpoint-000000000003.json"]
    # A key that cannot be read is on the run's record, and the next worker tries again.
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = str(folder / "missing.pem")
    run = daily.daily_run("audit", day=dt.date(2026, 3, 2), worker="w1")
    assert run.outcome == "failed" and "cannot read the audit signing key" in run.error


def test_the_daily_schedule_has_the_checkpoint_last_when_the_directory_is_set(tmp_path):
    import subprocess
    import sys

    script = "from ombuds.operations import daily; print(','.join(daily.JOBS))"
    env = {**os.environ, "OMBUDS_DATA_DIR": str(tmp_path), "DATABASE_URL": "sqlite://"}
    jobs = []
    for value in ("", str(tmp_path / "checkpoints")):
        result = subprocess.run(
            [sys.executable, "-m", "ombuds.cli", "shell", "-c", script],
            env={**env, "OMBUDS_AUDIT_CHECKPOINT_DIR": value},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        jobs.append(result.stdout.strip().split(","))
    assert "audit" not in jobs[0] and jobs[1] == [*jobs[0], "audit"]
