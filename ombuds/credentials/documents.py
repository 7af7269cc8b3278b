"""What Ombuds publishes and signs: a body's DID and addresses, its DID document and JWK set, an Open
Badges 3.0 credential, and a Bitstring Status List credential. Plain dicts, from plain values.

Addresses are absolute, built from OMBUDS_BASE_URL, so a credential names the same key and lists
whichever page or command made it. The body's DID is did:web: `did:web:host%3Aport:slug` resolves to
https://host:port/slug/did.json.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings

from ombuds.credentials import jose

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Statuses whose bit is set: suspension is lifted when the credential is reinstated; revocation
# (and surrender, as final) never is, since the register's lifecycle lets neither change again.
SUSPENDED = ("suspended", "inactive")
REVOKED = ("revoked", "surrendered")


def base_url() -> str:
    return settings.OMBUDS_BASE_URL.rstrip("/")


def body_did(slug: str) -> str:
    parts = urlsplit(base_url())
    host = parts.hostname or "localhost"
    if parts.port:
        host = f"{host}%3A{parts.port}"
    path = [quote(p, safe="") for p in parts.path.split("/") if p]
    return ":".join(["did:web", host, *path, slug])


def did_document_url(did: str) -> str:
    """Where a did:web DID's document is (http for a local address: no certificate there)."""
    segments = did.split(":")
    if len(segments) < 3 or segments[:2] != ["did", "web"]:
        raise ValueError(f"{did} is not a did:web DID")
    host = segments[2].replace("%3A", ":").replace("%3a", ":")
    path = "/".join(segments[3:]) or ".well-known"
    local = host.split(":")[0] in ("localhost", "127.0.0.1", "[::1]")
    return f"{'http' if local else 'https'}://{host}/{path}/did.json"


def kid(slug: str, key_pk: int) -> str:
    return f"{body_did(slug)}#key-{key_pk}"


def status_list_url(slug: str, purpose: str) -> str:
    return f"{base_url()}/{slug}/credentials/status/{purpose}"


def did_document(slug: str, keys: list[tuple[int, str]]) -> dict[str, Any]:
    """The body's DID document: every key it ever signed with, the current one first."""
    did = body_did(slug)
    methods = [
        {
            "id": kid(slug, pk),
            "type": "JsonWebKey",
            "controller": did,
            "publicKeyJwk": {
                k: v for k, v in jose.public_jwk(x, kid(slug, pk)).items() if k != "kid"
            },
        }
        for pk, x in keys
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def jwk_set(slug: str, keys: list[tuple[int, str]]) -> dict[str, Any]:
    return {"keys": [jose.public_jwk(x, kid(slug, pk)) for pk, x in keys]}


def _start(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _end(day: dt.date) -> str:
    return f"{day.isoformat()}T23:59:59Z"


def _epoch(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def open_badge(
    *,
    vc_id: str,
    slug: str,
    body_name: str,
    programme: dict[str, str],
    holder_name: str,
    number: str,
    index: int,
    valid_from: dt.date,
    valid_until: dt.date | None,
) -> dict[str, Any]:
    """The OpenBadgeCredential of one register credential, with its two status entries."""
    did = body_did(slug)
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": vc_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{programme['name']}: {holder_name}",
        "issuer": {
            "id": did,
            "type": ["Profile"],
            "name": body_name,
            "url": f"{base_url()}/{slug}/",
        },
        "validFrom": _start(valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": holder_name,
                },
                {
                    "type": "IdentityObject",
                    "identityType": "identifier",
                    "hashed": False,
                    "identityHash": number,
                },
            ],
            "achievement": {
                "id": f"{base_url()}/{slug}/credentials/programmes/{programme['code']}",
                "type": ["Achievement"],
                "achievementType": "Certification",
                "name": programme["name"],
                "humanCode": programme["abbreviation"],
                "description": f"{programme['name']}, a credential awarded by {body_name}.",
                "criteria": {
                    "narrative": f"Certified by {body_name}; the holder is bound by its code of "
                    f"conduct. The register at {base_url()}/{slug}/register/{number}/ shows the "
                    "credential's standing today."
                },
            },
        },
        "credentialStatus": [
            {
                "id": f"{status_list_url(slug, purpose)}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(index),
                "statusListCredential": status_list_url(slug, purpose),
            }
            for purpose in ("suspension", "revocation")
        ],
    }
    if valid_until is not None:
        credential["validUntil"] = _end(valid_until)
    return credential


def status_list(slug: str, purpose: str, encoded: str) -> dict[str, Any]:
    url = status_list_url(slug, purpose)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": body_did(slug),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The credential as a VC-JWT payload (Open Badges 3.0, 8.2): its own members, and the JWT's
    registered claims that mirror them."""
    issuer = credential["issuer"]
    claims = dict(credential)
    claims["iss"] = issuer["id"] if isinstance(issuer, dict) else issuer
    claims["jti"] = credential["id"]
    if "validFrom" in credential:
        claims["nbf"] = _epoch(credential["validFrom"])
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    return claims
