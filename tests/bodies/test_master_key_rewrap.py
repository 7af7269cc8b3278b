"""Replacing the master key (`ombuds keys rewrap`): every data key re-wrapped under the new key,
resumable, the old key then opening nothing; the start-up check refuses a key that opens nothing
and says when data keys are still under the previous one."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from ombuds.audit import services as audit
from ombuds.bodies import keys
from ombuds.bodies.models import BodyKey
from ombuds.core import crypto
from ombuds.operations.startup import startup_notice
from tests.conftest import TEST_MASTER_KEY

pytestmark = pytest.mark.django_db

NEW_MASTER_KEY = "bmV3LW1hc3Rlci1rZXktYWZ0ZXItYS1kZXBhcnR1cmU="
CONTEXT = "cases_case.complainant_name"


@pytest.fixture
def key_files(tmp_path):
    old, new = tmp_path / "master-old", tmp_path / "master-new"
    old.write_text(TEST_MASTER_KEY + "\n")
    new.write_text(NEW_MASTER_KEY + "\n")
    return old, new


@pytest.fixture
def sealed(body, other_body):
    """A value and a file of each body, and an audit event's details, all sealed with the test key."""
    values = {
        owner: crypto.seal_text(f"Pat of {owner}", owner, CONTEXT)
        for owner in (body.pk, other_body.pk, None)
    }
    name = default_storage.save(f"cases/{body.slug}/X/evidence", ContentFile(b"evidence bytes"))
    event = audit.record(
        action="case.edited",
        subject_type="case",
        subject_id=1,
        data={"old": "t"},
        organization=body,
    )
    return values, name, event


def _use(settings, master: str, previous: str = "") -> None:
    """The configuration an operator changes: the master key, and the previous one."""
    settings.OMBUDS_MASTER_KEY = master
    settings.OMBUDS_MASTER_KEY_PREVIOUS_FILE = previous
    keys.KEYRING.forget()


def _all_open(values, name, event) -> None:
    for owner, value in values.items():
        assert crypto.open_text(value, CONTEXT) == f"Pat of {owner}"
    with default_storage.open(name) as f:
        assert f.read() == b"evidence bytes"
    assert audit.Event.objects.get(pk=event.pk).data == {"old": "t"}


def test_what_was_sealed_before_a_rewrap_opens_after_it_with_only_the_new_key(
    settings, key_files, sealed
):
    old, new = key_files
    out = StringIO()
    call_command("keys", "rewrap", "--new-key-file", str(new), stdout=out)
    target = crypto.master_fingerprint(crypto.decode_master_key(NEW_MASTER_KEY))
    assert f"3 data keys re-wrapped under master key {target} (0 were already)" in out.getvalue()
    assert f"keep OMBUDS_MASTER_KEY_FILE={new} as the only master key" in out.getvalue()
    _use(settings, NEW_MASTER_KEY)
    _all_open(*sealed)
    assert keys.master_key_mismatch() is None and startup_notice() is None
    # The audit key was derived from the master key: the chain moved to the new one, and verifies
    # with the old master key kept for it, as the command said.
    assert "OMBUDS_AUDIT_KEY_PREVIOUS_FILES" in out.getvalue()
    assert not audit.verify().ok
    settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = str(old)
    assert audit.verify().ok


def test_the_old_key_alone_opens_nothing_after_a_rewrap(settings, key_files, sealed):
    values, _name, _event = sealed
    call_command("keys", "rewrap", "--new-key-file", str(key_files[1]), stdout=StringIO())
    _use(settings, TEST_MASTER_KEY)
    reason = keys.master_key_mismatch()
    assert reason.startswith("ombuds: the master key does not open data key") and "\n" not in reason
    for value in values.values():
        with pytest.raises(crypto.KeyUnavailable, match="which is not configured"):
            crypto.open_text(value, CONTEXT)


def test_an_interrupted_rewrap_resumes_and_both_keys_open_meanwhile(
    settings, key_files, sealed, monkeypatch
):
    old = key_files[0]
    wrap, calls = crypto.wrap_with_master, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return wrap(*args, **kwargs)

    monkeypatch.setattr(crypto, "wrap_with_master", interrupted)
    with pytest.raises(KeyboardInterrupt):
        keys.keys_rewrap(new_key_text=NEW_MASTER_KEY)
    monkeypatch.setattr(crypto, "wrap_with_master", wrap)
    # The operator configures the new key with the old one as previous: everything opens.
    _use(settings, NEW_MASTER_KEY, previous=str(old))
    _all_open(*sealed)
    assert startup_notice() == (
        "ombuds: 2 data keys are still wrapped by the previous master key: run `ombuds keys"
        " rewrap`, then remove OMBUDS_MASTER_KEY_PREVIOUS_FILE"
    )
    out = StringIO()
    call_command("keys", "status", stdout=out)
    assert "2 data keys are still wrapped by the previous master key" in out.getvalue()
    done = keys.keys_rewrap()
    assert (done.rewrapped, done.already) == (2, 1)
    _use(settings, NEW_MASTER_KEY)
    _all_open(*sealed)
    assert startup_notice() is None
    assert {
        crypto.master_of(bytes(w)) for w in BodyKey.objects.values_list("wrapped", flat=True)
    } == {done.master}


def test_a_new_data_key_made_during_a_rewrap_is_wrapped_by_the_configured_key(
    settings, key_files, body
):
    _use(settings, NEW_MASTER_KEY, previous=str(key_files[0]))
    crypto.seal_text("x", body.pk, CONTEXT)
    assert keys.keys_rewrap().rewrapped == 0


def test_rewrap_refuses_a_new_key_file_that_cannot_serve(tmp_path, sealed):
    bad = tmp_path / "short"
    bad.write_text("c2hvcnQ=")
    with pytest.raises(CommandError, match=f"the master key file {bad} is 5 bytes, not 32"):
        call_command("keys", "rewrap", "--new-key-file", str(bad), stdout=StringIO())
    with pytest.raises(CommandError, match="does not exist"):
        call_command("keys", "rewrap", "--new-key-file", str(tmp_path / "none"), stdout=StringIO())


def test_a_previous_master_key_file_that_cannot_be_read_is_named_at_start(
    settings, sealed, tmp_path
):
    missing = tmp_path / "old-master"
    _use(settings, TEST_MASTER_KEY, previous=str(missing))
    assert keys.master_key_mismatch() == f"ombuds: the master key file {missing} does not exist"
