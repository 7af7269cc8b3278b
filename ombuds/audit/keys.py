"""The audit chain's keys, all kept outside the database.

- The chain key: each event's link is an HMAC-SHA256 under it, so whoever can write the database but
  does not hold the key cannot recompute the hashes after an edit. It is OMBUDS_AUDIT_KEY (or
  OMBUDS_AUDIT_KEY_FILE); when that is not set it is derived (HKDF-SHA256) from the master key, or,
  where there is no master key either (development), from the SECRET_KEY, and `check --deploy` says so.
- The chain key can be rotated (`ombuds audit rotate-key`): the old key links a "key rotated" event
  naming the new key's fingerprint, and every later event is linked with the new key. Verifying
  needs every key the chain was ever linked with: the configured one and the previous ones
  (OMBUDS_AUDIT_KEY_PREVIOUS_FILES), found by fingerprint (`keyring`).
- The pseudonym key: an event names who acted by a stable pseudonymous id, an HMAC of the account or
  of the label, never by the label itself. It was derived from the first chain key and does NOT
  change when the chain key rotates (erasure must find a person's events of every epoch with one
  id): the chain head keeps it sealed by the current chain key, re-sealed at each rotation.
- The checkpoint signing key: an Ed25519 private key in a PEM file (OMBUDS_AUDIT_SIGNING_KEY_FILE,
  made by `ombuds audit keygen FILE`, which writes the public key beside it as FILE.pub).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def key_source() -> str:
    """Where the chain key comes from: "audit key", "master key" or "secret key"."""
    if settings.OMBUDS_AUDIT_KEY:
        return "audit key"
    return "master key" if getattr(settings, "OMBUDS_MASTER_KEY", "") else "secret key"


def chain_key_from(text: str, *, source: str = "audit key") -> bytes:
    """The chain key of an audit key's text, or of a master or secret key it is derived from."""
    if source == "audit key":
        return _hkdf(text.encode(), b"ombuds audit chain v2")
    return _hkdf(text.encode(), b"ombuds audit chain from the master key v2")


def chain_key() -> bytes:
    """The HMAC key of the chain's links as configured (32 bytes). Which key links the next event
    is the chain head's (`ombuds.audit.services`): this one unless a rotation is under way."""
    if settings.OMBUDS_AUDIT_KEY:
        return chain_key_from(settings.OMBUDS_AUDIT_KEY)
    root = getattr(settings, "OMBUDS_MASTER_KEY", "") or settings.SECRET_KEY
    return chain_key_from(root, source=key_source())


def _texts(setting: str) -> list[str]:
    paths = getattr(settings, setting, "") or ""
    texts = []
    for path in (p.strip() for p in paths.split(",")):
        if not path:
            continue
        try:
            texts.append(Path(path).read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError) as exc:
            raise ImproperlyConfigured(f"{setting}: cannot read {path}: {exc}") from None
    return texts


def keyring() -> dict[str, bytes]:
    """Every chain key this process holds, by fingerprint: the configured one, then the previous
    ones. Each file of OMBUDS_AUDIT_KEY_PREVIOUS_FILES (comma-separated) holds an old audit key, or
    an old master key the chain key was derived from (both readings are tried: the fingerprint
    recorded on the chain picks the right one); the old master key of a rewrap under way
    (OMBUDS_MASTER_KEY_PREVIOUS_FILE) is read the second way too."""
    current = chain_key()
    ring = {key_id(current): current}
    for text in _texts("OMBUDS_AUDIT_KEY_PREVIOUS_FILES"):
        for source in ("audit key", "master key"):
            key = chain_key_from(text, source=source)
            ring.setdefault(key_id(key), key)
    for text in _texts("OMBUDS_MASTER_KEY_PREVIOUS_FILE"):
        key = chain_key_from(text, source="master key")
        ring.setdefault(key_id(key), key)
    return ring


def pseudonym_key(chain: bytes | None = None) -> bytes:
    """The pseudonym key first derived from a chain key (the chain's first keyed epoch): kept across
    rotations, wrapped by the current chain key in the chain head (`wrap_pseudonyms`)."""
    return _hkdf(chain or chain_key(), b"ombuds audit pseudonyms v2")


def _pseudonym_wrapper(chain: bytes) -> AESGCM:
    return AESGCM(_hkdf(chain, b"ombuds audit pseudonym key wrap v1"))


def wrap_pseudonyms(pseudonyms: bytes, chain: bytes) -> str:
    """The pseudonym key sealed by a chain key, as text for the chain head."""
    nonce = os.urandom(12)
    sealed = _pseudonym_wrapper(chain).encrypt(nonce, pseudonyms, b"ombuds audit pseudonyms")
    return base64.b64encode(nonce + sealed).decode("ascii")


def unwrap_pseudonyms(text: str, chain: bytes) -> bytes | None:
    """The pseudonym key of the chain head, or None when it does not open under this key."""
    try:
        raw = base64.b64decode(text, validate=True)
        return _pseudonym_wrapper(chain).decrypt(raw[:12], raw[12:], b"ombuds audit pseudonyms")
    except (InvalidTag, ValueError, binascii.Error):
        return None


def key_id(chain: bytes | None = None) -> str:
    """A short fingerprint of the chain key, to tell "the key changed" from "the chain was altered"."""
    digest = hmac.new(chain or chain_key(), b"ombuds audit key id", hashlib.sha256)
    return digest.hexdigest()[:16]


# --- the checkpoint signing key -------------------------------------------------------------------


def keygen(path: Path) -> Path:
    """Write a new Ed25519 private key to ``path`` (mode 0600, never over an existing file) and its
    public key to ``path``.pub; returns the public key's path."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_path = path.with_name(path.name + ".pub")
    if path.exists() or public_path.exists():
        raise FileExistsError(f"{path} or {public_path} exists already; choose another name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_path.write_bytes(public_pem(private.public_key()))
    return public_path


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signing_key(path: str | Path | None = None) -> Ed25519PrivateKey:
    """The checkpoint signing key, from ``path`` or OMBUDS_AUDIT_SIGNING_KEY_FILE."""
    path = path or settings.OMBUDS_AUDIT_SIGNING_KEY_FILE
    if not path:
        raise ImproperlyConfigured(
            "OMBUDS_AUDIT_SIGNING_KEY_FILE is not set (make one with `ombuds audit keygen FILE`)"
        )
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"cannot read the audit signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{path} is not an Ed25519 private key")
    return key


def verifying_key(path: str | Path | None = None) -> Ed25519PublicKey:
    """The public key checkpoints are checked with: from ``path`` (a public or a private key PEM),
    else from the signing key in OMBUDS_AUDIT_SIGNING_KEY_FILE."""
    if not path:
        return signing_key().public_key()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"cannot read the audit public key {path}: {exc}") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        return signing_key(path).public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured(f"{path} is not an Ed25519 public key")
    return key


def public_key_id(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_pem(public)).hexdigest()[:16]


def signature_ok(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True
