"""Public case pages: anyone complains (no account, on a phone), an anonymous complainant follows
the case with a receipt code and passphrase, and a respondent answers through a personal link."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from ombuds.cases import services
from ombuds.cases.forms import AnswerForm, ComplaintForm, FollowupForm, PartyMessageForm
from ombuds.cases.models import Case, Document, Message, Notice
from ombuds.register.public import throttle_hit
from ombuds.register.selectors import organization_get

FOLLOWUP_SESSION = "ombuds:followup-case"


def _provisions(organization):
    from ombuds.codes.models import Provision
    from ombuds.codes.selectors import current_version

    version = current_version(organization)
    if version is None:
        return Provision.objects.none()
    return (
        version.provisions.exclude(citation="").filter(children__isnull=True).order_by("position")
    )


def _respondent_records(organization, data) -> tuple[object | None, object | None, str]:
    """The register entry the complainant named by number, or by an agency's exact name."""
    from ombuds.register.models import Agency, Credential, Membership
    from ombuds.register.names import normalise_name
    from ombuds.register.public import number_variants

    number = (data.get("respondent_number") or "").strip()
    if number:
        variants = number_variants(number)
        credential = (
            Credential.objects.filter(program__organization=organization, number__in=variants)
            .select_related("holder")
            .first()
        )
        if credential:
            return credential.holder, None, ""
        membership = (
            Membership.objects.filter(organization=organization, number__in=variants)
            .select_related("person", "agency")
            .first()
        )
        if membership:
            return membership.person, membership.agency, ""
        return (
            None,
            None,
            (
                f"No credential or membership numbered {number} is on {organization.short_name}'s "
                "register. Check it, or leave it empty."
            ),
        )
    if data.get("respondent_kind") == "agency":
        wanted = normalise_name(data.get("respondent_name", ""))
        if wanted:
            found = [
                a
                for a in Agency.objects.filter(organization=organization)
                if wanted in {normalise_name(n) for n in [a.legal_name, *a.trade_names]}
            ]
            if len(found) == 1:
                return None, found[0], ""
    return None, None, ""


@csrf_protect
@never_cache
def complaint_form(request: HttpRequest, org: str) -> HttpResponse:
    organization = organization_get(org)
    try:
        procedure = services.procedure_of(organization)
    except services.CaseRefused as exc:
        return render(
            request,
            "cases/closed.html",
            {"body": organization, "reason": str(exc)},
            status=404,
        )
    form = ComplaintForm(
        request.POST or None, request.FILES or None, provisions=_provisions(organization)
    )
    if request.method == "POST":
        throttled = throttle_hit(request, "complaint")
        if throttled is not None:
            response = render(
                request, "register/rate_limited.html", {"throttled": throttled}, status=429
            )
            response["Retry-After"] = str(throttled.retry_after)
            return response
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person, agency, problem = _respondent_records(organization, data)
        if problem:
            form.add_error("respondent_number", problem)
        else:
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
                consent_to_share=data["consent_to_share"] and not anonymous,
                passphrase=data["passphrase"] if anonymous else "",
                happened_on=data["happened_on"],
                happened_until=data["happened_until"],
                outcome_sought=data["outcome_sought"],
                provisions=list(data.get("provisions") or []),
                files=[(f.name, f.read()) for f in data["files"]],
                channel=Case.Channel.WEB,
                submission_key=data["submission_key"],
            )
            try:
                filed = services.case_file(organization=organization, complaint=complaint)
            except services.CaseRefused as exc:
                for problem in exc.problems:
                    form.add_error(None, problem)
            else:
                if filed.receipt_code:
                    request.session[f"ombuds:receipt:{filed.case.reference}"] = filed.receipt_code
                request.session["ombuds:filed"] = filed.case.reference
                return redirect(
                    "cases:filed", org=organization.slug, reference=filed.case.reference
                )
    return render(
        request,
        "cases/complain.html",
        {"body": organization, "form": form, "procedure": procedure},
        status=400 if form.errors else 200,
    )


@never_cache
def complaint_filed(request: HttpRequest, org: str, reference: str) -> HttpResponse:
    """The acknowledgement page, for the browser that filed the complaint only; an anonymous
    complainant's receipt code is shown here once."""
    organization = organization_get(org)
    if request.session.get("ombuds:filed") != reference:
        raise Http404("no complaint filed from this browser under that reference")
    case = get_object_or_404(Case, organization=organization, reference=reference)
    receipt = request.session.pop(f"ombuds:receipt:{reference}", "")
    return render(
        request,
        "cases/filed.html",
        {
            "body": organization,
            "case": case,
            "receipt": receipt,
            "procedure": services.procedure_of(case),
        },
    )


@csrf_protect
@never_cache
def followup(request: HttpRequest, org: str) -> HttpResponse:
    """An anonymous complainant reads the case's status and exchanges messages with the body."""
    organization = organization_get(org)
    case = None
    case_id = request.session.get(FOLLOWUP_SESSION)
    if case_id:
        case = Case.objects.filter(pk=case_id, organization=organization).first()
    form = FollowupForm()
    message_form = PartyMessageForm()
    if request.method == "POST" and "receipt_code" in request.POST:
        form = FollowupForm(request.POST)
        throttled = throttle_hit(request, "followup")
        if throttled is not None:
            response = render(
                request, "register/rate_limited.html", {"throttled": throttled}, status=429
            )
            response["Retry-After"] = str(throttled.retry_after)
            return response
        if form.is_valid():
            found = services.followup_case(
                form.cleaned_data["receipt_code"], form.cleaned_data["passphrase"]
            )
            if found is None or found.organization_id != organization.pk:
                form.add_error(None, "That receipt code and passphrase do not match a complaint.")
            else:
                request.session.cycle_key()
                request.session[FOLLOWUP_SESSION] = found.pk
                return redirect("cases:followup", org=organization.slug)
        return render(
            request, "cases/followup_sign_in.html", {"body": organization, "form": form}, status=400
        )
    if request.method == "POST" and request.POST.get("action") == "sign_out":
        request.session.pop(FOLLOWUP_SESSION, None)
        return redirect("cases:followup", org=organization.slug)
    if case is None:
        return render(request, "cases/followup_sign_in.html", {"body": organization, "form": form})
    if request.method == "POST":
        message_form = PartyMessageForm(request.POST)
        if message_form.is_valid():
            services.message_post(
                case=case,
                audience=Message.Audience.COMPLAINANT,
                body=message_form.cleaned_data["body"],
                actor_label="anonymous complainant" if case.anonymous else "complainant",
                from_party=True,
            )
            messages.success(request, "Your message was sent.")
            return redirect("cases:followup", org=organization.slug)
    procedure = services.procedure_of(case)
    return render(
        request,
        "cases/followup.html",
        {
            "body": organization,
            "case": case,
            "state": procedure.state(case.state),
            "messages_list": case.messages.filter(audience=Message.Audience.COMPLAINANT),
            "notices": case.notices.filter(recipient_role="complainant").exclude(
                status=Notice.Status.PENDING
            ),
            "form": message_form,
        },
        status=400 if message_form.errors else 200,
    )


def _respondent_case(token: str) -> Case:
    case = services.respondent_link_case(token)
    if case is None:
        raise Http404("This link is unknown or has expired. Ask the body for a new one.")
    return case


@csrf_protect
@never_cache
def respondent_case(request: HttpRequest, token: str) -> HttpResponse:
    """What the respondent may see and do: the allegations with their provisions, the deadlines,
    messages with them, their documents; answer, upload, and the steps the procedure gives them.
    Never the complainant's identity without consent, nor internal notes."""
    case = _respondent_case(token)
    procedure = services.procedure_of(case)
    form = AnswerForm()
    step_error = ""
    if request.method == "POST" and request.POST.get("step"):
        step = request.POST["step"]
        try:
            services.case_step(
                case=case,
                step=step,
                roles={"respondent"},
                actor_label="respondent (link)",
                inputs={
                    k: v
                    for k, v in request.POST.items()
                    if k not in ("csrfmiddlewaretoken", "step")
                },
                expected_version=int(request.POST.get("version") or 0) or None,
            )
        except (services.CaseRefused, ValueError) as exc:
            step_error = str(exc)
        else:
            messages.success(request, "Done: the body has been told.")
            return redirect("cases:respondent", token=token)
    elif request.method == "POST":
        form = AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.respondent_answer(
                    case=case,
                    body=form.cleaned_data["body"],
                    files=[(f.name, f.read()) for f in form.cleaned_data["files"]],
                )
            except services.CaseRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your answer was sent.")
                return redirect("cases:respondent", token=token)
    steps = procedure.available(case.state, {"respondent"}, services.facts(case))
    return render(
        request,
        "cases/respondent.html",
        {
            "body": case.organization,
            "case": case,
            "token": token,
            "state": procedure.state(case.state),
            "allegations": case.allegations.prefetch_related("provisions"),
            "deadlines": case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True),
            "messages_list": case.messages.filter(audience=Message.Audience.RESPONDENT),
            "documents": case.documents.filter(
                visibility__in=[Document.Visibility.RESPONDENT, Document.Visibility.PARTIES],
                purged_at__isnull=True,
            ),
            "steps": steps,
            "step_error": step_error,
            "form": form,
            "show_complainant": case.consent_to_share,
        },
        status=400 if (form.errors or step_error) else 200,
    )


@never_cache
def respondent_document(request: HttpRequest, token: str, doc: str) -> FileResponse:
    case = _respondent_case(token)
    document = get_object_or_404(
        Document,
        case=case,
        token=doc,
        visibility__in=[Document.Visibility.RESPONDENT, Document.Visibility.PARTIES],
        purged_at__isnull=True,
    )
    services.document_viewed(document=document, viewer_label="respondent (link)")
    return _file_response(document)


def _file_response(document: Document) -> FileResponse:
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
