"""Public case pages: anyone complains (no account, on a phone), an anonymous complainant follows
the case with a receipt code and passphrase, and a respondent answers through a personal link."""

from __future__ import annotations

import time

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from ombuds.bodies.access import body_or_404
from ombuds.cases import followup_session, hooks, services
from ombuds.cases.complainant_page import NewLinkForm, complainant_page
from ombuds.cases.forms import ComplaintForm, FollowupForm
from ombuds.cases.models import Case, SanctionChoice
from ombuds.cases.respondent_page import respondent_file, respondent_page
from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.core.throttle import throttle_hit
from ombuds.register.models import Sanction
from ombuds.register.public import public_sanctions_q


def provisions_citable(organization):
    """The provisions a complaint may cite: the leaves of the code in force, in order."""
    return provisions_of(current_version(organization))


def provisions_of(version):
    """The leaves of a version of the code (None: no code), in order."""
    if version is None:
        return Provision.objects.none()
    return (
        version.provisions.exclude(citation="").filter(children__isnull=True).order_by("position")
    )


def _private(response: HttpResponse) -> HttpResponse:
    """A page that holds a secret (a receipt code, a respondent's personal link): its address is not
    sent on to other sites, and search engines leave it alone. ("no-referrer" would do too much:
    the browser would then send its forms with "Origin: null", which the CSRF check refuses.)"""
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _rate_limited(request: HttpRequest, organization, throttled) -> HttpResponse:
    response = render(
        request,
        "register/rate_limited.html",
        {"body": organization, "throttled": throttled},
        status=429,
    )
    response["Retry-After"] = str(throttled.retry_after)
    return response


@csrf_protect
@never_cache
def complaint_form(request: HttpRequest, org: str) -> HttpResponse:
    organization = body_or_404(org)
    try:
        # Read once for the page and the filing: the procedure and the code in force.
        read = services.in_force(organization)
    except services.CaseRefused:
        return render(request, "cases/closed.html", {"body": organization}, status=404)
    procedure = read.procedure
    source = hooks.proof_of_efforts()
    posted = request.method == "POST"
    # Sent from a client's page at a member agency: a new form, with that record attached (the
    # token travels in the POST, never in an address).
    starting = posted and request.POST.get("start") == "first_tier"
    link = request.POST.get("first_tier_link", "") if posted else ""
    attached = source.find(organization, link) if source and link.strip() else None
    posted = posted and not starting
    form = ComplaintForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        provisions=provisions_of(read.version),
        initial=source.initial(attached, link) if starting and attached else None,
    )
    context = {
        "body": organization,
        "form": form,
        "procedure": procedure,
        "first_tier": attached,
        # Nothing sent, nothing filled in: the page's fields are those of `blank_complaint_form`.
        "blank": not form.is_bound and not form.initial and attached is None,
    }
    if posted:
        throttled = throttle_hit(request, "complaint")
        if throttled is not None:
            # The form again, as it was typed (the files apart), with the reason it was not sent.
            response = render(
                request, "cases/complain.html", {**context, "throttled": throttled}, status=429
            )
            response["Retry-After"] = str(throttled.retry_after)
            return response
        valid = form.is_valid()
        # Looked up even when something else is wrong, so that every problem is listed at once.
        person, agency, problem = services.respondent_lookup(organization, form.cleaned_data)
        if problem:
            form.add_error("respondent_number", problem)
        if link.strip() and attached is None:
            form.add_error("first_tier_link", _unknown_link(organization))
        if valid and not form.errors:
            filed = _file(organization, form, person, agency, read)
            if filed is not None:
                case = filed.case
                # Sent twice (a double tap): the second answer may be the one the browser shows,
                # so it shows the receipt code too. Only the browser holding the form's random
                # submission key can get here. The complainant's own session, never the account's
                # (`followup_session`), and it replaces any follow-up open in this browser.
                receipt = bool(case.receipt_code and (filed.receipt_code or filed.duplicate))
                return followup_session.write(
                    request,
                    redirect("cases:filed", org=case.organization.slug, reference=case.reference),
                    {
                        "filed": case.reference,
                        # Until when a reload of the receipt page shows the code again.
                        "receipt_until": int(time.time()) + RECEIPT_SHOWN_FOR if receipt else 0,
                    },
                )
    return render(request, "cases/complain.html", context, status=400 if form.errors else 200)


def _unknown_link(organization) -> str:
    source = hooks.proof_of_efforts()
    if source is None:
        return "A complaint made to an agency first cannot be attached here."
    return source.unknown_link(organization)


def _file(
    organization, form: ComplaintForm, person, agency, read: services.InForce
) -> services.Filed | None:
    """File the complaint the form holds; None, with the service's reasons on the form, if refused."""
    data = form.cleaned_data
    anonymous = data["who"] == "anonymous"
    complaint = services.Complaint(
        what_happened=data["what_happened"],
        respondent_name=data["respondent_name"],
        respondent_person=person,
        respondent_agency=agency,
        respondent_details=data["respondent_details"],
        anonymous=anonymous,
        complainant_name=data["complainant_name"],
        complainant_email=data["complainant_email"],
        complainant_phone=data["complainant_phone"],
        complainant_relation=data["complainant_relation"],
        consent_to_share=data["consent_to_share"],
        passphrase=data["passphrase"],
        happened_on=data["happened_on"],
        happened_until=data["happened_until"],
        outcome_sought=data["outcome_sought"],
        provisions=list(data.get("provisions") or []),
        files=data["files"],
        channel=Case.Channel.WEB,
        submission_key=data["submission_key"],
        first_tier_link=data.get("first_tier_link", ""),
    )
    try:
        return services.case_file(organization=organization, complaint=complaint, read=read)
    except services.CaseRefused as exc:
        for problem in exc.problems:
            form.add_error(None, problem)
        return None


# How long after filing the receipt page shows the code again (a reload, the back button), in the
# browser that filed only: the code is already kept with the case; the complainant's short-lived
# cookie holds only the reference and this time, nothing of who they are.
RECEIPT_SHOWN_FOR = 10 * 60  # seconds


@never_cache
def complaint_filed(request: HttpRequest, org: str, reference: str) -> HttpResponse:
    """The acknowledgement page, for the browser that filed the complaint only; an anonymous
    complainant's receipt code is shown here, again on a reload for RECEIPT_SHOWN_FOR. Anywhere
    else (another browser, later, after signing in) a page that says it cannot be shown again and
    how to follow the complaint up, without saying whether the reference exists."""
    organization = body_or_404(org)
    filed = followup_session.read(request)
    if filed.get("filed") != reference:
        response = render(request, "cases/filed_gone.html", {"body": organization}, status=404)
        return _private(response)
    case = get_object_or_404(Case, organization=organization, reference=reference)
    until = filed.get("receipt_until")
    showing = isinstance(until, int) and time.time() < until
    response = render(
        request,
        "cases/filed.html",
        {
            "body": organization,
            "case": case,
            "receipt": case.receipt_code if showing else "",
            "receipt_until": until if showing else None,
            "procedure": services.procedure_of(case),
        },
    )
    return _private(followup_session.write(request, response, filed))


def _followup_sign_in(request: HttpRequest, organization) -> HttpResponse:
    """The receipt code and passphrase sent: the case's page, or the form again with one answer
    for a wrong code, a wrong passphrase or another body's case (attempts are limited)."""
    throttled = throttle_hit(request, "followup")
    if throttled is not None:
        return _rate_limited(request, organization, throttled)
    form = FollowupForm(request.POST)
    if form.is_valid():
        found = services.followup_case(
            form.cleaned_data["receipt_code"], form.cleaned_data["passphrase"]
        )
        if found is None or found.organization_id != organization.pk:
            # One answer for a wrong code, a wrong passphrase or another body's case.
            form.add_error(None, "That receipt code and passphrase do not match a complaint.")
        else:
            # The complainant's own short-lived session, replacing whatever this browser held
            # (`followup_session`): forgotten when the browser closes, or after half an hour idle.
            return followup_session.write(
                request, redirect("cases:followup", org=organization.slug), {"case": found.pk}
            )
    return _private(
        render(
            request,
            "cases/followup_sign_in.html",
            {"body": organization, "form": form},
            status=400,
        )
    )


@csrf_protect
@never_cache
def followup(request: HttpRequest, org: str) -> HttpResponse:
    """An anonymous complainant reads the case's status and exchanges messages with the body."""
    organization = body_or_404(org)
    if request.method == "POST" and "receipt_code" in request.POST:
        return _followup_sign_in(request, organization)
    if request.method == "POST" and request.POST.get("action") == "sign_out":
        return followup_session.end(redirect("cases:followup", org=organization.slug))
    case = None
    case_id = followup_session.case_id(request)
    if case_id:
        case = (
            Case.objects.filter(pk=case_id, organization=organization, anonymous=True)
            .select_related("handler")
            .first()
        )
    if case is None:
        return _private(
            render(
                request,
                "cases/followup_sign_in.html",
                {"body": organization, "form": FollowupForm()},
            )
        )
    # The same page as a named complainant's link (`complainant_page`), kept in this door's cookie.
    return _followup_kept(
        request,
        case,
        complainant_page(
            request,
            case,
            actor_label="anonymous complainant",
            context={"door": "followup"},
        ),
    )


def _followup_kept(request: HttpRequest, case: Case, response: HttpResponse) -> HttpResponse:
    """A follow-up page's answer: private, and the complainant's session kept for another
    half hour from now (idle that long, it ends)."""
    return _private(followup_session.write(request, response, {"case": case.pk}))


@csrf_protect
@never_cache
def complainant_case(request: HttpRequest, org: str, token: str) -> HttpResponse:
    """A named complainant's page through their personal link (see `complainant_page`); one
    neutral answer for an unknown, expired or revoked link, another body's, or a respondent's."""
    organization = body_or_404(org)
    case = services.complainant_link_case(token)
    if case is None or case.organization_id != organization.pk:
        return _private(
            render(
                request,
                "cases/closed.html",
                {"link_gone": True, "complainant_body": organization},
                status=404,
            )
        )
    return _private(
        complainant_page(request, case, actor_label="complainant (link)", context={"door": "link"})
    )


@csrf_protect
@never_cache
def complainant_new_link(request: HttpRequest, org: str) -> HttpResponse:
    """The page for "send me a new link": the same answer whatever the address (a complaint or none), so that
    nobody learns who complained; attempts are limited like the follow-up's."""
    organization = body_or_404(org)
    form = NewLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        throttled = throttle_hit(request, "followup")
        if throttled is not None:
            return _rate_limited(request, organization, throttled)
        if form.is_valid():
            services.complainant_link_renew(
                organization=organization, email=form.cleaned_data["email"]
            )
            messages.success(
                request,
                gettext(
                    "If that address made a complaint to us, a new link to follow it is on its "
                    "way there. It can take a few minutes."
                ),
            )
            return redirect("cases:complainant_new_link", org=organization.slug)
    return _private(
        render(
            request,
            "cases/complainant_new_link.html",
            {"body": organization, "form": form},
            status=400 if form.errors else 200,
        )
    )


class _LinkGone(Exception):
    pass


def _respondent_case(token: str) -> Case:
    case = services.respondent_link_case(token)
    if case is None:
        raise _LinkGone
    return case


def _link_gone(request: HttpRequest) -> HttpResponse:
    """The one answer for an unknown, expired or revoked link: which it is, is nobody's business."""
    return _private(render(request, "cases/closed.html", {"link_gone": True}, status=404))


@csrf_protect
@never_cache
def respondent_case(request: HttpRequest, token: str) -> HttpResponse:
    """The respondent's page through their personal link (see `respondent_page`)."""
    try:
        case = _respondent_case(token)
    except _LinkGone:
        return _link_gone(request)
    return respondent_page(
        request,
        case,
        document_url=lambda d: reverse(
            "cases:respondent_document", kwargs={"token": token, "doc": d.token}
        ),
    )


@never_cache
def respondent_document(request: HttpRequest, token: str, doc: str) -> HttpResponse:
    try:
        case = _respondent_case(token)
    except _LinkGone:
        return _link_gone(request)
    return respondent_file(case, doc, viewer_label="respondent (link)")


def decision(request: HttpRequest, org: str, reference: str) -> HttpResponse:
    """A case's published decision: the sanction, the provisions it cites and the committee's
    determinations with their reasons, for as long as the body's publication policy makes the
    sanction public. Never the complainant, the complaint's own words, or the case's file."""
    organization = body_or_404(org)
    today = timezone.localdate()
    choice = (
        SanctionChoice.objects.filter(
            case__organization=organization,
            case__reference=reference,
            sanction__isnull=False,
        )
        .select_related("case", "sanction")
        .first()
    )
    public = Sanction.objects.filter(public_sanctions_q(today))
    if choice is None or not public.filter(pk=choice.sanction_id).exists():
        raise Http404("no published decision with that reference")
    case = choice.case
    return render(
        request,
        "cases/decision.html",
        {
            "body": organization,
            "case": case,
            "sanction": choice.sanction,
            "provisions": choice.sanction.provisions.select_related("version").order_by("position"),
            "upheld": case.allegations.filter(determination="upheld").prefetch_related(
                "provisions"
            ),
        },
    )
