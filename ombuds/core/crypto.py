"""Envelope encryption of personal content at rest (AES-256-GCM, `cryptography`).

A master key (32 bytes, base64, from OMBUDS_MASTER_KEY or the file OMBUDS_MASTER_KEY_FILE; without
either, one generated into the data directory like the secret key) wraps each body's data keys; a data
key encrypts column values and wraps each stored file's own key. Everything sealed carries a header
(format version, the id of the data key, the nonce), so a value sealed before a key rotation still
finds its key afterwards, and associated data binding it to where it belongs (a table and column, a
file's name), so a value copied into another column or file does not decrypt.

The data keys live in the bodies app (`ombuds.bodies.keys`), above this one: it registers itself as
the keyring when it starts, and the fields and the storage (`ombuds.core.encrypted`) call it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import struct
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

KEY_BYTES = 32
NONCE_BYTES = 12
VERSION = 1
# version (1 byte), key id (4 bytes, big-endian), nonce (12 bytes)
HEADER = struct.Struct(">BI12s")
# A column's sealed value, as text: this prefix, then the sealed bytes in URL-safe base64.
TEXT_PREFIX = "enc1:"
# Exit status a WSGI server reads as "cannot boot" (as ombuds.operations.startup uses).
BOOT_ERROR = 3


class CryptoError(Exception):
    """A key cannot be had or a sealed value cannot be opened, with the reason in one line."""


class KeyUnavailable(CryptoError):
    pass


class DecryptionFailed(CryptoError):
    pass


# -- the master key -----------------------------------------------------------------------------


def _decode_key(text: str, where: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise KeyUnavailable(f"{where} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyUnavailable(f"{where} is {len(raw)} bytes, not {KEY_BYTES}")
    return raw


def new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def generated_key_path() -> Path:
    return Path(settings.DATA_DIR) / "master_key"


def _generated_key() -> str:
    """The data directory's own master key, made once (0600, O_EXCL: of several processes starting
    at once exactly one writes it)."""
    path = generated_key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(new_key_text() + "\n")
    for _attempt in range(50):  # another process may be writing it this very moment
        text = _read_key_file(path)
        if text:
            return text
        time.sleep(0.02)
    raise KeyUnavailable(f"{path} is empty; delete it only if nothing was ever encrypted with it")


def _read_key_file(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyUnavailable(f"the master key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyUnavailable(f"the master key file {path} cannot be read: {exc}") from None


_master_cache: dict[tuple, bytes] = {}


def master_key() -> bytes:
    """The master key, from the setting, the file named, or the data directory; KeyUnavailable
    with the reason when it cannot be had."""
    value = getattr(settings, "OMBUDS_MASTER_KEY", "") or ""
    file = getattr(settings, "OMBUDS_MASTER_KEY_FILE", "") or ""
    source = (value, file, str(settings.DATA_DIR))
    cached = _master_cache.get(source)
    if cached is not None:
        return cached
    if file:  # settings read it too (OMBUDS_MASTER_KEY is its content); read here to name a fault
        key = _decode_key(_read_key_file(Path(file)), f"the master key file {file}")
    elif value:
        key = _decode_key(value, "OMBUDS_MASTER_KEY")
    else:
        key = _decode_key(_generated_key(), str(generated_key_path()))
    _master_cache.clear()
    _master_cache[source] = key
    return key


def master_fingerprint(key: bytes) -> str:
    """A short public name of a master key (16 hex digits): which key wraps a data key, without
    revealing the key."""
    return hmac.digest(key, b"ombuds master key id", "sha256").hex()[:16]


def read_master_key_file(path: str | Path) -> bytes:
    """A master key from a file (as OMBUDS_MASTER_KEY_FILE holds one); KeyUnavailable with why."""
    return _decode_key(_read_key_file(Path(path)), f"the master key file {path}")


def previous_master_keys() -> list[bytes]:
    """The keys of OMBUDS_MASTER_KEY_PREVIOUS_FILE (one path, or several separated by commas): keys
    being replaced, which still open the data keys not yet re-wrapped (`ombuds keys rewrap`)."""
    paths = getattr(settings, "OMBUDS_MASTER_KEY_PREVIOUS_FILE", "") or ""
    return [read_master_key_file(path.strip()) for path in paths.split(",") if path.strip()]


def master_keys() -> dict[str, bytes]:
    """Every master key this process holds, by fingerprint: the configured one first, then the
    previous ones."""
    ring = {master_fingerprint(master_key()): master_key()}
    for key in previous_master_keys():
        ring.setdefault(master_fingerprint(key), key)
    return ring


def decode_master_key(text: str, where: str = "the new master key") -> bytes:
    return _decode_key(text, where)


def configured_master_key_text() -> str:
    """The configured master key as text (what the audit key is derived from when it has none)."""
    master_key()
    file = getattr(settings, "OMBUDS_MASTER_KEY_FILE", "") or ""
    if file:
        return _read_key_file(Path(file))
    value = getattr(settings, "OMBUDS_MASTER_KEY", "") or ""
    return value.strip() if value else _generated_key()


def master_key_is_generated() -> bool:
    return not (
        getattr(settings, "OMBUDS_MASTER_KEY", "")
        or getattr(settings, "OMBUDS_MASTER_KEY_FILE", "")
    )


def refuse_without_master_key() -> None:
    """Stop the process with a one-line reason when the master key cannot be had: nothing sealed
    could be read or written."""
    try:
        master_key()
    except KeyUnavailable as exc:
        print(
            f"ombuds: {exc}: the master key is needed to read and write encrypted data",
            file=sys.stderr,
            flush=True,
        )
        raise SystemExit(BOOT_ERROR) from None


# -- sealing ------------------------------------------------------------------------------------


def seal(plaintext: bytes, key: bytes, key_id: int, context: bytes) -> bytes:
    """The plaintext encrypted with `key`, behind its header; `context` (where the value belongs)
    is authenticated with the header, not stored."""
    header = HEADER.pack(VERSION, key_id, os.urandom(NONCE_BYTES))
    return header + AESGCM(key).encrypt(header[-NONCE_BYTES:], plaintext, header + context)


def sealed_key_id(blob: bytes) -> int:
    """The id of the data key a sealed value needs."""
    if len(blob) < HEADER.size + 16:
        raise DecryptionFailed("the value is too short to be sealed")
    version, key_id, _nonce = HEADER.unpack_from(blob)
    if version != VERSION:
        raise DecryptionFailed(f"unknown format version {version}")
    return key_id


def unseal(blob: bytes, key: bytes, context: bytes) -> bytes:
    sealed_key_id(blob)
    header = blob[: HEADER.size]
    try:
        return AESGCM(key).decrypt(header[-NONCE_BYTES:], blob[HEADER.size :], header + context)
    except InvalidTag:
        raise DecryptionFailed("the value does not decrypt: wrong key, place or tampered") from None


def wrap_key(data_key: bytes, wrapping_key: bytes, context: bytes) -> bytes:
    """A key encrypted under another (nonce first), bound to `context`."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(wrapping_key).encrypt(nonce, data_key, context)


def unwrap_key(wrapped: bytes, wrapping_key: bytes, context: bytes) -> bytes:
    try:
        return AESGCM(wrapping_key).decrypt(
            bytes(wrapped[:NONCE_BYTES]), bytes(wrapped[NONCE_BYTES:]), context
        )
    except InvalidTag:
        raise KeyUnavailable(
            "a data key does not unwrap: the master key is not the one it was wrapped with"
        ) from None


# A data key wrapped by a master key: this marker, the master key's fingerprint (8 bytes), then
# wrap_key's nonce and ciphertext. Rows wrapped before fingerprints were recorded are the bare 60
# bytes of wrap_key; they are told apart by their length.
MASTER_WRAP = b"OMK\x02"
_FINGERPRINT_BYTES = 8
_BARE_WRAP = NONCE_BYTES + KEY_BYTES + 16


def wrap_with_master(data_key: bytes, context: bytes, master: bytes | None = None) -> bytes:
    """A data key wrapped by the master key (the configured one unless `master` is given), with
    that key's fingerprint in front, so a re-wrap knows what it has done already."""
    master = master if master is not None else master_key()
    fingerprint = bytes.fromhex(master_fingerprint(master))
    return MASTER_WRAP + fingerprint + wrap_key(data_key, master, context)


def master_of(wrapped: bytes) -> str | None:
    """The fingerprint of the master key that wraps this data key; None for a row wrapped before
    fingerprints were recorded."""
    wrapped = bytes(wrapped)
    if len(wrapped) == _BARE_WRAP:
        return None
    if not wrapped.startswith(MASTER_WRAP):
        raise KeyUnavailable("a wrapped data key is in no format this version knows")
    return wrapped[len(MASTER_WRAP) : len(MASTER_WRAP) + _FINGERPRINT_BYTES].hex()


def unwrap_with_master(
    wrapped: bytes, context: bytes, ring: dict[str, bytes] | None = None
) -> tuple[bytes, str]:
    """The data key and the fingerprint of the master key that opened it, trying the keys of
    `ring` (default: every master key this process holds)."""
    wrapped = bytes(wrapped)
    ring = ring if ring is not None else master_keys()
    fingerprint = master_of(wrapped)
    if fingerprint is not None:
        if fingerprint not in ring:
            raise KeyUnavailable(
                f"a data key is wrapped by master key {fingerprint}, which is not configured"
                " (OMBUDS_MASTER_KEY_FILE, or OMBUDS_MASTER_KEY_PREVIOUS_FILE during a rewrap)"
            )
        body = wrapped[len(MASTER_WRAP) + _FINGERPRINT_BYTES :]
        return unwrap_key(body, ring[fingerprint], context), fingerprint
    for fingerprint, master in ring.items():
        try:
            return unwrap_key(wrapped, master, context), fingerprint
        except KeyUnavailable:
            continue
    raise KeyUnavailable(
        "a data key does not unwrap: the master key is not the one it was wrapped with"
    )


def text_encode(blob: bytes) -> str:
    return TEXT_PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


def text_decode(text: str) -> bytes | None:
    """The sealed bytes of a column's text, or None when the text is not sealed (a value written
    before encryption, not yet migrated)."""
    if not text.startswith(TEXT_PREFIX):
        return None
    try:
        return base64.urlsafe_b64decode(text[len(TEXT_PREFIX) :].encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise DecryptionFailed("the value is not valid sealed text") from None


# -- the keyring the bodies app provides ----------------------------------------------------------


class Keyring(Protocol):
    def current(self, owner: int | None) -> tuple[int, bytes]:
        """The id and key of the body's current data key (None: the deployment's own)."""

    def key(self, key_id: int) -> bytes:
        """A data key by id, current or retired (unwrapped once per process)."""

    def forget(self, key_id: int | None = None) -> None:
        """Read a key again from its row next time (all keys when None)."""

    def owner_of_file(self, name: str) -> int | None:
        """The body whose key wraps a stored file's key (None: the deployment's own)."""

    def file_key_keep(self, name: str, owner: int | None, key: bytes) -> None:
        """Keep the key of the file stored as `name`, wrapped by the body's current data key."""

    def file_key(self, name: str) -> bytes | None:
        """The file's key, or None when the file has none (stored before encryption)."""

    def file_key_destroy(self, name: str) -> bool:
        """Forget the file's key: what is left of the file can no longer be read."""


_keyring: Keyring | None = None


def register_keyring(keyring: Keyring) -> None:
    global _keyring
    _keyring = keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise KeyUnavailable("no keyring is registered (ombuds.bodies is not installed)")
    return _keyring


def encryption_enabled() -> bool:
    """False only where a benchmark turns the fields' encryption off to measure what it costs."""
    return getattr(settings, "OMBUDS_ENCRYPT_FIELDS", True)


@dataclass
class HeldKeys:
    """The current data keys read in one transaction (`current_keys_held`): by owner, and the ids
    of those made inside it, which are never held."""

    current: dict[int | None, tuple[int, bytes]] = field(default_factory=dict)
    made: set[int] = field(default_factory=set)


_held: ContextVar[HeldKeys | None] = ContextVar("ombuds_current_keys_held", default=None)


@contextmanager
def current_keys_held() -> Iterator[None]:
    """Inside one transaction (entered inside its ``atomic`` block, left before it ends): each
    body's current data key read from its row once, not once for each value sealed (a filing seals
    eight). Nothing outlives the block, so nothing is held across transactions or requests. A key
    made inside the block is not held (a savepoint rolled back could take its row away). A rotation
    committed meanwhile is seen by the next transaction: the values sealed until then are under the
    key that was current when the transaction read it, as those of a save that read it just before
    the rotation (`ombuds.bodies.keys.GRACE` keeps it, and the rotation's next run re-seals them)."""
    if _held.get() is not None:
        yield
        return
    token = _held.set(HeldKeys())
    try:
        yield
    finally:
        _held.reset(token)


def held_keys() -> HeldKeys | None:
    """The current keys held by the enclosing `current_keys_held` block, if any."""
    return _held.get()


def seal_text(text: str, owner: int | None, context: str) -> str:
    key_id, key = keyring().current(owner)
    return text_encode(seal(text.encode("utf-8"), key, key_id, context.encode("utf-8")))


_URLSAFE = bytes.maketrans(b"-_", b"+/")


def text_opener(context: str) -> Callable[[str], str]:
    """`open_text` for many values of one column: each data key's cipher is set up once, so a pass
    over a million values pays the decryption alone (the audit chain's `verify`)."""
    ring, aad, ciphers = keyring(), context.encode("utf-8"), {}

    def opened(text: str) -> str:
        if not text.startswith(TEXT_PREFIX):
            return text
        try:  # text_decode's reading, without its copies
            blob = binascii.a2b_base64(text[len(TEXT_PREFIX) :].encode("ascii").translate(_URLSAFE))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise DecryptionFailed("the value is not valid sealed text") from None
        key_id = sealed_key_id(blob)
        cipher = ciphers.get(key_id)
        if cipher is None:
            cipher = ciphers[key_id] = AESGCM(ring.key(key_id))
        header = blob[: HEADER.size]
        try:
            plain = cipher.decrypt(header[-NONCE_BYTES:], blob[HEADER.size :], header + aad)
        except InvalidTag:
            ciphers.pop(key_id, None)
            return open_text(text, context)  # a key since re-read: the slow path decides
        return plain.decode("utf-8")

    return opened


def open_text(text: str, context: str) -> str:
    """A column's plaintext: sealed values opened with the key their header names; text not sealed
    (written before encryption) as it is."""
    blob = text_decode(text)
    if blob is None:
        return text
    ring, key_id = keyring(), sealed_key_id(blob)
    try:
        return unseal(blob, ring.key(key_id), context.encode("utf-8")).decode("utf-8")
    except DecryptionFailed:
        ring.forget(key_id)  # a key kept from a row since rolled back: read it again, once
        return unseal(blob, ring.key(key_id), context.encode("utf-8")).decode("utf-8")


def destroy_file_key(name: str) -> bool:
    """Crypto-shredding: forget the key of the file stored as `name`, so neither the file nor any
    copy of it (a backup of the storage, a disk image) can be read again. True if it had one."""
    return keyring().file_key_destroy(name)
