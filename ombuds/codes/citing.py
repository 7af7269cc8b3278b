"""How a provision is cited outside its code: "<prefix> <citation>", as in "CESP 3.8".

The only place the prefix and the citation are put together: pages (the ``cite`` template filter),
the API, exports, the public register and notices all call ``cite``. The prefix is the one the body
chose for its code (``Code.citation_prefix``: the code's own short name, or the body's), and the
body's short name until it chooses.
"""

from __future__ import annotations

from ombuds.bodies.models import Organization
from ombuds.codes.models import DEFAULT_CODE_SLUG, Code

_CACHE = "_ombuds_citation_prefix"


def citation_prefix(owner: Organization | Code) -> str:
    """The prefix members put before a citation of this body's (or this code's) provisions.

    For a body, that of its code, looked up once per body instance (``forget_prefix`` drops it)."""
    if isinstance(owner, Code):
        return owner.citation_prefix or owner.organization.short_name
    cached = owner.__dict__.get(_CACHE)
    if cached is None:
        chosen = (
            Code.objects.filter(organization=owner, slug=DEFAULT_CODE_SLUG)
            .values_list("citation_prefix", flat=True)
            .first()
        )
        cached = chosen or owner.short_name
        owner.__dict__[_CACHE] = cached
    return cached


def forget_prefix(organization: Organization) -> None:
    """Drop the prefix remembered on this instance (after the body changed it)."""
    organization.__dict__.pop(_CACHE, None)


def cite(owner: Organization | Code, citation: str | None) -> str:
    """ "CESP 3.8": the prefix, a space, the citation (the prefix alone for a provision without one)."""
    prefix = citation_prefix(owner)
    citation = (citation or "").strip()
    return f"{prefix} {citation}" if citation else prefix
