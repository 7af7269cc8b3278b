"""The envelope encryption's pieces (ombuds.core.crypto, ombuds.core.encrypted) and the refusal to
start without a usable master key."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ombuds.core import crypto
from ombuds.core.encrypted import CHUNK, decrypt_file, encrypt_file

KEY = bytes(range(32))


def test_a_sealed_value_opens_only_with_its_key_and_its_place():
    blob = crypto.seal(b"Pat Complainant", KEY, 7, b"cases_case.complainant_name")
    assert b"Complainant" not in blob  # (a shorter piece could be in the random nonce by chance)
    assert crypto.sealed_key_id(blob) == 7
    assert crypto.unseal(blob, KEY, b"cases_case.complainant_name") == b"Pat Complainant"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(blob, KEY, b"cases_case.what_happened")
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(blob, bytes(32), b"cases_case.complainant_name")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(crypto.DecryptionFailed):
        crypto.unseal(tampered, KEY, b"cases_case.complainant_name")


def test_the_same_value_seals_differently_each_time():
    assert crypto.seal(b"x", KEY, 1, b"c") != crypto.seal(b"x", KEY, 1, b"c")


def test_a_wrapped_key_needs_the_master_key_and_its_owner():
    wrapped = crypto.wrap_key(b"k" * 32, KEY, b"body:1")
    assert crypto.unwrap_key(wrapped, KEY, b"body:1") == b"k" * 32
    with pytest.raises(crypto.KeyUnavailable):
        crypto.unwrap_key(wrapped, KEY, b"body:2")


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_a_file_round_trips_in_chunks_and_a_truncated_one_does_not_open(size):
    data = os.urandom(size)
    blob = encrypt_file(data, KEY)
    assert decrypt_file(blob, KEY, "f") == data
    if size > CHUNK:
        with pytest.raises(crypto.DecryptionFailed, match="truncated"):
            decrypt_file(blob[: -(len(blob) % (CHUNK + 16)) or -(CHUNK + 16)], KEY, "f")


def test_the_master_key_comes_from_the_setting_or_its_file(settings, tmp_path):
    text = base64.urlsafe_b64encode(KEY).decode()
    settings.OMBUDS_MASTER_KEY, settings.OMBUDS_MASTER_KEY_FILE = text, ""
    assert crypto.master_key() == KEY
    (tmp_path / "mk").write_text(text + "\n")
    settings.OMBUDS_MASTER_KEY, settings.OMBUDS_MASTER_KEY_FILE = "", str(tmp_path / "mk")
    assert crypto.master_key() == KEY


def test_without_a_key_one_is_generated_into_the_data_dir_readable_by_its_owner_only(settings):
    settings.OMBUDS_MASTER_KEY = settings.OMBUDS_MASTER_KEY_FILE = ""
    first = crypto.master_key()
    path = Path(settings.DATA_DIR) / "master_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    crypto._master_cache.clear()
    assert crypto.master_key() == first and len(first) == 32


@pytest.mark.parametrize(
    "value, file, reason",
    [
        ("not base64!", "", "OMBUDS_MASTER_KEY is not base64"),
        (base64.urlsafe_b64encode(b"short").decode(), "", "is 5 bytes, not 32"),
        ("", "/nonexistent/master_key", "does not exist"),
    ],
)
def test_an_unusable_key_is_refused_with_its_reason(settings, value, file, reason):
    settings.OMBUDS_MASTER_KEY, settings.OMBUDS_MASTER_KEY_FILE = value, file
    with pytest.raises(crypto.KeyUnavailable, match=reason):
        crypto.master_key()


@pytest.mark.parametrize(
    "env, reason",
    [
        ({"OMBUDS_MASTER_KEY": "c2hvcnQ="}, "OMBUDS_MASTER_KEY is 5 bytes, not 32"),
        ({"OMBUDS_MASTER_KEY_FILE": "/nonexistent/mk"}, "/nonexistent/mk does not exist"),
    ],
)
def test_a_process_without_a_usable_key_stops_at_start_with_one_line(tmp_path, env, reason):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OMBUDS_MASTER_KEY")}
    environ.update(env, OMBUDS_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="ombuds.settings")
    done = subprocess.run(
        [sys.executable, "-m", "ombuds.cli", "check"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == crypto.BOOT_ERROR
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and lines[0].startswith("ombuds: ")
