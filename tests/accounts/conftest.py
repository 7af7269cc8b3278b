"""Account fixtures: a register record to invite, a second factor set up, codes as an app makes
them, and signing in through the real sign-in page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombuds.accounts import services
from ombuds.register.models import Person

PASSWORD = "pw-not-used"  # the personas' password (tests/conftest.py)
STRONG = "quiet harbour lantern 42"


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    """The accounts tests run with the second factor required, as in production."""
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = True


@pytest.fixture
def person(body) -> Person:
    return Person.objects.create(
        organization=body, given_name="Lena", family_name="Abara", email="lena@example.org"
    )


@pytest.fixture
def invited(person):
    """(invitation, token) for the person."""
    return services.invitation_create(person=person, send=False)


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the device's app shows now (or ``steps_ahead`` steps of 30 s later, still within
    the device's tolerance of one step)."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps_ahead,
    )
    return f"{value:0{device.digits}d}"


def set_up_second_factor(user) -> tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator and recovery codes for the user, as the setup page leaves them."""
    device = services.totp_device_start(user=user)
    codes = services.totp_device_confirm(user=user, device=device, code=code_for(device))
    device.refresh_from_db()
    return device, codes


def sign_in(client, user, password: str = PASSWORD, next_url: str = ""):
    data = {"username": user.get_username(), "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)
