"""API tokens for staff: made, checked and revoked here. Tokens read `omb_<prefix>_<secret>`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.register.models import ApiToken, Organization
from ombuds.register.selectors import is_body_staff


class TokenError(Exception):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: Any, organization: Organization, name: str) -> tuple[ApiToken, str]:
    """A new token for a member of the body's staff; returns it with the secret, shown only now."""
    if not is_body_staff(user, organization):
        raise TokenError(f"{user} has no staff role on {organization.short_name}")
    if not name.strip():
        raise TokenError("say what the token is for")
    prefix = secrets.token_hex(6)
    token = f"omb_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user,
        organization=organization,
        name=name.strip(),
        prefix=prefix,
        key_hash=_hash(token),
    )
    return row, token


def token_check(token: str) -> ApiToken | None:
    """The live token this string is, or None. Its owner must still be on the body's staff."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "omb":
        return None
    row = (
        ApiToken.objects.select_related("user", "organization")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if row is None or not hmac.compare_digest(row.key_hash, _hash(token)):
        return None
    if not row.user.is_active or not is_body_staff(row.user, row.organization):
        return None
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
