"""The public complaint form as every visitor first gets it, for the parts of its page rendered once
per language (`{% memo %}` in cases/complain.html)."""

from __future__ import annotations

from django import template

from ombuds.cases.forms import ComplaintForm
from ombuds.codes.models import Provision

register = template.Library()


@register.simple_tag
def blank_complaint_form() -> ComplaintForm:
    """A blank complaint form: its fields are the same for every visitor in a language (labels,
    hints, the choices made before anything is chosen), but for its submission key and the code's
    provisions, which a page renders outside what it keeps."""
    return ComplaintForm(provisions=Provision.objects.none())
