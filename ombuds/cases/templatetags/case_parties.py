"""The respondent panel of the staff case page: the register matches suggested on filing and the
way to the respondent's page (`ombuds.cases.staff_views.parties`), for the body's people only."""

from __future__ import annotations

from typing import Any

from django import template

from ombuds.cases.rules import HANDLERS
from ombuds.cases.services import respondent_suggestions

register = template.Library()


@register.inclusion_tag("cases/staff/_respondent_panel.html", takes_context=True)
def respondent_panel(context: template.Context) -> dict[str, Any]:
    """The suggestions (three queries) and, for the case's handlers on an open case, the search."""
    case, roles, state = context["case"], context["roles"], context["state"]
    return {
        "body": context["body"],
        "case": case,
        "suggestions": respondent_suggestions(case),
        "can_link": bool(set(roles) & HANDLERS) and not state.final,
    }
