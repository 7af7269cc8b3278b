"""Who must pass a second factor: anyone with a role on a body (staff, chair, committee,
investigator), staff users and superusers. Members without such a role may turn it on, and then pass
it too when they sign in. With settings.OMBUDS_REQUIRE_SECOND_FACTOR off, nobody is asked."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def needs_second_factor(user: Any) -> bool:
    if not settings.OMBUDS_REQUIRE_SECOND_FACTOR or not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_ombuds_needs_otp", None)
    if cached is None:
        cached = bool(user.is_superuser or user.is_staff or user.body_roles.exists())
        user._ombuds_needs_otp = cached
    return cached


def has_second_factor(user: Any) -> bool:
    """Whether the account has a confirmed authenticator (TOTP) device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(user: Any) -> bool:
    """Whether the user must pass a second factor before any other page: their role requires it,
    or they set one up themselves."""
    if not settings.OMBUDS_REQUIRE_SECOND_FACTOR or not getattr(user, "is_authenticated", False):
        return False
    if needs_second_factor(user):
        return True
    cached = getattr(user, "_ombuds_has_otp", None)
    if cached is None:
        cached = user._ombuds_has_otp = has_second_factor(user)
    return cached
