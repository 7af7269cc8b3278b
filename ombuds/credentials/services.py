"""Every change of this app: a body's signing key made or rotated, a credential issued (or issued
again with new dates) as a verifiable credential; and the signed status lists, read from the
register as it stands. Each change locks its row and writes its audit event in its transaction.

The status lists are computed from the register's statuses when asked for, so a suspension,
reinstatement or revocation made through the register's own services is in the lists the moment
its transaction commits: there is no second copy to update.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.credentials import documents, jose, statuslist
from ombuds.credentials.models import IssuedCredential, SigningKey
from ombuds.register.models import Credential


class IssueRefused(Exception):
    """A credential that cannot be issued as a verifiable credential, with the reason."""


# --- keys ----------------------------------------------------------------------------------------


def _key_create(organization: Organization) -> SigningKey:
    private = jose.new_private_key()
    seed = private.private_bytes_raw()
    return SigningKey.objects.create(
        organization=organization,
        public_x=jose.public_x(private),
        private_seed=jose.b64url(seed),
    )


def signing_key_current(organization: Organization) -> SigningKey:
    """The body's current signing key, made (and recorded) the first time it is needed."""
    found = SigningKey.objects.filter(organization=organization, retired_at__isnull=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        found = SigningKey.objects.filter(
            organization=organization, retired_at__isnull=True
        ).first()
        if found is None:
            found = _key_create(organization)
            audit.record(
                action="credentials.key_created",
                subject_type="signing_key",
                subject_id=found.pk,
                data={"kid": documents.kid(organization.slug, found.pk)},
                organization=organization,
            )
        return found


def signing_key_rotate(*, organization: Organization, acting_user: Any = None) -> SigningKey:
    """A new current key; the old one is retired but stays published, so what it signed verifies."""
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        old = list(SigningKey.objects.filter(organization=organization, retired_at__isnull=True))
        SigningKey.objects.filter(pk__in=[k.pk for k in old]).update(retired_at=timezone.now())
        new = _key_create(organization)
        audit.record(
            action="credentials.key_rotated",
            subject_type="signing_key",
            subject_id=new.pk,
            data={"retired": [k.pk for k in old]},
            organization=organization,
            actor=acting_user,
        )
        return new


def published_keys(organization: Organization) -> list[tuple[int, str]]:
    """(id, x) of every key the body has signed with, the current one first."""
    keys = SigningKey.objects.filter(organization=organization).order_by("-pk")
    return [(k.pk, k.public_x) for k in keys]


def _sign(key: SigningKey, claims: dict[str, Any]) -> str:
    private = jose.private_key_from_seed(jose.b64url_decode(key.private_seed))
    slug = key.organization.slug
    headers = {
        "typ": "JWT",
        "kid": documents.kid(slug, key.pk),
        "jwk": {k: v for k, v in jose.public_jwk(key.public_x, "").items() if k != "kid"},
    }
    return jose.sign(claims, private, headers)


# --- issuing -------------------------------------------------------------------------------------


def _free_index(organization: Organization) -> int:
    """A random index not yet used in the body's lists: neighbours in the list tell nothing of
    who was certified when. Called under the body's row lock."""
    used = set(
        IssuedCredential.objects.filter(organization=organization).values_list(
            "status_index", flat=True
        )
    )
    if len(used) >= statuslist.MIN_BITS:
        raise IssueRefused(
            f"the body's status lists are full ({statuslist.MIN_BITS} credentials issued)"
        )
    for _ in range(64):
        index = secrets.randbelow(statuslist.MIN_BITS)
        if index not in used:
            return index
    return min(set(range(statuslist.MIN_BITS)) - used)


def _refusal(credential: Credential) -> str | None:
    today = timezone.localdate()
    if credential.status != Credential.Status.ACTIVE:
        return f"the credential is {credential.get_status_display().lower()}, not active"
    if credential.issued_on is None:
        return "the credential has no issue date"
    if credential.expires_on is not None and credential.expires_on < today:
        return "the credential's expiry date has passed"
    return None


def credential_vc_issue(*, credential: Credential, acting_user: Any = None) -> IssuedCredential:
    """The credential's verifiable credential: signed now, or the one already signed while its dates
    and key are unchanged. Its status index is assigned on the first issue and kept for good.
    Raises IssueRefused for a credential that is not active."""
    with transaction.atomic():
        credential = (
            Credential.objects.select_for_update()
            .select_related("program__organization", "holder")
            .get(pk=credential.pk)
        )
        reason = _refusal(credential)
        if reason:
            raise IssueRefused(f"{credential.number} cannot be issued: {reason}")
        organization = credential.program.organization
        key = signing_key_current(organization)
        issued = IssuedCredential.objects.filter(credential=credential).first()
        if (
            issued is not None
            and issued.valid_from == credential.issued_on
            and issued.valid_until == credential.expires_on
            and issued.signing_key_id == key.pk
        ):
            return issued
        if issued is None:
            Organization.objects.select_for_update().filter(pk=organization.pk).first()
            issued = IssuedCredential(
                credential=credential,
                organization=organization,
                status_index=_free_index(organization),
            )
        issued.vc_id = uuid.uuid4()
        issued.valid_from, issued.valid_until = credential.issued_on, credential.expires_on
        issued.signing_key, issued.issued_at = key, timezone.now()
        issued.issued_by = acting_user if getattr(acting_user, "pk", None) else None
        issued.token = _sign(key, documents.jwt_claims(_open_badge(credential, issued)))
        issued.save()
        audit.record(
            action="credentials.issued",
            subject_type="credential",
            subject_id=credential.pk,
            data={
                "vc_id": f"urn:uuid:{issued.vc_id}",
                "status_index": issued.status_index,
                "kid": documents.kid(organization.slug, key.pk),
            },
            organization=organization,
            actor=acting_user,
        )
        return issued


def _open_badge(credential: Credential, issued: IssuedCredential) -> dict[str, Any]:
    program, organization = credential.program, credential.program.organization
    return documents.open_badge(
        vc_id=f"urn:uuid:{issued.vc_id}",
        slug=organization.slug,
        body_name=organization.name,
        programme={
            "code": program.code,
            "name": program.name,
            "abbreviation": program.abbreviation,
        },
        holder_name=credential.holder.full_name,
        number=credential.number,
        index=issued.status_index,
        valid_from=issued.valid_from,
        valid_until=issued.valid_until,
    )


@dataclass
class BulkIssue:
    issued: int = 0
    unchanged: int = 0
    refused: int = 0


def credentials_vc_issue_all(*, organization: Organization, acting_user: Any = None) -> BulkIssue:
    """Issue every active credential of the body that has no current verifiable credential (each in
    its own transaction: one refused credential leaves the others issued)."""
    report = BulkIssue()
    ids = Credential.objects.filter(
        program__organization=organization, status=Credential.Status.ACTIVE
    ).values_list("pk", "verifiable__issued_at")
    for pk, before in ids.order_by("pk"):
        try:
            issued = credential_vc_issue(credential=Credential(pk=pk), acting_user=acting_user)
        except IssueRefused:
            report.refused += 1
            continue
        if before is not None and issued.issued_at == before:
            report.unchanged += 1
        else:
            report.issued += 1
    return report


# --- status lists --------------------------------------------------------------------------------


def status_bits(organization: Organization, purpose: str) -> set[int]:
    statuses = documents.SUSPENDED if purpose == "suspension" else documents.REVOKED
    return set(
        IssuedCredential.objects.filter(
            organization=organization, credential__status__in=statuses
        ).values_list("status_index", flat=True)
    )


def status_list_token(organization: Organization, purpose: str) -> str:
    """The body's signed BitstringStatusListCredential for the purpose, as the register is now."""
    if purpose not in statuslist.PURPOSES:
        raise ValueError(f"no status list for {purpose!r}")
    encoded = statuslist.encode(status_bits(organization, purpose))
    document = documents.status_list(organization.slug, purpose, encoded)
    return _sign(signing_key_current(organization), documents.jwt_claims(document))
