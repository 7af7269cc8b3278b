"""The first tier's pages: a member agency's public complaint form and the client's personal link
(no account, on a phone), and the agency's own inbox, for its administrators only. Every change
goes through `ombuds.members.first_tier`.

Who sees what:

- anyone files a complaint with an agency that is a member of the body now (any other: 404);
- the client, through their personal link, reads the exchange, writes while it is open, and takes
  it to the body; an unknown link, or another body's, answers 404;
- an agency's current administrators see its inbox and its complaints. Anyone else signed in is
  refused: someone who works for the agency without being its administrator with 403, everyone
  else (another agency's administrator, the body's own people, superusers) with 404 — the inbox is
  the agency's own. Anonymous visitors are sent to sign in.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from ombuds.bodies.access import body_or_404
from ombuds.bodies.models import Organization
from ombuds.cases import services as cases
from ombuds.core.http import private
from ombuds.core.throttle import throttle_hit
from ombuds.members import first_tier, selectors
from ombuds.members.first_tier_forms import (
    ClientComplaintForm,
    ClientMessageForm,
    CloseForm,
    ReplyForm,
    ResolveForm,
)
from ombuds.members.models import ClientComplaint
from ombuds.register.models import Agency

FILED_SESSION = "ombuds:first-tier-filed"
INBOX_PAGE = 50
Status = ClientComplaint.Status


# The client's page has the secret in its address. "strict-origin" sends no page address in any
# Referer, to this site or another, while its forms keep a real Origin; "no-referrer" would make
# browsers send them with "Origin: null", which Django's CSRF check refuses.
SECRET_IN_ADDRESS = "strict-origin"


def _takes_complaints(organization: Organization) -> bool:
    try:
        cases.procedure_of(organization)
    except cases.CaseRefused:
        return False
    return True


# --- the public form and the client's link ---------------------------------------------------------


@csrf_protect
@never_cache
def complain(request: HttpRequest, org: str, agency: int) -> HttpResponse:
    """A client complains to a member agency itself (no account)."""
    organization = body_or_404(org)
    found = first_tier.member_agency(organization, agency)
    if found is None:
        raise Http404("no member agency of this body has that number")
    posted = request.method == "POST"
    form = ClientComplaintForm(request.POST if posted else None)
    context = {
        "body": organization,
        "agency": found,
        "form": form,
        "takes_complaints": _takes_complaints(organization),
    }
    if posted:
        # The same allowance as complaints to the body: one network files so many an hour.
        throttled = throttle_hit(request, "complaint")
        if throttled is not None:
            response = render(
                request,
                "members/first_tier/complain.html",
                {**context, "throttled": throttled},
                status=429,
            )
            response["Retry-After"] = str(throttled.retry_after)
            return response
        if form.is_valid():
            try:
                filed = first_tier.client_complaint_file(agency=found, **form.cleaned_data)
            except first_tier.FirstTierRefused as refused:
                for problem in refused.problems:
                    form.add_error(None, problem)
            else:
                # Whichever answer of a double tap the browser shows carries the same link.
                request.session[FILED_SESSION] = {
                    "reference": filed.complaint.reference,
                    "token": filed.token,
                }
                return redirect(
                    "first_tier:filed",
                    org=organization.slug,
                    agency=found.pk,
                    reference=filed.complaint.reference,
                )
    return render(
        request, "members/first_tier/complain.html", context, status=400 if form.errors else 200
    )


@never_cache
def filed(request: HttpRequest, org: str, agency: int, reference: str) -> HttpResponse:
    """The acknowledgement, for the browser that filed only; the personal link is shown once."""
    organization = body_or_404(org)
    shown = request.session.get(FILED_SESSION) or {}
    if shown.get("reference") != reference:
        raise Http404("no complaint filed from this browser under that reference")
    complaint = selectors.client_complaint_filed(organization, agency, reference)
    if complaint is None:
        raise Http404("no such complaint")
    token = shown.get("token", "")
    if token:
        request.session[FILED_SESSION] = {"reference": reference}
    return private(
        noindex=True,
        response=render(
            request,
            "members/first_tier/filed.html",
            {
                "body": organization,
                "agency": complaint.agency,
                "complaint": complaint,
                "link": first_tier.client_url(complaint, token) if token else "",
                "takes_complaints": _takes_complaints(organization),
            },
        ),
    )


@csrf_protect
@never_cache
def client_complaint(request: HttpRequest, org: str, token: str) -> HttpResponse:
    """The client's page: where the complaint is, the whole exchange, a message to the agency
    while it is open, and the way to take it to the body with this record attached."""
    organization = body_or_404(org)
    complaint = first_tier.client_complaint_for_token(token, organization)
    if complaint is None:
        return private(
            noindex=True,
            response=render(
                request, "members/first_tier/link_gone.html", {"body": organization}, status=404
            ),
            referrer=SECRET_IN_ADDRESS,
        )
    form = ClientMessageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            first_tier.client_complaint_client_reply(
                complaint=complaint, body=form.cleaned_data["text"]
            )
        except first_tier.FirstTierRefused as refused:
            for problem in refused.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, f"Your message was sent to {complaint.agency.legal_name}.")
            return redirect("first_tier:client", org=organization.slug, token=token)
    return private(
        noindex=True,
        response=render(
            request,
            "members/first_tier/client.html",
            {
                "body": organization,
                "agency": complaint.agency,
                "complaint": first_tier.with_times(complaint),
                "exchange_messages": first_tier.exchange(complaint),
                "form": form,
                "can_write": complaint.status in first_tier.ACTIVE,
                "can_escalate": complaint.escalated_case_id is None
                and _takes_complaints(organization),
                "escalation_ready_on": first_tier.escalation_ready_on(complaint),
                "token": token,
            },
            status=400 if form.errors else 200,
        ),
        referrer=SECRET_IN_ADDRESS,
    )


# --- the agency's inbox ---------------------------------------------------------------------------


def _not_yours(request: HttpRequest, agency_id: int, *, agency: Agency | None = None):
    """The one answer for an inbox or a complaint that is not the viewer's to see."""
    employee = agency is None and first_tier.works_for(request.user, agency_id)
    return private(
        noindex=True,
        response=render(
            request,
            "members/first_tier/not_yours.html",
            {
                "employee": employee,
                "agency": agency,
                "agencies": first_tier.administered_agencies(request.user).order_by("legal_name"),
            },
            status=403 if employee else 404,
        ),
    )


def agency_admin_required(view):
    """The agency is in the URL; the viewer must administer it now. Anonymous users go to sign
    in; others are refused (see the module's docstring)."""

    @wraps(view)
    def wrapper(request: HttpRequest, agency: int, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        found = first_tier.administered_agency(request.user, agency)
        if found is None:
            return _not_yours(request, agency)
        return view(request, found, *args, **kwargs)

    return wrapper


@never_cache
@agency_admin_required
def inbox(request: HttpRequest, agency: Agency) -> HttpResponse:
    """The agency's client complaints, by status, with its counts and its times."""
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    figures = first_tier.inbox_figures(agency)
    page = Paginator(first_tier.inbox(agency, status=status), INBOX_PAGE).get_page(
        request.GET.get("page")
    )
    for complaint in page:
        first_tier.with_times(complaint)
    return private(
        noindex=True,
        response=render(
            request,
            "members/first_tier/inbox.html",
            {
                "body": agency.organization,
                "agency": agency,
                "figures": figures,
                "page": page,
                "status": status,
                "statuses": [
                    (value, label, figures.counts.get(value, 0)) for value, label in Status.choices
                ],
                "form_url": first_tier.form_url(agency),
                "is_member": first_tier.member_agency(agency.organization, agency.pk) is not None,
            },
        ),
    )


ACTIONS = {
    "reply": (ReplyForm, first_tier.client_complaint_reply, "body", "Your answer was sent."),
    "resolve": (
        ResolveForm,
        first_tier.client_complaint_resolve,
        "resolution",
        "The complaint is resolved; the client was told.",
    ),
    "close": (
        CloseForm,
        first_tier.client_complaint_close_unresolved,
        "reason",
        "The complaint is closed unresolved; the client was told.",
    ),
}


@csrf_protect
@never_cache
@agency_admin_required
def complaint(request: HttpRequest, agency: Agency, pk: int) -> HttpResponse:
    """One complaint: the exchange and its times; answer, resolve or close it while it is open."""
    found = selectors.client_complaint_in_inbox(agency, pk)
    if found is None:
        return _not_yours(request, agency.pk, agency=agency)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = {
        name: form_class(request.POST if action == name else None)
        for name, (form_class, *_rest) in ACTIONS.items()
    }
    page_errors = []
    if action in ACTIONS:
        _form_class, service, argument, done = ACTIONS[action]
        form = forms[action]
        if form.is_valid():
            try:
                service(
                    complaint=found,
                    acting_user=request.user,
                    **{argument: form.cleaned_data["text"]},
                )
            except first_tier.FirstTierRefused as refused:
                for problem in refused.problems:
                    form.add_error(None, problem)
            else:
                messages.success(request, done)
                return redirect("first_tier:complaint", agency=agency.pk, pk=found.pk)
    elif request.method == "POST":
        page_errors.append("That was not understood: reload the page and try again.")
    can_act = found.status in first_tier.ACTIVE
    if not can_act:
        # Closed meanwhile (by another administrator): its forms are gone, their refusals stay.
        page_errors += [e for f in forms.values() for e in f.non_field_errors()]
    invalid = bool(page_errors) or any(f.errors for f in forms.values())
    return private(
        noindex=True,
        response=render(
            request,
            "members/first_tier/complaint.html",
            {
                "body": agency.organization,
                "agency": agency,
                "complaint": first_tier.with_times(found),
                "exchange_messages": first_tier.exchange(found),
                "can_act": can_act,
                "reply_form": forms["reply"],
                "resolve_form": forms["resolve"],
                "close_form": forms["close"],
                "page_errors": page_errors,
            },
            status=400 if invalid else 200,
        ),
    )
