"""Credential and membership numbers: they appear in public addresses, so only safe characters."""

from __future__ import annotations

import re

from ombuds.register.lifecycle import TransitionRefused

_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,49}$")
# Membership numbers keep their case (as the CSV import keeps them); the same rule otherwise.
_MEMBERSHIP_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")


def check_membership_number(number: str) -> str:
    """A membership number as stored: as typed, without surrounding spaces; letters, digits, '.',
    '-' and '_' only (it appears in the public member page's address). Raises TransitionRefused."""
    cleaned = number.strip()
    if not _MEMBERSHIP_NUMBER.match(cleaned):
        raise TransitionRefused(
            f"membership number {number!r} must be 1 to 50 letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return cleaned


def check_number(number: str) -> str:
    """A credential number as stored: upper case, no spaces; letters, digits, '.', '-' and '_' only
    (it appears in the verification URL and on the certificate). Raises TransitionRefused."""
    cleaned = "".join(number.split()).upper()
    if not _NUMBER.match(cleaned):
        raise TransitionRefused(
            f"credential number {number!r} must be 1 to 50 letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return cleaned
