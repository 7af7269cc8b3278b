"""Ed25519 keys as JWKs, and compact JWS with EdDSA (RFC 8037) through PyJWT. Pure Python.

Ombuds signs verifiable credentials as VC-JWT (the proof format Open Badges 3.0 allows beside Data
Integrity): the JWT's payload is the credential itself, so no JSON-LD canonicalisation, and no remote
context, is needed to sign or to verify.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM = "EdDSA"


class TokenError(ValueError):
    """A token or key that cannot be read (not a compact JWS, not JSON, not an Ed25519 key)."""


class BadSignature(ValueError):
    """The signature does not verify under the key: the token was changed, or signed by another."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError, TypeError):
        raise TokenError("not base64url") from None


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_x(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The JWK "x" of the key: its raw 32 public bytes, base64url."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64url(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_jwk(x: str, kid: str) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def public_key_from_jwk(jwk: Any) -> Ed25519PublicKey:
    """The Ed25519 public key of a JWK (refused with TokenError for any other kind)."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise TokenError("the key is not an Ed25519 JWK (kty OKP, crv Ed25519)")
    raw = b64url_decode(str(jwk.get("x", "")))
    if len(raw) != 32:
        raise TokenError("the key's x is not 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(payload: dict[str, Any], key: Ed25519PrivateKey, headers: dict[str, Any]) -> str:
    """A compact JWS of the payload (JSON), signed with EdDSA."""
    return jwt.encode(payload, key, algorithm=ALGORITHM, headers=headers)


def header(token: str) -> dict[str, Any]:
    """The JOSE header, unverified (to find which key to verify with)."""
    try:
        found = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError(f"not a compact JWS: {exc}") from None
    return found


def unverified_payload(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("a compact JWS has three parts separated by dots")
    try:
        payload = json.loads(b64url_decode(parts[1]))
    except ValueError:
        raise TokenError("the payload is not JSON") from None
    if not isinstance(payload, dict):
        raise TokenError("the payload is not a JSON object")
    return payload


def verify(token: str, key: Ed25519PublicKey) -> dict[str, Any]:
    """The payload, once its EdDSA signature verifies under `key` (BadSignature otherwise). Dates
    are the caller's to judge (validFrom, validUntil), so that an expired credential is reported
    as expired rather than as unreadable."""
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise BadSignature("the signature does not verify") from None
    except jwt.PyJWTError as exc:
        raise TokenError(f"the token cannot be read: {exc}") from None
