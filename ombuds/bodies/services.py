"""Changes to a body: its public profile and the roles people hold on it. One call per change, each
locking what it changes, refusing a stale change, checking the values and writing its audit event
(old and new values, and who) in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django import forms
from django.db import IntegrityError, transaction

from ombuds.audit import services as audit
from ombuds.audit.services import canonical
from ombuds.bodies.models import BodyRole, Organization
from ombuds.core.changes import ChangedMeanwhile, ChangeRefused, changes_of, clean_values

__all__ = [
    "PROFILE_FIELDS",
    "ChangeRefused",
    "ChangedMeanwhile",
    "body_create",
    "body_role_grant",
    "body_role_revoke",
    "profile_clean",
    "profile_save",
    "profile_version",
]

# What staff write about their body, shown on its public pages (Markdown for the long texts).
PROFILE_FIELDS = (
    "name",
    "acronym",
    "about",
    "how_to_complain",
    "faq",
    "website",
    "contact_email",
    "time_zone",
    "languages",
)


def _rule(name: str) -> forms.Field:
    if name == "website":
        return forms.URLField(max_length=200, required=False, assume_scheme="https")
    model_field = Organization._meta.get_field(name)
    field = model_field.formfield()
    if name in ("time_zone", "languages"):
        # The model's own checks (a time zone that exists, languages Ombuds speaks) hold here too.
        field.validators = [*field.validators, *model_field.validators]
    return field


_RULES: dict[str, forms.Field] = {name: _rule(name) for name in PROFILE_FIELDS}


def profile_version(organization: Organization) -> str:
    """The version of a body's profile that a caller reads and sends back with a change: a digest
    of what the profile says, so any change to it by anyone else is seen."""
    values = {name: getattr(organization, name) for name in PROFILE_FIELDS}
    return hashlib.sha256(canonical(values).encode()).hexdigest()[:20]


def profile_clean(*, values: Mapping[str, Any]) -> dict[str, Any]:
    """The profile's values as they would be saved; raises ChangeRefused listing every problem."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not fields of a body's profile: {', '.join(sorted(unknown))}")
    cleaned, errors = clean_values(_RULES, values)
    if errors:
        raise ChangeRefused(errors)
    return cleaned


@transaction.atomic
def profile_save(
    *,
    organization: Organization,
    values: Mapping[str, Any],
    expected_version: str | None = None,
    acting_user: Any = None,
) -> Organization:
    """Change a body's public profile: only the fields in ``values`` (`PROFILE_FIELDS`) change.
    ``expected_version`` is the `profile_version` the caller read; if the profile has changed
    since, raises ChangedMeanwhile. Raises ChangeRefused listing every problem. Records one audit
    event with each changed field's old and new value; none, and no write, when nothing changes."""
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    if expected_version is not None and profile_version(locked) != expected_version:
        raise ChangedMeanwhile(
            f"{locked.short_name}'s profile was changed by someone else since you read it: "
            "reload it and make your change again"
        )
    changed = changes_of(locked, profile_clean(values=values))
    if changed:
        for name, change in changed.items():
            setattr(locked, name, change["new"])
        locked.save(update_fields=list(changed))
        audit.record(
            action="body.profile_changed",
            subject_type="organization",
            subject_id=locked.pk,
            data={"changes": changed},
            organization=locked,
            actor=acting_user,
        )
    # The caller's object shows what was saved.
    for name in PROFILE_FIELDS:
        setattr(organization, name, getattr(locked, name))
    return locked


@transaction.atomic
def body_create(
    *, slug: str, name: str, acronym: str = "", acting_user: Any = None
) -> Organization:
    """A new governing body. Raises ChangeRefused (a slug taken or reserved, a name missing)."""
    organization = Organization(slug=slug.strip(), name=name.strip(), acronym=acronym.strip())
    try:
        organization.full_clean()
    except forms.ValidationError as exc:
        raise ChangeRefused(exc.message_dict) from exc
    organization.save(force_insert=True)
    audit.record(
        action="body.created",
        subject_type="organization",
        subject_id=organization.pk,
        data={
            "slug": organization.slug,
            "name": organization.name,
            "acronym": organization.acronym,
        },
        organization=organization,
        actor=acting_user,
    )
    return organization


def _role_data(user: Any, role: str) -> dict[str, Any]:
    return {"user": user.pk, "username": user.get_username(), "role": role}


@transaction.atomic
def body_role_grant(
    *, organization: Organization, user: Any, role: str, acting_user: Any = None
) -> BodyRole:
    """Give a user a role on a body (administrator, ethics chair, committee member, investigator,
    staff). Granting a role the user holds already changes nothing and records nothing. Raises
    ChangeRefused for an unknown role or an inactive account."""
    if role not in BodyRole.Role.values:
        raise ChangeRefused(
            {"role": [f"Choose one of {', '.join(BodyRole.Role.values)}, not {role!r}."]}
        )
    if not getattr(user, "pk", None) or not user.is_active:
        raise ChangeRefused({"user": ["Choose an active account."]})
    # Lock the body: grants and revocations on one body happen one after the other.
    Organization.objects.select_for_update().get(pk=organization.pk)
    existing = BodyRole.objects.filter(organization=organization, user=user, role=role).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            granted = BodyRole.objects.create(organization=organization, user=user, role=role)
    except IntegrityError as exc:  # granted by a concurrent request
        raise ChangedMeanwhile(f"{user} was given this role meanwhile") from exc
    audit.record(
        action="body.role_granted",
        subject_type="body_role",
        subject_id=granted.pk,
        data=_role_data(user, role),
        organization=organization,
        actor=acting_user,
    )
    return granted


@transaction.atomic
def body_role_revoke(
    *, organization: Organization, user: Any, role: str, acting_user: Any = None
) -> None:
    """Take a role on a body away from a user. Raises ChangedMeanwhile when they no longer hold it
    (someone revoked it first): nothing is recorded twice."""
    Organization.objects.select_for_update().get(pk=organization.pk)
    held = (
        BodyRole.objects.select_for_update()
        .filter(organization=organization, user=user, role=role)
        .first()
    )
    if held is None:
        raise ChangedMeanwhile(
            f"{user} no longer holds the role {role} on {organization.short_name}"
        )
    pk = held.pk
    held.delete()
    audit.record(
        action="body.role_revoked",
        subject_type="body_role",
        subject_id=pk,
        data=_role_data(user, role),
        organization=organization,
        actor=acting_user,
    )
