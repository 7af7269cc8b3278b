"""API tokens: made, checked and revoked here. Tokens read `omb_<prefix>_<secret>`.

A token is for one body and has a scope. A staff token (made for the body's administrators and
staff) works the register's and cases' staff API; a member token (made by a member for themselves)
works only the members' API (`ombuds.api.members`), on its owner's own records. Each endpoint asks
`token_check` for its own scope, so a token of the other scope is refused there as if unknown.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff
from ombuds.register.models import ApiToken, Person


class TokenError(Exception):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _may_hold(user: Any, organization: Organization, scope: str) -> bool:
    """Whether the user may hold (and still use) a token of this scope for the body: its staff for
    a staff token; someone with a record in its register, linked to their account, for a member
    token."""
    if not getattr(user, "is_active", False):
        return False
    if scope == ApiToken.Scope.STAFF:
        return is_body_staff(user, organization)
    if scope == ApiToken.Scope.MEMBER:
        return Person.objects.filter(organization=organization, user=user).exists()
    return False


@transaction.atomic
def token_create(
    *, user: Any, organization: Organization, name: str, scope: str = ApiToken.Scope.STAFF
) -> tuple[ApiToken, str]:
    """A new token for the user on the body; returns it with the secret, shown only now. A staff
    token needs a staff role on the body, a member token a register record of the body linked to
    the user's account."""
    if scope not in ApiToken.Scope.values:
        raise TokenError(f"no token scope {scope!r}")
    if not _may_hold(user, organization, scope):
        if scope == ApiToken.Scope.STAFF:
            raise TokenError(f"{user} has no staff role on {organization.short_name}")
        raise TokenError(f"{user} has no record in {organization.short_name}'s register")
    if not name.strip():
        raise TokenError("say what the token is for")
    if len(name.strip()) > 100:
        raise TokenError("say what the token is for in 100 characters or fewer")
    prefix = secrets.token_hex(6)
    token = f"omb_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user,
        organization=organization,
        name=name.strip(),
        prefix=prefix,
        key_hash=_hash(token),
        scope=scope,
    )
    audit.record(
        action="api_token.created",
        subject_type="api_token",
        subject_id=row.pk,
        data={"user": user.get_username(), "name": row.name, "scope": scope, "prefix": prefix},
        organization=organization,
        actor=user,
    )
    return row, token


def token_check(token: str, *, scope: str = ApiToken.Scope.STAFF) -> ApiToken | None:
    """The live token of this scope this string is, or None. Its owner must still be allowed to
    hold it: on the body's staff for a staff token, in its register for a member token."""
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
    if row.scope != scope or not _may_hold(row.user, row.organization, scope):
        return None
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row


def token_revoke(*, token: ApiToken, acting_user: Any = None) -> None:
    """Revoke a token (once: revoking it again changes nothing and records nothing)."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit.record(
                action="api_token.revoked",
                subject_type="api_token",
                subject_id=token.pk,
                data={"name": token.name, "scope": token.scope, "prefix": token.prefix},
                organization=token.organization,
                actor=acting_user,
            )
