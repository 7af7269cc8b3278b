"""Whether a body takes complaints here, for the pages that lead to its complaint form (the landing
page, the body's home) without their views depending on the cases app."""

from __future__ import annotations

from django import template

from ombuds.bodies.models import Organization
from ombuds.cases.selectors import takes_complaints as _takes_complaints

register = template.Library()


@register.simple_tag
def takes_complaints(body: Organization) -> bool:
    return _takes_complaints(body)
