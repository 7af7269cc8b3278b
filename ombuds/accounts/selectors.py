"""Reads about members' accounts: a register record's account or invitation, and what the account
page lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from ombuds.accounts.models import Invitation
from ombuds.bodies.models import Organization
from ombuds.register.models import Person


@dataclass(frozen=True)
class PersonAccount:
    """Where a register record stands with its account, for the body's staff.

    ``state``: "open" (the person has an account), "invited" (a live invitation), "lapsed" (the
    latest invitation expired or was withdrawn) or "none" (never invited)."""

    state: str
    invitation: Invitation | None
    username: str
    email: str

    @property
    def can_invite(self) -> bool:
        return self.state != "open" and bool(self.email)

    @property
    def days(self) -> int:
        """How many days an invitation's link works."""
        return settings.OMBUDS_INVITATION_DAYS


_INVITATION_FIELDS = ("pk", "email", "created_at", "expires_at", "accepted_at", "revoked_at")


def with_account(people: QuerySet[Person]) -> QuerySet[Person]:
    """The people with their account and their latest invitation in the same query, for
    `person_account` (a page that shows it then runs no query more)."""
    latest = Invitation.objects.filter(person=OuterRef("pk")).order_by("-created_at", "-pk")
    return people.select_related("user").annotate(
        **{f"_invitation_{name}": Subquery(latest.values(name)[:1]) for name in _INVITATION_FIELDS}
    )


def _latest_invitation(person: Person) -> Invitation | None:
    if not hasattr(person, "_invitation_pk"):
        return person.invitations.order_by("-created_at", "-pk").first()
    if person._invitation_pk is None:
        return None
    fields = {name: getattr(person, f"_invitation_{name}") for name in _INVITATION_FIELDS}
    return Invitation(person=person, organization_id=person.organization_id, **fields)


def person_account(person: Person) -> PersonAccount:
    """Where the person stands with their account (`with_account` saves its queries)."""
    invitation = _latest_invitation(person)
    if person.user_id:
        state = "open"
    elif invitation is None:
        state = "none"
    elif (
        invitation.accepted_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > timezone.now()
    ):
        state = "invited"
    else:
        state = "lapsed"
    username = person.user.get_username() if person.user_id else ""
    return PersonAccount(state, invitation, username, person.email)


def people_to_invite(organization: Organization) -> QuerySet[Person]:
    """The body's people with an email address, no account and no live invitation."""
    live = Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).values("person_id")
    return (
        Person.objects.filter(organization=organization, user__isnull=True)
        .exclude(email="")
        .exclude(pk__in=live)
        .order_by("pk")
    )


def person_find(organization: Organization, ref: str) -> Person:
    """A person of the body by ``ombuds:N`` (Ombuds' own identifier), an email address or the
    body's own identifier. Person.DoesNotExist, or ValueError when an email matches several."""
    ref = ref.strip()
    people = Person.objects.filter(organization=organization)
    if ref.startswith("ombuds:") and ref[7:].isdigit():
        return people.get(pk=int(ref[7:]))
    if "@" in ref:
        matches = list(people.filter(email__iexact=ref)[:2])
        if len(matches) > 1:
            raise ValueError(f"several people of {organization.short_name} have the email {ref}")
        if not matches:
            raise Person.DoesNotExist
        return matches[0]
    if not ref:
        raise Person.DoesNotExist
    return people.get(external_id=ref)


def account_of(username: str) -> Any:
    """The account with this username, or the user model's DoesNotExist."""
    return get_user_model().objects.get(username=username.strip())
