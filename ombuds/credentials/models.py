"""A body's signing keys and the verifiable credentials it has issued.

The private key is sealed at rest with the body's data key (`EncryptedTextField`, re-sealed by
`ombuds keys rotate`); the public key is published at the body's did.json and jwks.json for as
long as the row exists, retired or not, so credentials signed before a rotation still verify.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ombuds.bodies.models import Organization
from ombuds.core.encrypted import EncryptedTextField
from ombuds.register.models import Credential


class SigningKey(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="signing_keys"
    )
    # The JWK's "x": the raw Ed25519 public key, base64url.
    public_x = models.CharField(max_length=64)
    # The 32-byte private seed, base64url, sealed with the body's data key.
    private_seed = EncryptedTextField(key_owner="organization_id")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(retired_at__isnull=True),
                name="signing_key_one_current_per_body",
            )
        ]

    def __str__(self) -> str:
        return f"signing key {self.pk} of {self.organization}"


class IssuedCredential(models.Model):
    """A register credential issued as an Open Badges 3.0 verifiable credential: its place in the
    body's status lists (assigned once, never reused) and the latest signed copy."""

    credential = models.OneToOneField(
        Credential, on_delete=models.PROTECT, related_name="verifiable"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="issued_credentials"
    )
    # The same index in the suspension list and in the revocation list.
    status_index = models.PositiveIntegerField()
    # The id of the latest signed copy (urn:uuid:…); a re-issue (new dates) gets a new one.
    vc_id = models.UUIDField(default=uuid.uuid4)
    token = models.TextField()
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The register's dates the signed copy carries: a change makes the next download re-issue it.
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "status_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "status_index"], name="issued_credential_unique_index"
            )
        ]

    def __str__(self) -> str:
        return f"verifiable credential of {self.credential}"
