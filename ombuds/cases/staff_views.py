"""Staff pages for cases: the inbox, a case with the steps open now, and complaints received by
phone, letter or in person. Every page checks the viewer's role on the body and on the case (a
recused person does not see the case at all); every change goes through `ombuds.cases.services`."""

from __future__ import annotations

import secrets
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ombuds.audit.services import events_for
from ombuds.cases import services
from ombuds.cases.models import Case, CaseDeadline, Document, Recusal
from ombuds.cases.procedure import BODY_ROLES
from ombuds.cases.staff_forms import (
    AllegationForm,
    DeterminationForm,
    DocumentForm,
    RecusalForm,
    SanctionChoiceForm,
    StaffComplaintForm,
    StaffMessageForm,
    StepForm,
)
from ombuds.register.models import BodyRole
from ombuds.register.selectors import organization_get, user_roles

INBOX_PAGE = 50


def case_roles_required(view):
    """The body is in the URL; the viewer needs a case role on it (chair, committee, investigator,
    staff, administrator). Anonymous users go to sign in; others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = organization_get(org)
        roles = user_roles(request.user, organization) & BODY_ROLES
        if request.user.is_superuser and request.user.is_active:
            roles |= {"administrator"}
        if not roles:
            raise PermissionDenied("You have no role on this body's cases.")
        return view(request, organization, *args, **kwargs)

    return wrapper


def _visible_cases(request: HttpRequest, organization):
    """The body's cases, without those the viewer is recused from."""
    recused = Recusal.objects.filter(case=OuterRef("pk"), user=request.user)
    return Case.objects.filter(organization=organization).exclude(Exists(recused))


@case_roles_required
def inbox(request: HttpRequest, organization) -> HttpResponse:
    today = timezone.localdate()
    procedure = services.procedure_of(organization)
    cases = _visible_cases(request, organization)
    overdue = CaseDeadline.objects.filter(
        case=OuterRef("pk"), met_at__isnull=True, expired_at__isnull=True, due_on__lt=today
    )
    state = request.GET.get("state", "")
    if state == "open":
        cases = cases.filter(closed_at__isnull=True)
    elif state in procedure.states:
        cases = cases.filter(state=state)
    if request.GET.get("overdue"):
        cases = cases.filter(Exists(overdue))
    if request.GET.get("mine"):
        cases = cases.filter(handler=request.user)
    respondent = request.GET.get("respondent", "").strip()[:100]
    if respondent:
        cases = cases.filter(respondent_name__icontains=respondent)
    provision = request.GET.get("provision", "").strip()[:30]
    if provision:
        cases = cases.filter(allegations__provisions__citation__iexact=provision).distinct()
    order = {
        "oldest": "filed_at",
        "newest": "-filed_at",
        "due": "next_due",
    }.get(request.GET.get("sort", ""), "-filed_at")
    from django.db.models import Min

    cases = cases.annotate(
        next_due=Min(
            "deadlines__due_on",
            filter=Q(deadlines__met_at__isnull=True, deadlines__expired_at__isnull=True),
        ),
        is_overdue=Exists(overdue),
    ).select_related("handler")
    if order == "next_due":
        from django.db.models import F

        cases = cases.order_by(F("next_due").asc(nulls_last=True), "-filed_at")
    else:
        cases = cases.order_by(order)
    counts = dict(
        _visible_cases(request, organization)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    rows = list(cases[:INBOX_PAGE])
    return render(
        request,
        "cases/staff/inbox.html",
        {
            "body": organization,
            "procedure": procedure,
            "cases": rows,
            "states": [(s, procedure.states[s].label, counts.get(s, 0)) for s in procedure.states],
            "total": sum(counts.values()),
            "filters": request.GET,
            "limit": INBOX_PAGE,
            "today": today,
        },
    )


def _case(request: HttpRequest, organization, reference: str) -> Case:
    case = get_object_or_404(
        Case.objects.select_related(
            "organization", "handler", "respondent_person", "respondent_agency", "code_version"
        ),
        organization=organization,
        reference=reference,
    )
    if not services.roles_on_case(request.user, case):
        # Recused: the case is hidden, as if it did not exist.
        raise Http404("no such case")
    return case


@case_roles_required
def case_detail(request: HttpRequest, organization, reference: str) -> HttpResponse:
    case = _case(request, organization, reference)
    procedure = services.procedure_of(case)
    roles = services.roles_on_case(request.user, case)
    steps = procedure.available(case.state, roles, services.facts(case))
    forms = {}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    for step in steps:
        bound = action == f"step:{step.name}"
        forms[step.name] = StepForm(
            request.POST if bound else None,
            request.FILES if bound else None,
            transition=step,
            initial={"version": case.version},
        )
    provisions = (
        case.code_version.provisions.exclude(citation="").order_by("position")
        if case.code_version
        else case.allegations.none()
    )
    allegation_form = AllegationForm(
        request.POST if action == "allegation" else None,
        provisions=provisions,
        initial={"version": case.version},
    )
    sanction_form = SanctionChoiceForm(
        request.POST if action == "sanction" else None, initial={"version": case.version}
    )
    message_form = StaffMessageForm(request.POST if action == "message" else None)
    document_form = DocumentForm(
        request.POST if action == "document" else None,
        request.FILES if action == "document" else None,
    )
    users = BodyRole.objects.filter(organization=organization).values_list("user", flat=True)
    from django.contrib.auth import get_user_model

    recusal_form = RecusalForm(
        request.POST if action == "recusal" else None,
        users=get_user_model().objects.filter(pk__in=users).order_by("username"),
    )
    determination_error = ""
    if request.method == "POST":
        try:
            done = _act(
                request,
                case,
                action,
                forms=forms,
                allegation_form=allegation_form,
                sanction_form=sanction_form,
                message_form=message_form,
                document_form=document_form,
                recusal_form=recusal_form,
            )
        except services.CaseRefused as exc:
            if action == "determination":
                determination_error = str(exc)
            else:
                target = {
                    "allegation": allegation_form,
                    "sanction": sanction_form,
                    "message": message_form,
                    "document": document_form,
                    "recusal": recusal_form,
                }.get(action) or forms.get(action.removeprefix("step:"))
                for problem in exc.problems:
                    if target is not None:
                        target.add_error(None, problem)
                    else:
                        messages.error(request, problem)
                done = None
        if done:
            messages.success(request, done)
            return redirect("cases_staff:case", org=organization.slug, reference=case.reference)
    invalid = any(
        f.is_bound and f.errors
        for f in [
            *forms.values(),
            allegation_form,
            sanction_form,
            message_form,
            document_form,
            recusal_form,
        ]
    ) or bool(determination_error)
    return render(
        request,
        "cases/staff/case.html",
        {
            "body": organization,
            "case": case,
            "procedure": procedure,
            "state": procedure.state(case.state),
            "roles": roles,
            "steps": [(step, forms[step.name]) for step in steps],
            "allegations": case.allegations.prefetch_related("provisions").select_related(
                "determined_by"
            ),
            "deciding": case.state in services.DECIDING_STATES and roles & services.DECIDERS,
            "determination_error": determination_error,
            "can_choose_sanction": case.state == "sanction" and roles & services.DECIDERS,
            "sanction_choice": services.SanctionChoice.objects.filter(case=case).first(),
            "allegation_form": allegation_form,
            "sanction_form": sanction_form,
            "message_form": message_form,
            "document_form": document_form,
            "recusal_form": recusal_form,
            "deadlines": case.deadlines.all(),
            "documents": case.documents.select_related("uploaded_by"),
            "messages_list": case.messages.select_related("author"),
            "notices": case.notices.all(),
            "recusals": case.recusals.select_related("user"),
            "timeline": events_for("case", case.pk),
            "today": timezone.localdate(),
            "credentials_memberships": services.respondent_records(case),
        },
        status=400 if invalid else 200,
    )


def _version(form) -> int | None:
    return form.cleaned_data.get("version") if form.is_valid() else None


def _act(
    request,
    case,
    action,
    *,
    forms,
    allegation_form,
    sanction_form,
    message_form,
    document_form,
    recusal_form,
) -> str | None:
    """Carry out one posted action; the message to show, or None when the form has errors."""
    user = request.user
    if action.startswith("step:"):
        form = forms.get(action.removeprefix("step:"))
        if form is None:
            raise services.CaseRefused(
                "that step is not open to you now (the case may have moved on): reload the page"
            )
        if not form.is_valid():
            return None
        inputs, files = form.inputs_and_files()
        services.case_step(
            case=case,
            step=form.transition.name,
            acting_user=user,
            inputs=inputs,
            files=files,
            expected_version=form.cleaned_data["version"],
        )
        return f"Done: {form.transition.label}."
    if action == "determination":
        form = DeterminationForm(request.POST)
        if not form.is_valid():
            raise services.CaseRefused([f"{f}: {' '.join(e)}" for f, e in form.errors.items()])
        allegation = get_object_or_404(case.allegations, position=form.cleaned_data["allegation"])
        services.determination_record(
            allegation=allegation,
            determination=form.cleaned_data["determination"],
            reasons=form.cleaned_data["reasons"],
            acting_user=user,
            expected_version=form.cleaned_data["version"],
        )
        return f"Allegation {allegation.position} decided."
    if action == "allegation":
        if not allegation_form.is_valid():
            return None
        data = allegation_form.cleaned_data
        services.allegation_add(
            case=case,
            summary=data["summary"],
            provisions=list(data["provisions"]),
            source=data["source"],
            acting_user=user,
            expected_version=data["version"],
        )
        return "Allegation added."
    if action == "sanction":
        if not sanction_form.is_valid():
            return None
        data = sanction_form.cleaned_data
        services.sanction_choose(
            case=case,
            kind=data["kind"],
            summary=data["summary"],
            effective_from=data["effective_from"],
            effective_until=data["effective_until"],
            publication=data["publication"],
            public_until=data["public_until"],
            conditions=data["conditions"],
            provisions=[
                p
                for a in case.allegations.filter(determination="upheld")
                for p in a.provisions.all()
            ],
            acting_user=user,
            expected_version=data["version"],
        )
        return "Sanction chosen: impose it with the step below."
    if action == "message":
        if not message_form.is_valid():
            return None
        services.message_post(
            case=case,
            audience=message_form.cleaned_data["audience"],
            body=message_form.cleaned_data["body"],
            acting_user=user,
        )
        return (
            "Message saved."
            if message_form.cleaned_data["audience"] == "internal"
            else "Message sent."
        )
    if action == "document":
        if not document_form.is_valid():
            return None
        upload = document_form.cleaned_data["file"]
        services.document_add(
            case=case,
            name=upload.name,
            data=upload.read(),
            kind=document_form.cleaned_data["kind"],
            visibility=document_form.cleaned_data["visibility"],
            acting_user=user,
        )
        return "Document added."
    if action == "recusal":
        if not recusal_form.is_valid():
            return None
        if not services.roles_on_case(user, case) & {"ethics_chair", "administrator", "staff"}:
            raise services.CaseRefused("only the chair, an administrator or staff record a recusal")
        services.recusal_record(
            case=case,
            user=recusal_form.cleaned_data["user"],
            reason=recusal_form.cleaned_data["reason"],
            acting_user=user,
        )
        return "Recusal recorded: the case is now hidden from them."
    if action == "take":
        services.case_handler_set(case=case, handler=user, acting_user=user)
        return "You now handle this case."
    if action == "resend":
        services.respondent_notice_resend(case=case, acting_user=user)
        return "A new link was sent to the respondent."
    raise services.CaseRefused("unknown action")


@case_roles_required
def case_document(request: HttpRequest, organization, reference: str, token: str) -> FileResponse:
    """A case document, to those entitled: the viewing itself goes on the record."""
    case = _case(request, organization, reference)
    document = get_object_or_404(Document, case=case, token=token, purged_at__isnull=True)
    services.document_viewed(document=document, viewer=request.user)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@case_roles_required
def case_notice(request: HttpRequest, organization, reference: str, pk: int) -> HttpResponse:
    """A notice as a printable document."""
    case = _case(request, organization, reference)
    notice = get_object_or_404(case.notices, pk=pk)
    return render(
        request, "cases/staff/notice.html", {"body": organization, "case": case, "notice": notice}
    )


@case_roles_required
def staff_complaint(request: HttpRequest, organization) -> HttpResponse:
    """A complaint received by phone, letter, email or in person, entered by staff."""
    from ombuds.cases.views import _provisions, _respondent_records

    form = StaffComplaintForm(request.POST or None, provisions=_provisions(organization))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person, agency, problem = _respondent_records(organization, {**data, "respondent_kind": ""})
        if problem:
            form.add_error("respondent_number", problem)
        else:
            passphrase = secrets.token_urlsafe(12) if data["anonymous"] else ""
            try:
                filed = services.case_file(
                    organization=organization,
                    complaint=services.Complaint(
                        what_happened=data["what_happened"],
                        respondent_name=data["respondent_name"],
                        respondent_person=person,
                        respondent_agency=agency,
                        respondent_email=data["respondent_email"],
                        anonymous=data["anonymous"],
                        complainant_name=data["complainant_name"],
                        complainant_email=data["complainant_email"],
                        complainant_phone=data["complainant_phone"],
                        complainant_relation=data["complainant_relation"],
                        consent_to_share=data["consent_to_share"],
                        passphrase=passphrase,
                        happened_on=data["happened_on"],
                        provisions=list(data["provisions"]),
                        channel=data["channel"],
                    ),
                    acting_user=request.user,
                )
            except services.CaseRefused as exc:
                for p in exc.problems:
                    form.add_error(None, p)
            else:
                if filed.receipt_code:
                    messages.warning(
                        request,
                        f"Give the complainant their receipt code {filed.receipt_code} and "
                        f"passphrase {passphrase}: they are shown only now.",
                    )
                messages.success(request, f"Case {filed.case.reference} opened.")
                return redirect(
                    "cases_staff:case", org=organization.slug, reference=filed.case.reference
                )
    return render(
        request,
        "cases/staff/complaint.html",
        {"body": organization, "form": form},
        status=400 if form.errors else 200,
    )
