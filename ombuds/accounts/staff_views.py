"""The body's staff page for inviting its register to open accounts: where the register stands, the
latest invitation runs with their progress, a run for everyone not yet invited, and the list of
those people with an invite button each.

Every change goes through `ombuds.accounts.invitation_runs` and `services`; the pages are private.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombuds.accounts import invitation_runs, selectors
from ombuds.bodies.access import body_staff_required
from ombuds.core.http import private

PER_PAGE = 50


class InvitationRunForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, email each of them an invitation now",
        error_messages={
            "required": "Tick the box to confirm that everyone not yet invited gets an email."
        },
    )


@body_staff_required
def invitations(request: HttpRequest, organization) -> HttpResponse:
    """GET shows the page (htmx polls its runs part while a run goes); POST starts a run."""
    form = InvitationRunForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                invitation_runs.run_start(organization=organization, started_by=request.user)
            except invitation_runs.InvitationRunRefused as refused:
                for problem in refused.problems:
                    form.add_error(None, problem)
            else:
                messages.success(
                    request,
                    f"Invitation run started for {organization.short_name}: its progress shows "
                    "below.",
                )
                return private(redirect("accounts_staff:invitations", org=organization.slug))
    runs = invitation_runs.runs_recent(organization)
    context = {
        "body": organization,
        "runs": runs,
        "active": any(run.active for run in runs),
        "stale": {run.pk for run in runs if invitation_runs.run_stale(run)},
    }
    if request.htmx and not request.htmx.history_restore_request:
        return private(render(request, "accounts/staff/_invitation_runs.html", context))
    counts = invitation_runs.invitation_counts(organization)
    page = Paginator(
        selectors.with_account(selectors.people_to_invite(organization)), PER_PAGE
    ).get_page(request.GET.get("page"))
    context.update(
        counts=counts,
        days=settings.OMBUDS_INVITATION_DAYS,
        form=form,
        page=page,
        people=[(person, selectors.person_account(person)) for person in page.object_list],
    )
    return private(render(request, "accounts/staff/invitations.html", context, status=status))
