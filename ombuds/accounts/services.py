"""Invitations: a register record's person is invited by email to open their account; the link
expires (settings.OMBUDS_INVITATION_DAYS) and works once. Accepting links the account to the record."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ombuds.accounts.models import Invitation
from ombuds.audit import services as audit
from ombuds.register.models import Person


class InvitationRefused(Exception):
    """An invitation that cannot be made or accepted; ``problems`` lists every reason, in words."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.OMBUDS_BASE_URL.rstrip("/") + reverse("accounts:accept", args=[token])


@transaction.atomic
def invitation_create(
    *, person: Person, invited_by: Any = None, email: str = "", send: bool = True
) -> tuple[Invitation, str]:
    """Invite the person to open their account; earlier unused invitations stop working. Returns
    the invitation and its secret token (in the emailed link only; never stored)."""
    email = (email or person.email).strip()
    problems = []
    if not email:
        problems.append(f"{person.full_name} has no email address in the register")
    if person.user_id:
        problems.append(f"{person.full_name} already has an account")
    if problems:
        raise InvitationRefused(problems)
    now = timezone.now()
    Invitation.objects.filter(
        person=person, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=person.organization,
        person=person,
        email=email,
        token_hash=_hash(token),
        invited_by=invited_by if getattr(invited_by, "pk", None) else None,
        expires_at=now + dt.timedelta(days=settings.OMBUDS_INVITATION_DAYS),
    )
    audit.record(
        action="account.invited",
        subject_type="person",
        subject_id=person.pk,
        organization=person.organization,
        actor=invited_by,
        data={"email": email, "expires_at": invitation.expires_at.isoformat()},
    )
    if send:
        body = person.organization
        transaction.on_commit(
            lambda: send_mail(
                f"Your {body.short_name} account on Ombuds",
                f"Dear {person.full_name},\n\n{body.name} invites you to open your account, where "
                "you see your records with the body, attest to its code of conduct, and declare "
                "conflicts of interest.\n\nOpen this link to choose your password (it works once, "
                f"until {invitation.expires_at:%-d %B %Y %H:%M} UTC):\n{invitation_url(token)}\n",
                None,
                [email],
                fail_silently=True,
            )
        )
    return invitation, token


def invitation_for(token: str) -> Invitation:
    """The live invitation this token opens, or InvitationRefused saying why not."""
    invitation = (
        Invitation.objects.select_related("person", "organization")
        .filter(token_hash=_hash(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationRefused("This invitation link is not valid. Ask the body for a new one.")
    if invitation.accepted_at:
        raise InvitationRefused(
            "This invitation link has already been used. Sign in, or reset your password."
        )
    if invitation.revoked_at:
        raise InvitationRefused("A newer invitation replaced this one: use the latest email.")
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused("This invitation link has expired. Ask the body for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, user: Any = None) -> Any:
    """Open the account (or link the signed-in ``user``'s existing account) for the invited person;
    the account. The invitation is used up."""
    invitation = invitation_for(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:  # accepted by a concurrent request a moment ago
        raise InvitationRefused("This invitation link has already been used.")
    person = Person.objects.select_for_update().get(pk=invitation.person_id)
    if person.user_id:
        raise InvitationRefused(f"{person.full_name} already has an account.")
    User = get_user_model()
    if user is None or not getattr(user, "is_authenticated", False):
        existing = User.objects.filter(username__iexact=invitation.email).first()
        if existing is not None:
            raise InvitationRefused(
                "An account with this email already exists: sign in first, then open the link."
            )
        user = User(username=invitation.email, email=invitation.email)
        user.first_name, user.last_name = person.given_name[:150], person.family_name[:150]
        try:
            validate_password(password, user)
        except ValidationError as invalid:
            raise InvitationRefused(list(invalid.messages)) from invalid
        user.set_password(password)
        user.save()
    elif Person.objects.filter(organization=person.organization, user=user).exists():
        raise InvitationRefused(
            f"Your account is already linked to a record of {person.organization.short_name}."
        )
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    audit.record(
        action="account.opened",
        subject_type="person",
        subject_id=person.pk,
        organization=person.organization,
        actor=user,
        data={"invitation": invitation.pk},
    )
    return user
