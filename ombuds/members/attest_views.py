"""The attestation pages (CSEC 4.3). Every change goes through `ombuds.members.attestations`.

Who sees what:

- the body's administrators and staff (a superuser too) start, follow, export and close campaigns
  and record attestations by proxy (`/staff/<body>/attestations/…`); anyone else gets 403;
- a signed-in member opens a campaign's page only when their own register record in the body is
  asked in it (`/me/attest/<campaign>/`); otherwise it answers 404, as if there were none;
- an agency administrator (a current affiliation with the agency marked as its administrator)
  sees and invites the agency's own employees and agents (`/me/agency/<agency>/people/`); any other
  agency's page, or a person not on the agency's staff, answers 404.

Every page is private: kept by no cache.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_staff_required
from ombuds.bodies.models import Organization
from ombuds.codes.selectors import provision_tree, versions_diff
from ombuds.core.http import csv_download, private
from ombuds.members import attestations as service
from ombuds.members import selectors
from ombuds.members.attest_forms import AgencyPersonForm, AttestForm, CampaignForm, ProxyForm
from ombuds.members.models import AttestationCampaign
from ombuds.register.models import Agency

PEOPLE_PAGE = 50
CAMPAIGN_PAGE = 20


def _campaign(organization: Organization, pk: int) -> AttestationCampaign:
    found = selectors.campaign_get(organization, pk)
    if found is None:
        raise Http404("no such campaign")
    return found


def _posted(request: HttpRequest) -> Any:
    """The posted data to bind a form to (even when empty), or None on GET."""
    return request.POST if request.method == "POST" else None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


# --- staff --------------------------------------------------------------------------------------


@body_staff_required
def campaigns(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The body's campaigns, open ones first, each with its coverage figures."""
    page = Paginator(selectors.campaigns_listed(organization), CAMPAIGN_PAGE).get_page(
        request.GET.get("page")
    )
    counts = service.campaign_counts(page.object_list)
    rows = []
    for campaign in page.object_list:
        figures = counts[campaign.pk]
        total = sum(figures[s] for s in service.COUNTED)
        percent = round(100 * figures[service.ATTESTED] / total) if total else 0
        rows.append((campaign, figures, total, percent))
    return private(
        render(
            request,
            "members/attest/campaigns.html",
            {
                "body": organization,
                "rows": rows,
                "page": page,
                "current": selectors.current_campaign_versions(organization).first(),
            },
        )
    )


@body_staff_required
def campaign_new(request: HttpRequest, organization: Organization) -> HttpResponse:
    versions = selectors.current_campaign_versions(organization)
    initial: dict[str, Any] = {}
    chosen = _int(request.GET.get("version"))
    if chosen is not None:
        initial["code_version"] = chosen
    form = CampaignForm(_posted(request), versions=versions, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = service.campaign_start(
                organization=organization,
                code_version=data["code_version"],
                title=data["title"],
                audience=data["audience"],
                material=data["material"],
                due_on=data["due_on"],
                reminder_days=data["reminder_days"],
                new_joiner_days=data["new_joiner_days"],
                statement=data["statement"],
                started_by=request.user,
            )
        except service.CampaignRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            asked = campaign.dues.count()
            messages.success(
                request,
                f"Campaign started: {asked} {'person is' if asked == 1 else 'people are'} asked "
                f"to attest by {campaign.due_on:%d %B %Y}.",
            )
            return redirect("attest:campaign", org=organization.slug, pk=campaign.pk)
    return private(
        render(
            request,
            "members/attest/campaign_new.html",
            {"body": organization, "form": form, "has_versions": versions.exists()},
            status=400 if form.errors else 200,
        )
    )


@body_staff_required
def campaign_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """A campaign's coverage: counts, and the people, filtered by status and agency, a page at a
    time."""
    campaign = _campaign(organization, pk)
    agencies = list(
        service.member_agencies(organization)
        .order_by("legal_name", "pk")
        .values_list("pk", "legal_name")
    )
    agency_id = _int(request.GET.get("agency"))
    agency = None
    if agency_id is not None and any(pk == agency_id for pk, _name in agencies):
        agency = Agency(pk=agency_id, organization=organization)
    else:
        agency_id = None
    status = request.GET.get("status", "")
    if status not in service.STATUSES:
        status = ""
    report = service.coverage(campaign, agency=agency)
    rows = [r for r in report.rows if r.status == status] if status else report.rows
    page = Paginator(rows, PEOPLE_PAGE).get_page(request.GET.get("page"))
    query = "&".join(
        part
        for part in (f"status={status}" if status else "", f"agency={agency_id}" if agency else "")
        if part
    )
    return private(
        render(
            request,
            "members/attest/campaign.html",
            {
                "body": organization,
                "campaign": campaign,
                "report": report,
                "counts": [
                    (s, service.STATUS_LABELS[s], report.counts[s]) for s in service.STATUSES
                ],
                "agencies": agencies,
                "agency_id": agency_id,
                "agency_name": dict(agencies).get(agency_id, ""),
                "status": status,
                "page": page,
                "matching": len(rows),
                "query": query,
                "open": campaign.closed_at is None,
            },
        )
    )


@body_staff_required
def coverage_csv(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Every person of the campaign (of one agency with ?agency=), streamed as CSV."""
    campaign = _campaign(organization, pk)
    agency = None
    agency_id = _int(request.GET.get("agency"))
    if agency_id is not None:
        agency = selectors.agency_get(organization, agency_id)
        if agency is None:
            raise Http404("no such agency")
    report = service.coverage(campaign, agency=agency)
    suffix = f"-agency-{agency.pk}" if agency else ""
    return csv_download(
        service.coverage_csv_rows(report),
        f"{organization.slug}-attestations-{campaign.pk}{suffix}.csv",
    )


@body_staff_required
def proxy(request: HttpRequest, organization: Organization, pk: int, person: int) -> HttpResponse:
    """Record a person's attestation on their behalf, with the reason."""
    campaign = _campaign(organization, pk)
    due = selectors.due_get(campaign, person)
    if due is None:
        raise Http404("not asked in this campaign")
    form = ProxyForm(_posted(request))
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        form.is_valid()
        try:
            service.attest_by_proxy(
                person=due.person, campaign=campaign, reason=reason, staff_user=request.user
            )
        except service.AttestationRefused as refused:
            for problem in refused.problems:
                if not (form.has_error("reason") and problem.startswith("Say why")):
                    form.add_error(None, problem)
        else:
            messages.success(
                request, f"Recorded {due.person.full_name}'s attestation on their behalf."
            )
            return redirect("attest:campaign", org=organization.slug, pk=campaign.pk)
    return private(
        render(
            request,
            "members/attest/proxy.html",
            {"body": organization, "campaign": campaign, "due": due, "form": form},
            status=400 if form.errors else 200,
        )
    )


@require_POST
@body_staff_required
def close(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    campaign = _campaign(organization, pk)
    try:
        service.campaign_close(campaign=campaign, acting_user=request.user)
    except service.CampaignRefused as refused:
        for problem in refused.problems:
            messages.error(request, problem)
    else:
        messages.success(request, f"Closed the campaign “{campaign.title}”.")
    return redirect("attest:campaign", org=organization.slug, pk=campaign.pk)


# --- the member ---------------------------------------------------------------------------------


def attest_page(request: HttpRequest, campaign: int) -> HttpResponse:
    """The version's full text and the statement to confirm, for a member asked in the campaign."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = selectors.campaign_for_member(campaign)
    if found is None:
        raise Http404("no such campaign")
    due = selectors.own_due(found, request.user)
    if due is None:
        raise Http404("not asked in this campaign")
    version = found.code_version
    form = AttestForm(_posted(request))
    if request.method == "POST":
        form.is_valid()
        try:
            service.attest(
                person=due.person,
                user=request.user,
                campaign=found,
                statement_confirmed=bool(form.cleaned_data.get("confirm")),
            )
        except service.AttestationRefused as refused:
            for problem in refused.problems:
                if not (form.has_error("confirm") and problem.startswith("Tick")):
                    form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"Thank you: your attestation to {version.title}, version {version.label}, "
                "is recorded.",
            )
            return redirect("attest:attest", campaign=found.pk)
    own = selectors.own_attestation(due, version)
    earlier = None if own else selectors.last_attested_earlier(due, version)
    changes = versions_diff(earlier.code_version, version) if earlier else None
    return private(
        render(
            request,
            "members/attest/attest.html",
            {
                "body": found.organization,
                "campaign": found,
                "version": version,
                "due": due,
                "status": service.due_status(due),
                "own": own,
                "newer": service.superseding_version(version),
                "earlier": earlier,
                "changes": changes,
                "tree": provision_tree(version),
                "form": form,
            },
            status=400 if form.errors else 200,
        )
    )


# --- agency administrators ----------------------------------------------------------------------


def agency_admin_required(view):
    """The agency is in the URL; the viewer must administer it. Anonymous users go to sign in;
    anyone else gets 404, so that no one learns which agencies exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, agency: int, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        found = selectors.agency_for_admin(request.user, agency)
        if found is None:
            raise Http404("no such agency")
        return view(request, found, *args, **kwargs)

    return wrapper


@agency_admin_required
def agency_people(request: HttpRequest, agency: Agency) -> HttpResponse:
    """The agency's employees and agents, their accounts and attestations; add one."""
    form = AgencyPersonForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person, invitation = service.agency_person_add(
                agency=agency,
                user=request.user,
                given_name=data["given_name"],
                family_name=data["family_name"],
                email=data["email"],
                role=data["role"],
            )
        except service.AgencyRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"Added {person.full_name} and sent the invitation to {invitation.email}.",
            )
            return redirect("attest:agency_people", agency=agency.pk)
    overview = service.agency_overview(agency)
    return private(
        render(
            request,
            "members/attest/agency_people.html",
            {
                "body": agency.organization,
                "agency": agency,
                "overview": overview,
                "summaries": [
                    (
                        campaign,
                        counts,
                        sum(counts[s] for s in service.COUNTED),
                    )
                    for campaign, counts in zip(overview.campaigns, overview.counts, strict=True)
                ],
                "form": form,
                "today": timezone.localdate(),
            },
            status=400 if form.errors else 200,
        )
    )


@require_POST
@agency_admin_required
def agency_invite(request: HttpRequest, agency: Agency, person: int) -> HttpResponse:
    """Invite one of the agency's current employees or agents to open their account."""
    today = timezone.localdate()
    affiliation = selectors.agency_staff_member(agency, person, today=today)
    if affiliation is None:
        raise Http404("not one of the agency's people")
    try:
        invitation, _token = service.agency_invite(
            agency=agency, person=affiliation.person, user=request.user, today=today
        )
    except service.AgencyRefused as refused:
        for problem in refused.problems:
            messages.error(request, problem)
    else:
        messages.success(
            request,
            f"Sent {affiliation.person.full_name} an invitation to {invitation.email}.",
        )
    return redirect("attest:agency_people", agency=agency.pk)


@agency_admin_required
def agency_csv(request: HttpRequest, agency: Agency) -> HttpResponse:
    overview = service.agency_overview(agency)
    return csv_download(service.agency_csv_rows(overview), f"agency-{agency.pk}-attestations.csv")
