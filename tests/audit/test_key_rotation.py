"""Rotating the audit chain's key (`ombuds audit rotate-key`): the old key links a "key rotated"
event naming the new key, later events are linked with the new key, and `ombuds audit verify` checks
the whole chain across the rotation with a keyring (the configured key and
OMBUDS_AUDIT_KEY_PREVIOUS_FILES). Pseudonymous ids and checkpoints hold across it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ombuds.audit import checkpoints, keys, services
from ombuds.audit.models import ChainHead, Event
from tests.audit.conftest import AUDIT_KEY
from tests.audit.tampering import chain, owner_sql

pytestmark = pytest.mark.django_db

NEW_KEY = "the-new-audit-key-after-a-departure-0123456789"


def _audit(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", *args, stdout=out)
    except CommandError as exc:
        return 1, str(exc)
    return 0, out.getvalue().strip()


@pytest.fixture
def key_files(tmp_path):
    old, new = tmp_path / "audit-key-old", tmp_path / "audit-key-new"
    old.write_text(AUDIT_KEY + "\n")
    new.write_text(NEW_KEY + "\n")
    return old, new


def _rotated(settings, key_files, ana=None) -> None:
    """Three events, a rotation by the command, the configuration changed as it says, three more."""
    old, new = key_files
    chain(3)
    code, out = _audit("rotate-key", "--new-key-file", str(new))
    assert code == 0, out
    assert f"now linked with the audit key {keys.key_id(keys.chain_key_from(NEW_KEY))}" in out
    assert "OMBUDS_AUDIT_KEY_PREVIOUS_FILES" in out
    settings.OMBUDS_AUDIT_KEY = NEW_KEY
    settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = str(old)
    for n in range(3):
        services.record(action="case.step", subject_type="case", subject_id=n, actor=ana)


def test_events_before_and_after_a_rotation_verify(settings, key_files):
    _rotated(settings, key_files)
    rotation = Event.objects.get(action=services.ROTATED)
    old_id, new_id = keys.key_id(keys.chain_key_from(AUDIT_KEY)), keys.key_id()
    assert (rotation.seq, rotation.subject_id) == (4, f"{old_id}>{new_id}")
    assert ChainHead.objects.get().key_id == new_id
    # The rotation is linked with the old key, the event after it with the new one.
    assert rotation.hash == services.event_hash(rotation, key=keys.chain_key_from(AUDIT_KEY))
    after = Event.objects.get(seq=5)
    assert after.hash == services.event_hash(after, key=keys.chain_key())
    assert _audit("verify") == (0, "audit chain intact: 7 events")


def test_an_event_altered_before_the_rotation_is_named(settings, key_files):
    _rotated(settings, key_files)
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET action = 'case.dismissed' WHERE seq = 2")
    assert _audit("verify") == (1, "audit chain broken at event #2: it was altered")


def test_a_rotation_event_rewritten_to_name_another_key_is_found(settings, key_files):
    _rotated(settings, key_files)
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET subject_id = 'feedfeedfeedfeed>x' WHERE seq = 4")
    code, message = _audit("verify")
    assert code == 1 and message.startswith("audit chain not verified: the events from #1")


def test_verify_without_the_old_key_names_the_missing_key(settings, key_files):
    _rotated(settings, key_files)
    settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = ""
    code, message = _audit("verify")
    old_id = keys.key_id(keys.chain_key_from(AUDIT_KEY))
    assert code == 1 and "\n" not in message
    assert message.startswith(
        f"audit chain not verified: the events from #1 are linked with the audit key {old_id} (as"
        " the key rotation #4 says), which is not in the keyring"
    )


def test_verify_with_only_the_old_key_names_the_new_one(settings, key_files):
    _rotated(settings, key_files)
    settings.OMBUDS_AUDIT_KEY = AUDIT_KEY
    settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = ""
    code, message = _audit("verify")
    assert code == 1
    assert f"the audit key {keys.key_id(keys.chain_key_from(NEW_KEY))}" in message


def test_a_process_without_the_new_key_cannot_append_until_it_has_it(settings, key_files):
    _old, new = key_files
    chain(2)
    assert _audit("rotate-key", "--new-key-file", str(new))[0] == 0
    with pytest.raises(services.AuditKeyMissing, match="which this process does not hold"):
        services.record(action="case.step", subject_type="case", subject_id=1)
    assert Event.objects.count() == 3


def test_rotating_to_the_configured_key_with_the_old_one_as_previous(settings, key_files):
    old, _new = key_files
    chain(2)
    # First every process gets the new key, the old one kept as previous: they go on appending
    # with the old key (the head names it) ...
    settings.OMBUDS_AUDIT_KEY = NEW_KEY
    settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = str(old)
    services.record(action="case.step", subject_type="case", subject_id=1)
    # ... then the rotation, without a file, moves the chain to the configured key.
    assert _audit("rotate-key")[0] == 0
    services.record(action="case.step", subject_type="case", subject_id=2)
    assert services.verify() == services.Verdict(True, 5)
    assert _audit("rotate-key") == (
        1,
        f"the chain is linked with the audit key {keys.key_id()} already: give the new key with "
        "--new-key-file, or configure it first",
    )


def test_pseudonymous_ids_stay_the_same_across_a_rotation(settings, key_files, django_user_model):
    ana = django_user_model.objects.create_user("ana")
    before = services.record(action="case.step", subject_type="case", subject_id=1, actor=ana)
    _rotated(settings, key_files, ana=ana)
    after = Event.objects.get(seq=Event.objects.order_by("-seq").values("seq")[0]["seq"])
    assert after.actor_ref == before.actor_ref == services.actor_ref(user=ana)
    # The erasure finds the person's events of both epochs with one id.
    assert services.labels_purge(services.refs_of(users=[ana]), reason="erasure") == 4
    assert services.verify().ok


def test_checkpoints_keep_verifying_across_a_rotation(settings, key_files, tmp_path):
    signing = tmp_path / "signing.pem"
    keys.keygen(signing)
    settings.OMBUDS_AUDIT_SIGNING_KEY_FILE = str(signing)
    folder = tmp_path / "checkpoints"
    chain(2)
    checkpoints.write(folder)
    _rotated(settings, key_files)
    checkpoints.write(folder)
    code, out = _audit("verify", "--checkpoints", str(folder))
    assert code == 0 and out.endswith("2 checkpoints match")


def test_a_server_without_the_key_the_chain_uses_refuses_to_start_with_one_line(
    settings, key_files
):
    from ombuds.operations.startup import unservable_reason

    settings.DEBUG = True  # no collected static files needed
    _old, new = key_files
    chain(1)
    assert unservable_reason() is None
    assert _audit("rotate-key", "--new-key-file", str(new))[0] == 0
    reason = unservable_reason()
    assert reason.startswith("ombuds: the audit chain is linked with the audit key") and (
        "\n" not in reason
    )
    settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = str(new.with_name("missing"))
    assert unservable_reason().startswith("ombuds: OMBUDS_AUDIT_KEY_PREVIOUS_FILES: cannot read")
