"""``{{ body|cite:p.citation }}`` renders "CESP 3.8": a citation with the prefix the body chose."""

from __future__ import annotations

from django import template

from ombuds.codes.citing import citation_prefix as _citation_prefix
from ombuds.codes.citing import cite as _cite

register = template.Library()


@register.filter
def cite(owner, citation) -> str:
    """The citation as members write it: "{{ body|cite:p.citation }}" -> "CESP 3.8"."""
    return _cite(owner, str(citation or ""))


@register.filter
def citation_prefix(owner) -> str:
    """The prefix alone: "{{ body|citation_prefix }}" -> "CESP"."""
    return _citation_prefix(owner)
