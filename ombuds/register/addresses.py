"""A register record's page address: `reverse()` of the credential's, certificate's or
membership's page, worked out once per body and site address (the prefix and URL configuration)
with a placeholder, the number then quoted into it as `reverse()` quotes it. The lookup and every
row of a search need one; reversing each was a good part of those pages' time."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

from ombuds.bodies.models import Organization

_NUMBER = "NUMBER"
# What `reverse()` leaves unquoted in a path.
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"


def record_path(name: str, organization: Organization, number: str) -> str:
    """``reverse(name, kwargs={"org": …, "number": number})``. A number `reverse()` would refuse
    (empty, or holding a "/") still goes through `reverse()`, which raises as it always did."""
    return record_paths(name, organization)(number)


def record_paths(name: str, organization: Organization) -> Callable[[str], str]:
    """``lambda number: record_path(name, organization, number)``, the address worked out once:
    for a page that writes many (a search's rows)."""
    key = (name, organization.slug, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    head, tail = _parts.__wrapped__(*key) if settings.DEBUG else _parts(*key)

    def path(number: str) -> str:
        if not number or "/" in number:
            return reverse(name, kwargs={"org": organization.slug, "number": number})
        return head + quote(number, safe=_URL_SAFE) + tail

    return path


@functools.lru_cache(maxsize=4096)
def _parts(name: str, slug: str, prefix: str, urlconf: str) -> tuple[str, str]:
    # The prefix and URL configuration are those active now: the key names them.
    head, _number, tail = reverse(name, kwargs={"org": slug, "number": _NUMBER}).rpartition(_NUMBER)
    return head, tail
