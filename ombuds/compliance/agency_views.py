"""An agency's own compliance pages, for its administrators (as `ombuds.members.agency_roles` says
who they are): what is due and when, what it filed, and the findings it may answer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ombuds.compliance import schedule, selectors
from ombuds.compliance.models import Finding
from ombuds.core.http import private
from ombuds.members.first_tier_views import agency_admin_required
from ombuds.register.models import Agency


@never_cache
@agency_admin_required
def agency(request: HttpRequest, agency: Agency) -> HttpResponse:
    """What is due and filed, the findings to answer first, then the history."""
    today = timezone.localdate()
    findings = list(selectors.agency_findings(agency)[:200])
    return private(
        noindex=True,
        response=render(
            request,
            "compliance/agency.html",
            {
                "body": agency.organization,
                "agency": agency,
                "today": today,
                "due": schedule.agency_calendar(agency, today=today)[:24],
                "to_answer": [f for f in findings if f.status == Finding.Status.OPEN],
                "other_findings": [f for f in findings if f.status != Finding.Status.OPEN],
                "returns": selectors.agency_returns(agency)[:50],
            },
        ),
    )
