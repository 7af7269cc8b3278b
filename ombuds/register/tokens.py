"""API tokens: made, checked and revoked here. Tokens read `omb_<prefix>_<secret>`.

A token is for one body, works one API (`ApiToken.Scope`) and expires on a date. A staff token
(made for the body's administrators and staff) works the staff API as far as its scopes allow:
`register:read`, `register:write`, `cases:read`, `cases:write`, `compliance:read`,
`compliance:write`, `disclosures:read`, `disclosures:write`, `invoices:read`, `invoices:write`,
`payments:write` (`IMPLIES`: a write scope implies the read scope of the same area; a payment
system's `payments:write` records payments and reads invoices, and `invoices:write` implies it). A
member token (scope `member`, made by a member for themselves) works only the members' API
(`ombuds.api.members`, `ombuds.api.compliance`), on its owner's own records.

Each endpoint asks `token_authenticate` for the scope it needs. A token refused says why when its
secret is right (revoked, expired, its owner no longer allowed, a scope missing); a wrong secret
gets the same answer as a token that does not exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import is_body_staff
from ombuds.register.models import ApiToken, Person

STAFF_SCOPES: tuple[str, ...] = tuple(ApiToken.StaffScope.values)
MEMBER_SCOPE = ApiToken.Scope.MEMBER.value
# A write scope implies the read scope of the same area; recording payments (what a payment
# system does) implies reading invoices, and issuing and waiving them implies recording payments.
IMPLIES = {
    ApiToken.StaffScope.REGISTER_WRITE: ApiToken.StaffScope.REGISTER_READ,
    ApiToken.StaffScope.CASES_WRITE: ApiToken.StaffScope.CASES_READ,
    ApiToken.StaffScope.COMPLIANCE_WRITE: ApiToken.StaffScope.COMPLIANCE_READ,
    ApiToken.StaffScope.DISCLOSURES_WRITE: ApiToken.StaffScope.DISCLOSURES_READ,
    ApiToken.StaffScope.INVOICES_WRITE: ApiToken.StaffScope.PAYMENTS_WRITE,
    ApiToken.StaffScope.PAYMENTS_WRITE: ApiToken.StaffScope.INVOICES_READ,
}
NO_TOKEN = "no valid token: send `Authorization: Bearer <token>` with a live token"


class TokenError(Exception):
    """A token cannot be made as asked; the message says why."""


class TokenRefused(Exception):
    """A request's token is refused: `status` 401 (no usable token) or 403 (a scope missing)."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def default_expiry() -> dt.date:
    """The day a token made today expires when nobody says otherwise."""
    days = min(settings.OMBUDS_API_TOKEN_DAYS, settings.OMBUDS_API_TOKEN_MAX_DAYS)
    return timezone.localdate() + dt.timedelta(days=days)


def latest_expiry() -> dt.date:
    """The latest expiry a token made today may have (``OMBUDS_API_TOKEN_MAX_DAYS``)."""
    return timezone.localdate() + dt.timedelta(days=settings.OMBUDS_API_TOKEN_MAX_DAYS)


def effective_scopes(scopes: Iterable[str]) -> set[str]:
    """The scopes given and those they imply, and those these imply in turn."""
    found = set(scopes)
    while more := {IMPLIES[s] for s in found if s in IMPLIES} - found:
        found |= more
    return found


def allows(token: ApiToken, scope: str) -> bool:
    """Whether the token's scopes allow this scope (ignoring its state)."""
    return scope in effective_scopes(token.scopes or [])


def is_expired(token: ApiToken, today: dt.date | None = None) -> bool:
    return (today or timezone.localdate()) >= token.expires_on


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


def _checked_scopes(kind: str, scopes: Iterable[str] | None) -> list[str]:
    """The scopes a new token gets, in their canonical order, with those implied; TokenError for an
    unknown scope, none at all, or a mix of the two APIs."""
    if kind == ApiToken.Scope.MEMBER:
        if scopes is not None and set(scopes) - {MEMBER_SCOPE}:
            raise TokenError("a member token has the one scope member")
        return [MEMBER_SCOPE]
    asked = list(STAFF_SCOPES if scopes is None else scopes)
    unknown = sorted(set(asked) - set(STAFF_SCOPES))
    if unknown:
        raise TokenError(
            f"no staff scope {', '.join(map(repr, unknown))}: choose from {', '.join(STAFF_SCOPES)}"
        )
    if not asked:
        raise TokenError("choose at least one scope: what may the token do?")
    chosen = effective_scopes(asked)
    return [s for s in STAFF_SCOPES if s in chosen]


def _checked_expiry(expires_on: dt.date | None) -> dt.date:
    if expires_on is None:
        return default_expiry()
    today, latest = timezone.localdate(), latest_expiry()
    if expires_on <= today:
        raise TokenError(f"the expiry must be after today ({today:%Y-%m-%d})")
    if expires_on > latest:
        raise TokenError(
            f"the expiry can be at most {settings.OMBUDS_API_TOKEN_MAX_DAYS} days away "
            f"({latest:%Y-%m-%d} at the latest)"
        )
    return expires_on


@transaction.atomic
def token_create(
    *,
    user: Any,
    organization: Organization,
    name: str,
    scope: str = ApiToken.Scope.STAFF,
    scopes: Iterable[str] | None = None,
    expires_on: dt.date | None = None,
    acting_user: Any = None,
    actor_label: str = "",
) -> tuple[ApiToken, str]:
    """A new token for the user on the body; returns it with the secret, shown only now.

    `scope` says which API: a staff token needs a staff role on the body, a member token a register
    record of the body linked to the user's account. `scopes` are a staff token's scopes (every
    staff scope when not given); `expires_on` defaults to ``OMBUDS_API_TOKEN_DAYS`` from today and
    may be at most ``OMBUDS_API_TOKEN_MAX_DAYS`` away. The audit event names who made it
    (`acting_user`, or `actor_label`; the user themselves when neither is given), never the secret.
    """
    if scope not in ApiToken.Scope.values:
        raise TokenError(f"no token kind {scope!r}: staff or member")
    chosen = _checked_scopes(scope, scopes)
    if not _may_hold(user, organization, scope):
        if scope == ApiToken.Scope.STAFF:
            raise TokenError(f"{user} has no staff role on {organization.short_name}")
        raise TokenError(f"{user} has no record in {organization.short_name}'s register")
    if not name.strip():
        raise TokenError("say what the token is for")
    if len(name.strip()) > 100:
        raise TokenError("say what the token is for in 100 characters or fewer")
    expiry = _checked_expiry(expires_on)
    prefix = secrets.token_hex(6)
    token = f"omb_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        user=user,
        organization=organization,
        name=name.strip(),
        prefix=prefix,
        key_hash=_hash(token),
        scope=scope,
        scopes=chosen,
        expires_on=expiry,
    )
    audit.record(
        action="api_token.created",
        subject_type="api_token",
        subject_id=row.pk,
        data={
            "user": user.get_username(),
            "name": row.name,
            "scope": scope,
            "scopes": chosen,
            "expires_on": expiry.isoformat(),
            "prefix": prefix,
        },
        organization=organization,
        actor=acting_user if acting_user is not None or actor_label else user,
        actor_label=actor_label,
    )
    return row, token


def _live_row(token: str) -> ApiToken:
    """The token row this exact string is (revoked or expired included), or TokenRefused(401) with
    the same answer for an unknown prefix as for a wrong secret."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "omb":
        raise TokenRefused(401, NO_TOKEN)
    row = ApiToken.objects.select_related("user", "organization").filter(prefix=parts[1]).first()
    if row is None or not hmac.compare_digest(row.key_hash, _hash(token)):
        raise TokenRefused(401, NO_TOKEN)
    return row


def token_authenticate(token: str, *, scope: str = ApiToken.Scope.STAFF) -> ApiToken:
    """The token this string is, if it may be used where `scope` is needed, and marks it used.

    `scope` is one staff scope (`cases:read`...), "staff" (any staff token) or "member". Raises
    TokenRefused: 401 for no such token (or a wrong secret), revoked, expired, a token of the other
    API, or an owner no longer allowed to hold it; 403 when a staff token lacks the scope.
    """
    row = _live_row(token)
    if row.revoked_at is not None:
        raise TokenRefused(401, f"this token was revoked on {row.revoked_at:%Y-%m-%d}")
    if is_expired(row):
        raise TokenRefused(401, f"this token expired on {row.expires_on:%Y-%m-%d}")
    kind = ApiToken.Scope.MEMBER if scope == MEMBER_SCOPE else ApiToken.Scope.STAFF
    if row.scope != kind:
        raise TokenRefused(401, f"this is a {row.scope} token; this endpoint needs a {kind} token")
    if not _may_hold(row.user, row.organization, kind):
        raise TokenRefused(401, "this token's owner may no longer hold it")
    if scope in STAFF_SCOPES and not allows(row, scope):
        raise TokenRefused(403, f"this token lacks the scope {scope}")
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row


def token_check(token: str, *, scope: str = ApiToken.Scope.STAFF) -> ApiToken | None:
    """`token_authenticate`, with None for a refused token."""
    try:
        return token_authenticate(token, scope=scope)
    except TokenRefused:
        return None


def token_revoke(*, token: ApiToken, acting_user: Any = None, actor_label: str = "") -> bool:
    """Revoke a token; True if it was live. Revoking it again changes nothing, records nothing."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit.record(
                action="api_token.revoked",
                subject_type="api_token",
                subject_id=token.pk,
                data={
                    "name": token.name,
                    "scope": token.scope,
                    "scopes": token.scopes,
                    "prefix": token.prefix,
                },
                organization=token.organization,
                actor=acting_user,
                actor_label=actor_label,
            )
    return bool(revoked)


def tokens_of(organization: Organization, *, kind: str | None = None):
    """The body's tokens, newest first, with their owners."""
    rows = ApiToken.objects.filter(organization=organization).select_related("user")
    if kind:
        rows = rows.filter(scope=kind)
    return rows.order_by("-created_at", "-pk")


def token_state(token: ApiToken, today: dt.date | None = None) -> str:
    """'revoked', 'expired' or 'live'."""
    if token.revoked_at is not None:
        return "revoked"
    if is_expired(token, today):
        return "expired"
    return "live"
