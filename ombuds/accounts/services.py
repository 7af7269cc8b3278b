"""Members' accounts: every change to one goes through here, and each writes its audit event.

Invitations: a register record's person is invited by email to open their account; the link expires
(settings.OMBUDS_INVITATION_DAYS) and works once. Accepting links the account to the record.

The second factor: an authenticator app (TOTP) with ten recovery codes, set up, checked (wrong,
replayed and throttled codes each refused in words), regenerated and removed. Signing out
everywhere, and what follows a password change or reset.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombuds.accounts.models import Invitation
from ombuds.accounts.policy import needs_second_factor
from ombuds.accounts.sessions import sessions_end
from ombuds.audit import services as audit
from ombuds.bodies.mail import body_mail
from ombuds.register.models import Person


class InvitationRefused(Exception):
    """An invitation that cannot be made or accepted; ``problems`` lists every reason, in words.

    ``reason`` says why a link itself is refused: "unknown", "used", "replaced" or "expired" (the
    link will never work: the page answers 404 or 410); "" for anything else (a password too weak,
    a record that already has an account), which the visitor can put right."""

    def __init__(self, problems: str | list[str], *, reason: str = ""):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.reason = reason
        super().__init__("; ".join(self.problems))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.OMBUDS_BASE_URL.rstrip("/") + reverse("accounts:accept", args=[token])


@transaction.atomic
def invitation_create(
    *,
    person: Person,
    invited_by: Any = None,
    email: str = "",
    send: bool = True,
    lead: str = "",
) -> tuple[Invitation, str]:
    """Invite the person to open their account; earlier unused invitations stop working. Returns
    the invitation and its secret token (in the emailed link only; never stored). ``lead`` is what
    the email says first instead of the general invitation (an application that opens the
    account says so)."""
    # The person's row is locked so that two invitations made at once leave one live link.
    person = Person.objects.select_for_update().select_related("organization").get(pk=person.pk)
    email = (email or person.email).strip()
    problems = []
    if not email:
        problems.append(f"{person.full_name} has no email address in the register")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"{email} is not a valid email address")
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
        _invitation_mail(person, email, invitation.expires_at, token, lead=lead)
    return invitation, token


def _invitation_mail(
    person: Person, email: str, expires_at: dt.datetime, token: str, *, lead: str = ""
) -> None:
    """Send the invitation, before it commits: the mail carries the only copy of its link, so an
    invitation whose mail the server refuses is not made at all (refused with the server's reason,
    nothing written) rather than counted as sent. Should the commit fail after the mail went out,
    its link opens nothing and a new invitation replaces it."""
    body = person.organization
    lead = lead or (
        f"{body.name} invites you to open your account, where you see your records with the "
        "body, attest to its code of conduct, and declare conflicts of interest."
    )
    try:
        body_mail(
            body,
            f"Your {body.short_name} account on Ombuds",
            f"Dear {person.full_name},\n\n{lead}\n\nOpen this link to choose your password (it "
            f"works once, until {expires_at:%-d %B %Y %H:%M} UTC):\n{invitation_url(token)}\n",
            [email],
        )
    except Exception as exc:  # any transport error: no invitation without its mail
        reason = str(exc) or exc.__class__.__name__
        raise InvitationRefused(
            f"the invitation email to {email} could not be sent ({reason}); try again later"
        ) from exc


def invitation_for(token: str) -> Invitation:
    """The live invitation this token opens, or InvitationRefused saying why not."""
    invitation = (
        Invitation.objects.select_related("person", "organization")
        .filter(token_hash=_hash(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationRefused(
            "This invitation link is not valid. Check that you copied all of it, or ask the body "
            "for a new one.",
            reason="unknown",
        )
    if invitation.accepted_at:
        raise InvitationRefused(
            "This invitation link has already been used. Sign in, or reset your password.",
            reason="used",
        )
    if invitation.revoked_at:
        raise InvitationRefused(
            "A newer invitation replaced this one: use the link in the latest email.",
            reason="replaced",
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(
            f"This invitation link expired on {invitation.expires_at:%-d %B %Y at %H:%M} UTC. "
            "Ask the body for a new one.",
            reason="expired",
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, user: Any = None) -> Any:
    """Open the account (or link the signed-in ``user``'s existing account) for the invited person;
    returns the account. The invitation is used up; nothing changes when it is refused."""
    invitation = invitation_for(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:  # accepted by a concurrent request a moment ago
        raise InvitationRefused("This invitation link has already been used.", reason="used")
    if invitation.revoked_at:  # replaced by a newer invitation a moment ago
        raise InvitationRefused(
            "A newer invitation replaced this one: use the latest email.", reason="replaced"
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(
            "This invitation link has expired. Ask the body for a new one.", reason="expired"
        )
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
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as taken:  # the same email opened an account a moment ago
            raise InvitationRefused(
                "An account with this email was opened a moment ago: sign in, then open the link."
            ) from taken
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


# --- the second factor ------------------------------------------------------------------------------
#
# An authenticator app (django-otp's TOTPDevice, one confirmed per account) and ten recovery codes
# (a StaticDevice named "recovery", each code working once). Checking a code writes the device's
# throttling counters, so those checks commit before any refusal is raised.

TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"
RECOVERY_CODE_COUNT = 10

_TOTP_CODE = re.compile(r"\d{6}")
_RECOVERY_CODE = re.compile(r"[a-z0-9]{8}")


class SecondFactorRefused(Exception):
    """A second-factor code or change refused; ``problems`` says why, in words, and ``reason`` in one
    word: "missing", "invalid", "wrong", "replayed", "throttled", "no_device" or "required"."""

    def __init__(self, problems: str | list[str], *, reason: str = ""):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.reason = reason
        super().__init__("; ".join(self.problems))


def _compact(code: str) -> str:
    """A code as typed, without the spaces and hyphens people copy with it, in lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def recovery_code_display(token: str) -> str:
    """A recovery code as shown to its owner: two groups of four ("abcd-2345")."""
    return f"{token[:4]}-{token[4:]}"


def _throttled(info: dict | None) -> SecondFactorRefused:
    wait = 1
    locked_until = (info or {}).get("locked_until")
    if locked_until is not None:
        wait = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    return SecondFactorRefused(
        f"Too many wrong codes in a row. Wait {wait} second{'s' * (wait != 1)}, then try again "
        "(each wrong code makes the wait longer).",
        reason="throttled",
    )


def _totp_check(device: TOTPDevice, code: str) -> SecondFactorRefused | None:
    """Verify a 6-digit code on the (locked) device; None when it is accepted, else why not."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return _throttled(info)
    if device.verify_token(code):
        return None
    # verify_token refuses a code of a time step already used (t <= last_t) as it refuses a wrong
    # one; the same check without that bound tells the two apart, so a replay is named as such.
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.verify(int(code), device.tolerance):
        return SecondFactorRefused(
            "That code has already been used. Wait for your app to show the next code (a new one "
            "every 30 seconds) and enter that one.",
            reason="replayed",
        )
    return SecondFactorRefused(
        "That code is not right. Enter the 6-digit code your authenticator app shows now for "
        "Ombuds; check that your device's clock is set automatically.",
        reason="wrong",
    )


def _code_problem(code: str) -> SecondFactorRefused | None:
    if not code:
        return SecondFactorRefused(
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
            reason="missing",
        )
    if not (_TOTP_CODE.fullmatch(code) or _RECOVERY_CODE.fullmatch(code)):
        return SecondFactorRefused(
            "Enter the 6-digit code from your authenticator app (digits only), or one of your "
            "recovery codes (8 letters and digits, like abcd-2345).",
            reason="invalid",
        )
    return None


def totp_device_start(*, user: Any) -> TOTPDevice:
    """The authenticator the account is setting up: its unconfirmed device, made the first time, so
    that reloading the page shows the same secret. It verifies nothing until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _recovery_codes_replace(user: Any) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    device.confirmed = True
    device.throttle_reset(commit=False)
    device.save()
    return sorted(codes)


def totp_device_confirm(*, user: Any, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator being set up with a code it shows. It replaces any earlier one,
    and the account gets ten new recovery codes (the old ones stop working), returned to be shown
    once. A wrong or replayed code is refused and changes nothing but the throttling counters."""
    compact = _compact(code)
    if not _TOTP_CODE.fullmatch(compact):
        raise SecondFactorRefused(
            "Enter the 6-digit code your authenticator app shows for Ombuds (digits only).",
            reason="missing" if not compact else "invalid",
        )
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        refused = _totp_check(device, compact)
        if refused is None:
            others = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
            replaced = others.filter(confirmed=True).count()
            others.delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _recovery_codes_replace(user)
            audit.record(
                action="account.second_factor_set_up",
                subject_type="user",
                subject_id=user.pk,
                actor=user,
                data={"replaced": replaced, "recovery_codes": len(codes)},
            )
    if refused is not None:  # raised after the commit, which keeps the throttling counters
        raise refused
    return codes


def second_factor_verify(*, user: Any, code: str) -> Device:
    """The device that accepts this code: the 6-digit code of the account's authenticator, or one
    of its recovery codes (used up, and the use audited). SecondFactorRefused says why not: wrong,
    already used (a replayed code), or too many wrong codes in a row (django-otp's growing delay)."""
    compact = _compact(code)
    refused = _code_problem(compact)
    if refused is not None:
        raise refused
    device: Device | None
    with transaction.atomic():
        if _TOTP_CODE.fullmatch(compact):
            device = (
                TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            )
            if device is None:
                refused = SecondFactorRefused(
                    "This account has no authenticator app set up: enter a recovery code.",
                    reason="no_device",
                )
            else:
                refused = _totp_check(device, compact)
        else:
            device = (
                StaticDevice.objects.select_for_update()
                .filter(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
                .first()
            )
            allowed, info = device.verify_is_allowed() if device else (True, None)
            if not allowed:
                refused = _throttled(info)
            elif device is None or not device.verify_token(compact):
                refused = SecondFactorRefused(
                    "That recovery code is not one of yours, or it has already been used (each "
                    "code works once).",
                    reason="wrong",
                )
            else:
                audit.record(
                    action="account.recovery_code_used",
                    subject_type="user",
                    subject_id=user.pk,
                    actor=user,
                    data={"left": device.token_set.count()},
                )
    if refused is not None:  # raised after the commit, which keeps the throttling counters
        raise refused
    assert device is not None
    return device


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(
        device__user=user, device__name=RECOVERY_DEVICE_NAME, device__confirmed=True
    ).count()


@transaction.atomic
def recovery_codes_regenerate(*, user: Any) -> list[str]:
    """Ten new recovery codes for the account, returned to be shown once; the old ones stop
    working. Refused for an account without an authenticator app."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise SecondFactorRefused(
            "Set up an authenticator app first: recovery codes stand in for it.",
            reason="no_device",
        )
    codes = _recovery_codes_replace(user)
    audit.record(
        action="account.recovery_codes_regenerated",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        data={"recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def second_factor_remove(*, user: Any, acting_user: Any = None, reason: str = "") -> int:
    """Remove the account's second factor (its authenticator and recovery codes); the number of
    devices removed. The account's owner may turn off only a second factor they chose to have
    (not one their role requires); anyone else (an administrator recovering a lost phone, or the
    command line with no ``acting_user``) must give a reason."""
    problems = []
    by_owner = getattr(acting_user, "pk", None) == user.pk
    if by_owner and needs_second_factor(user):
        problems.append(
            "Your role with a body requires a second factor, so it cannot be turned off. If you "
            "lost your phone, sign in with a recovery code and set up the app again."
        )
    if not by_owner and not reason.strip():
        problems.append("Give the reason for removing someone else's second factor.")
    devices = [
        *TOTPDevice.objects.select_for_update().filter(user=user),
        *StaticDevice.objects.select_for_update().filter(user=user),
    ]
    if not any(d.confirmed for d in devices):
        problems.append(f"{user.get_username()} has no second factor set up.")
    if problems:
        raise SecondFactorRefused(problems, reason="required" if by_owner else "")
    for device in devices:
        device.delete()
    audit.record(
        action="account.second_factor_removed",
        subject_type="user",
        subject_id=user.pk,
        actor=acting_user,
        data={"devices": len(devices), "by_owner": by_owner, "reason": reason.strip()},
    )
    return len(devices)


# --- signing out everywhere -------------------------------------------------------------------------


@transaction.atomic
def sessions_sign_out(
    *, user: Any, keep: str | None = None, acting_user: Any = None, reason: str = ""
) -> int:
    """End every session of the account but ``keep`` (the current one, when signing out of the
    others); the number ended. Their cookies stop working at once."""
    ended = sessions_end(user, keep=keep)
    audit.record(
        action="account.signed_out_everywhere",
        subject_type="user",
        subject_id=user.pk,
        actor=acting_user,
        data={"ended": ended, "kept_current": bool(keep), "reason": reason},
    )
    return ended


@transaction.atomic
def password_changed(*, user: Any, keep: str | None = None, how: str) -> int:
    """After a password change (``how`` "change") or reset ("reset"): the account's other sessions
    end (Django already refuses them, their password hash being stale; this also takes them off
    the account's list) and the change is audited. The number of sessions ended."""
    ended = sessions_end(user, keep=keep)
    audit.record(
        action="account.password_changed",
        subject_type="user",
        subject_id=user.pk,
        actor=user,
        data={"how": how, "sessions_ended": ended},
    )
    return ended
