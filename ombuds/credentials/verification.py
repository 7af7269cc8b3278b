"""Verifying an Open Badges 3.0 credential signed as VC-JWT: whose key signed it, whether it was
changed since, whether its dates hold, and what the issuer's status lists say today. Pure Python:
the keys and a way to get a status list are given (from the database on the site, from files or
the network in `ombuds credentials verify`).

Each outcome has one exit code for the command line (documented in docs/guide-certification.md).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ombuds.credentials import jose, statuslist

VALID = "valid"
SUSPENDED = "suspended"
REVOKED = "revoked"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
NOT_ISSUED_HERE = "not_issued_by_this_body"
SIGNATURE_INVALID = "signature_invalid"
COULD_NOT_CHECK = "could_not_check"
UNREADABLE = "unreadable"

EXIT_CODES = {
    VALID: 0,
    SIGNATURE_INVALID: 3,
    NOT_ISSUED_HERE: 4,
    REVOKED: 5,
    SUSPENDED: 6,
    EXPIRED: 7,
    NOT_YET_VALID: 8,
    COULD_NOT_CHECK: 9,
    UNREADABLE: 10,
}
HEADLINES = {
    VALID: "Valid",
    SUSPENDED: "Suspended",
    REVOKED: "Revoked",
    EXPIRED: "Expired",
    NOT_YET_VALID: "Not yet valid",
    NOT_ISSUED_HERE: "Not issued by this body",
    SIGNATURE_INVALID: "Signature invalid",
    COULD_NOT_CHECK: "Could not check",
    UNREADABLE: "Not a credential this page can read",
}


class StatusListUnavailable(Exception):
    """A status list that could not be had (unreachable, not signed by the issuer, unreadable)."""


@dataclass(frozen=True)
class Keys:
    """The public keys that count as the body's, by kid (a DID URL: the DID, '#', the key's name)."""

    by_kid: dict[str, Ed25519PublicKey]

    @classmethod
    def from_document(cls, document: Any) -> Keys:
        """Keys from a JWK set ({"keys": [...]}) or a DID document (verificationMethod)."""
        found: dict[str, Ed25519PublicKey] = {}
        if isinstance(document, dict) and isinstance(document.get("keys"), list):
            for jwk in document["keys"]:
                if isinstance(jwk, dict) and jwk.get("kid"):
                    found[str(jwk["kid"])] = jose.public_key_from_jwk(jwk)
        elif isinstance(document, dict) and isinstance(document.get("verificationMethod"), list):
            did = str(document.get("id", ""))
            for method in document["verificationMethod"]:
                if not isinstance(method, dict) or "publicKeyJwk" not in method:
                    continue
                kid = str(method.get("id", ""))
                kid = f"{did}{kid}" if kid.startswith("#") else kid
                found[kid] = jose.public_key_from_jwk(method["publicKeyJwk"])
        else:
            raise jose.TokenError("not a JWK set nor a DID document")
        if not found:
            raise jose.TokenError("the document has no Ed25519 key")
        return cls(found)


@dataclass
class Result:
    outcome: str
    reason: str
    credential: dict[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        return HEADLINES[self.outcome]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    @property
    def summary(self) -> dict[str, str]:
        """What the credential says, for the page and the command (empty when unread)."""
        c = self.credential
        if not c:
            return {}
        subject = c.get("credentialSubject") or {}
        names = [
            i.get("identityHash", "")
            for i in subject.get("identifier", [])
            if isinstance(i, dict) and i.get("identityType") == "name"
        ]
        numbers = [
            i.get("identityHash", "")
            for i in subject.get("identifier", [])
            if isinstance(i, dict) and i.get("identityType") == "identifier"
        ]
        issuer = c.get("issuer") or {}
        return {
            "holder": ", ".join(map(str, names)),
            "number": ", ".join(map(str, numbers)),
            "achievement": str((subject.get("achievement") or {}).get("name", "")),
            "issuer": str(issuer.get("name", "")) if isinstance(issuer, dict) else str(issuer),
            "valid_from": str(c.get("validFrom", "")),
            "valid_until": str(c.get("validUntil", "")),
        }


def extract_token(text: str) -> str:
    """The compact JWS in what was pasted or uploaded: the token itself, or the JSON of an
    EnvelopedVerifiableCredential (VC-JOSE-COSE) carrying it as a data: URL."""
    text = text.strip().lstrip("\ufeff")
    if not text.startswith("{"):
        return text
    try:
        document = json.loads(text)
    except ValueError:
        raise jose.TokenError("the JSON cannot be read") from None
    identifier = str(document.get("id", "")) if isinstance(document, dict) else ""
    for prefix in ("data:application/vc+jwt,", "data:application/jwt,"):
        if identifier.startswith(prefix):
            return identifier[len(prefix) :]
    if isinstance(document, dict) and "proof" in document:
        raise jose.TokenError(
            "it carries a Data Integrity proof; this body signs its credentials as VC-JWT"
        )
    raise jose.TokenError(
        "it is a credential's content without its signature, so nothing proves who issued it;"
        " use the signed file (.jwt) the holder downloaded"
    )


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _signed(token: str, keys: Keys) -> tuple[dict[str, Any], str]:
    """(payload, kid) once the token's signature verifies under one of the body's keys; raises
    Result-shaped errors through _Stop."""
    header = jose.header(token)
    if header.get("alg") != jose.ALGORITHM:
        raise _Stop(SIGNATURE_INVALID, f"it is signed with {header.get('alg')!r}, not EdDSA")
    kid = str(header.get("kid", ""))
    payload = jose.unverified_payload(token)
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    key = keys.by_kid.get(kid)
    if key is None or kid.split("#")[0] != issuer_id or payload.get("iss", issuer_id) != issuer_id:
        raise _Stop(
            NOT_ISSUED_HERE,
            f"it names its issuer as {issuer_id or 'nobody'} and its key as {kid or 'none'}, "
            "which are not this body's",
        )
    try:
        return jose.verify(token, key), kid
    except jose.BadSignature:
        raise _Stop(
            SIGNATURE_INVALID,
            "its signature does not match its content under this body's key: it was changed "
            "after it was signed, or signed by someone else in this body's name",
        ) from None


class _Stop(Exception):
    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


def _status_bit(entry: dict[str, Any], keys: Keys, fetch: Callable[[str], str]) -> bool:
    url = str(entry.get("statusListCredential", ""))
    purpose = entry.get("statusPurpose")
    try:
        index = int(entry.get("statusListIndex", ""))
    except (TypeError, ValueError):
        raise StatusListUnavailable("the credential's status index is not a number") from None
    try:
        token = fetch(url).strip()
        listed, _kid = _signed(token, keys)
    except (jose.TokenError, _Stop) as exc:
        raise StatusListUnavailable(
            f"the status list at {url} is not one this body signed ({exc})"
        ) from None
    subject = listed.get("credentialSubject") or {}
    if listed.get("id") != url or subject.get("statusPurpose") != purpose:
        raise StatusListUnavailable(f"the document at {url} is not the {purpose} list")
    try:
        return statuslist.bit(statuslist.decode(subject.get("encodedList")), index)
    except statuslist.StatusListError as exc:
        raise StatusListUnavailable(f"the {purpose} list cannot be read: {exc}") from None


def verify(
    text: str, *, keys: Keys, fetch_status_list: Callable[[str], str], now: dt.datetime
) -> Result:
    """The credential's standing, with the reason in words. A revocation outweighs a suspension,
    which outweighs the dates; a status list that cannot be had makes the answer "could not check"
    unless the credential is invalid whatever the list says."""
    try:
        payload, _kid = _signed(extract_token(text), keys)
    except jose.TokenError as exc:
        return Result(UNREADABLE, f"This is not a signed credential that can be read: {exc}.")
    except _Stop as stop:
        return Result(stop.outcome, f"The credential cannot be trusted: {stop.reason}.")
    if "OpenBadgeCredential" not in (payload.get("type") or []):
        return Result(UNREADABLE, "The signed document is not an OpenBadgeCredential.", payload)
    set_bits, unavailable = set(), []
    for entry in payload.get("credentialStatus") or []:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            continue
        try:
            if _status_bit(entry, keys, fetch_status_list):
                set_bits.add(entry.get("statusPurpose"))
        except StatusListUnavailable as exc:
            unavailable.append(str(exc))
    return _judge(payload, set_bits, unavailable, now)


def _judge(payload: dict, set_bits: set, unavailable: list[str], now: dt.datetime) -> Result:
    valid_from, valid_until = (
        _parse_time(payload.get("validFrom")),
        _parse_time(payload.get("validUntil")),
    )
    if "revocation" in set_bits:
        return Result(
            REVOKED,
            "The body has revoked this credential (or the holder surrendered "
            "it): it is no longer held.",
            payload,
        )
    if "suspension" in set_bits:
        return Result(
            SUSPENDED,
            "The body's register shows this credential as suspended (or "
            "made inactive by the holder): it may not be used while that lasts.",
            payload,
        )
    if valid_until is not None and valid_until < now:
        return Result(
            EXPIRED,
            f"The credential was valid until {payload['validUntil']}; the "
            "holder may have a renewed one.",
            payload,
        )
    if valid_from is not None and valid_from > now:
        return Result(
            NOT_YET_VALID, f"The credential is valid from {payload['validFrom']}.", payload
        )
    if unavailable or not payload.get("credentialStatus"):
        why = "; ".join(unavailable) or "it names no status list"
        return Result(
            COULD_NOT_CHECK,
            "The signature is the body's and the dates hold, but "
            f"whether it was suspended or revoked could not be checked: {why}.",
            payload,
        )
    return Result(
        VALID,
        "Signed by this body, unchanged since, within its dates, and neither "
        "suspended nor revoked in the body's register today.",
        payload,
    )
