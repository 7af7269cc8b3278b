"""The staff inbox of a body's cases: filtered by state, overdue, handler, respondent or provision
cited, sorted by filing or by the next due date; without the cases the viewer is recused from."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ombuds.cases import selectors
from ombuds.cases.staff_views.common import INTAKE_ROLES, case_roles_required
from ombuds.core.charts import bar_chart
from ombuds.core.http import private


@case_roles_required
def inbox(request: HttpRequest, organization) -> HttpResponse:
    found = selectors.inbox(
        organization=organization,
        user=request.user,
        state=request.GET.get("state", ""),
        overdue=bool(request.GET.get("overdue")),
        mine=bool(request.GET.get("mine")),
        respondent=request.GET.get("respondent", "").strip()[:100],
        provision=request.GET.get("provision", "").strip()[:30],
        sort=request.GET.get("sort", ""),
    )
    return private(
        render(
            request,
            "cases/staff/inbox.html",
            {
                "body": organization,
                "procedure": found.procedure,
                "cases": found.cases,
                "matching": found.matching,
                "matching_capped": found.matching_capped,
                "states": found.states,
                "by_state": bar_chart(
                    [(label, n) for _key, label, n in found.states if n],
                    label_width=0,
                    bar_height=16,
                ),
                "filtering": any(
                    request.GET.get(k)
                    for k in ("state", "overdue", "mine", "respondent", "provision")
                ),
                "total": found.total,
                "open_total": found.open_total,
                "overdue_total": found.overdue_total,
                "overdue_figure": found.overdue_figure,
                "to_deliver_total": found.to_deliver_total,
                "filters": request.GET,
                "state": found.state,
                "sort": found.sort,
                "limit": selectors.INBOX_PAGE,
                "count_cap": f"{selectors.FILTER_COUNT_CAP:,}",
                "today": timezone.localdate(),
                "can_enter": bool(request.body_roles & INTAKE_ROLES),
            },
        )
    )
