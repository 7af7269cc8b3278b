"""Response headers shared by every page that holds something confidential."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.cache import patch_cache_control


def private(
    response: HttpResponse, *, referrer: str = "same-origin", noindex: bool = False
) -> HttpResponse:
    """Kept by no cache, and its address sent on to no other site. ("no-referrer" would do too much:
    browsers then send the page's forms with "Origin: null", which Django's CSRF check refuses; a
    page with a secret in its own address passes ``referrer="strict-origin"``.) ``noindex`` keeps
    search engines away from a page anyone may open."""
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = referrer
    if noindex:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response
