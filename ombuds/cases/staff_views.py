"""Staff pages for cases: the inbox, a case with the steps open now, and complaints received by
phone, letter or in person. Every page checks the viewer's role on the body and on the case (a
recused person does not see the case at all); every change goes through `ombuds.cases.services`.

Who may do what on these pages:

- any role on the body (administrator, ethics chair, committee member, investigator, staff; a
  superuser acts as administrator) opens the inbox, a case, its documents and its notices;
- complaints received by phone, letter or in person are entered by those who take complaints in
  (`INTAKE_ROLES`);
- recusals are recorded by the chair, an administrator or staff (`RECUSAL_ROLES`);
- the procedure's steps, determinations and the sanction are offered as the procedure and the
  services allow the viewer's roles, and the services decide again when a form is sent.

A refused or invalid form answers 400 with every problem listed, next to the form it concerns (or
at the top of the page when that form is not shown to the viewer).
"""

from __future__ import annotations

import secrets
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ombuds.audit.services import events_for
from ombuds.cases import services
from ombuds.cases.models import (
    Allegation,
    Case,
    CaseDeadline,
    Document,
    Message,
    Notice,
    Recusal,
)
from ombuds.cases.procedure import BODY_ROLES, Procedure, more_time_key, parse_date
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
from ombuds.codes.models import Provision
from ombuds.core.http import private
from ombuds.register.models import BodyRole, Sanction
from ombuds.register.selectors import organization_get, user_roles

INBOX_PAGE = 50
# Who enters a complaint received by phone, letter or in person: those who take complaints in (the
# procedures' acknowledging step), not the committee that decides them nor the investigator.
INTAKE_ROLES = frozenset({"administrator", "ethics_chair", "staff"})
RECUSAL_ROLES = frozenset({"administrator", "ethics_chair", "staff"})
INBOX_SORTS = {"newest": "-filed_at", "oldest": "filed_at", "due": "next_due"}
# Where an anonymous complainant's receipt code and passphrase wait, server-side, to be shown once.
STAFF_RECEIPT_SESSION = "ombuds:staff-receipt:{reference}"


def _body_roles(user, organization) -> set[str]:
    roles = user_roles(user, organization) & BODY_ROLES
    if user.is_superuser and user.is_active:
        roles |= {"administrator"}
    return roles


def case_roles_required(view):
    """The body is in the URL; the viewer needs a case role on it (chair, committee, investigator,
    staff, administrator). Anonymous users go to sign in; others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, org: str, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = organization_get(org)
        roles = _body_roles(request.user, organization)
        if not roles:
            raise PermissionDenied("You have no role on this body's cases.")
        request.body_roles = roles
        return view(request, organization, *args, **kwargs)

    return wrapper


def _body_procedure(organization) -> Procedure | None:
    """The procedure the body's cases follow, also while its public complaint form is closed (the
    cases already filed are still worked on); None when the body has none."""
    try:
        return services.procedure_of(organization, public=False)
    except services.CaseRefused:
        return None


def _state_label(case: Case) -> str:
    try:
        return services.procedure_of(case).state(case.state).label
    except (services.CaseRefused, services.ProcedureRefused):
        return case.state


def _visible_cases(request: HttpRequest, organization):
    """The body's cases, without those the viewer is recused from."""
    recused = Recusal.objects.filter(case=OuterRef("pk"), user=request.user)
    return Case.objects.filter(organization=organization).exclude(Exists(recused))


@case_roles_required
def inbox(request: HttpRequest, organization) -> HttpResponse:
    today = timezone.localdate()
    procedure = _body_procedure(organization)
    states = dict(procedure.states) if procedure else {}
    visible = _visible_cases(request, organization)
    overdue = CaseDeadline.objects.filter(
        case=OuterRef("pk"), met_at__isnull=True, expired_at__isnull=True, due_on__lt=today
    )
    cases = visible
    state = request.GET.get("state", "")
    if state == "open":
        cases = cases.filter(closed_at__isnull=True)
    elif state in states:
        cases = cases.filter(state=state)
    else:
        state = ""
    if request.GET.get("overdue"):
        cases = cases.filter(Exists(overdue))
    if request.GET.get("mine"):
        cases = cases.filter(handler=request.user)
    respondent = request.GET.get("respondent", "").strip()[:100]
    if respondent:
        cases = cases.filter(respondent_name__icontains=respondent)
    provision = request.GET.get("provision", "").strip()[:30]
    if provision:
        cited = Allegation.provisions.through.objects.filter(
            allegation__case=OuterRef("pk"), provision__citation__iexact=provision
        )
        cases = cases.filter(Exists(cited))
    sort = request.GET.get("sort", "")
    if sort not in INBOX_SORTS:
        sort = "newest"
    matching = cases.count()
    cases = cases.annotate(
        next_due=Min(
            "deadlines__due_on",
            filter=Q(deadlines__met_at__isnull=True, deadlines__expired_at__isnull=True),
        ),
        is_overdue=Exists(overdue),
    ).select_related("handler")
    if sort == "due":
        cases = cases.order_by(F("next_due").asc(nulls_last=True), "-filed_at", "-pk")
    else:
        cases = cases.order_by(INBOX_SORTS[sort], "-pk")
    counts = {
        row["state"]: row
        for row in visible.order_by()
        .values("state")
        .annotate(n=Count("pk"), open=Count("pk", filter=Q(closed_at__isnull=True)))
    }
    rows = list(cases[:INBOX_PAGE])
    for case in rows:
        case.state_label = _state_label(case)
    return private(
        render(
            request,
            "cases/staff/inbox.html",
            {
                "body": organization,
                "procedure": procedure,
                "cases": rows,
                "matching": matching,
                "states": [
                    (key, s.label, counts.get(key, {}).get("n", 0)) for key, s in states.items()
                ],
                "total": sum(row["n"] for row in counts.values()),
                "open_total": sum(row["open"] for row in counts.values()),
                "overdue_total": visible.filter(Exists(overdue)).count(),
                "filters": request.GET,
                "state": state,
                "sort": sort,
                "limit": INBOX_PAGE,
                "today": today,
                "can_enter": bool(request.body_roles & INTAKE_ROLES),
            },
        )
    )


def _case(request: HttpRequest, organization, reference: str) -> tuple[Case, set[str]]:
    """The body's case and the viewer's roles on it; 404 when the viewer is recused from it (as if
    it did not exist) or it is another body's."""
    case = get_object_or_404(
        Case.objects.select_related(
            "organization", "handler", "respondent_person", "respondent_agency", "code_version"
        ),
        organization=organization,
        reference=reference,
    )
    roles = services.roles_on_case(request.user, case)
    if not roles:
        raise Http404("no such case")
    return case, roles


def _form_problems(form) -> list[str]:
    """A form's errors as sentences, for when the form itself is not on the page."""
    problems = list(form.non_field_errors())
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        label = form.fields[name].label if name in form.fields else name
        problems.extend(f"{label}: {e}" for e in errors)
    return problems


def _stale(case: Case) -> str:
    return (
        f"{case.reference} changed since this page was opened (it is now "
        f"{_state_label(case).lower()}): check it below, then try again."
    )


@case_roles_required
def case_detail(request: HttpRequest, organization, reference: str) -> HttpResponse:
    case, roles = _case(request, organization, reference)
    procedure = services.procedure_of(case)
    state = procedure.state(case.state)
    case_facts = services.facts(case)
    deadlines = list(case.deadlines.all())
    running = {d.name: d.due_on for d in deadlines if d.running}
    steps = procedure.available(case.state, roles, case_facts, running)
    posted = request.method == "POST"
    action = request.POST.get("action", "") if posted else ""
    notices = list(case.notices.all())
    respondent_notified = any(n.recipient_role == "respondent" for n in notices)
    allegations = list(
        case.allegations.prefetch_related("provisions").select_related("determined_by")
    )
    deciding = case.state in services.DECIDING_STATES and bool(roles & services.DECIDERS)
    can_choose_sanction = case.state == "sanction" and bool(roles & services.DECIDERS)
    can_recuse = bool(roles & RECUSAL_ROLES)
    can_resend = (
        bool(roles & services.HANDLERS)
        and bool(case.respondent_email)
        and respondent_notified
        and not state.final
    )

    def bound(name: str, *, files: bool = False) -> dict:
        if action != name:
            return {}
        return {"data": request.POST, **({"files": request.FILES} if files else {})}

    fresh = {"version": case.version}
    forms = {
        step.name: StepForm(
            transition=step, initial=fresh, **bound(f"step:{step.name}", files=True)
        )
        for step in steps
    }
    determination_forms = {
        a.position: DeterminationForm(position=a.position, initial=fresh) for a in allegations
    }
    determination_form = None
    if action == "determination":
        # Each allegation's form has its own prefix: the one sent says which allegation it is.
        for a in allegations:
            if f"d{a.position}-allegation" in request.POST:
                determination_form = DeterminationForm(
                    request.POST, position=a.position, initial=fresh
                )
                determination_forms[a.position] = determination_form
                break
    provisions = (
        case.code_version.provisions.exclude(citation="").order_by("position")
        if case.code_version
        else Provision.objects.none()
    )
    allegation_form = AllegationForm(provisions=provisions, initial=fresh, **bound("allegation"))
    sanction_form = SanctionChoiceForm(initial=fresh, **bound("sanction"))
    message_form = StaffMessageForm(respondent_reachable=respondent_notified, **bound("message"))
    document_form = DocumentForm(**bound("document", files=True))
    users = BodyRole.objects.filter(organization=organization).values_list("user", flat=True)
    recusal_form = RecusalForm(
        users=get_user_model().objects.filter(pk__in=users).order_by("username"),
        **bound("recusal"),
    )
    named_forms = {
        "allegation": allegation_form,
        "sanction": sanction_form,
        "message": message_form,
        "document": document_form,
        "recusal": recusal_form,
        "determination": determination_form,
    }
    posted_form = (
        named_forms[action] if action in named_forms else forms.get(action.removeprefix("step:"))
    )
    # Whether the page shows the posted form to this viewer: a refusal of one it does not show goes
    # to the top of the page.
    hidden = (
        posted_form is None
        or (posted_form is allegation_form and state.final)
        or (posted_form is document_form and state.final)
        or (posted_form is sanction_form and not can_choose_sanction)
        or (posted_form is recusal_form and not can_recuse)
        or (posted_form is determination_form and not deciding)
    )
    page_errors: list[str] = []
    if posted:
        try:
            done = _act(
                request,
                case,
                roles,
                action,
                forms=forms,
                determination_form=determination_form,
                allegation_form=allegation_form,
                sanction_form=sanction_form,
                message_form=message_form,
                document_form=document_form,
                recusal_form=recusal_form,
            )
        except services.CaseRefused as exc:
            for problem in exc.problems:
                if hidden:
                    page_errors.append(problem)
                else:
                    posted_form.add_error(None, problem)
        else:
            if done:
                messages.success(request, done)
                return redirect("cases_staff:case", org=organization.slug, reference=case.reference)
            if hidden and posted_form is not None:
                page_errors.extend(_form_problems(posted_form))
        # The page shows the case as it is now: a form sent again from it acts on this version.
        for form in [
            *forms.values(),
            *determination_forms.values(),
            allegation_form,
            sanction_form,
        ]:
            if form.is_bound:
                form.data = form.data.copy()
                form.data[form.add_prefix("version")] = str(case.version)
    invalid = bool(page_errors) or bool(posted_form is not None and posted_form.errors)
    choice = services.SanctionChoice.objects.filter(case=case).first()
    kinds = dict(Sanction.Kind.choices)
    publications = dict(Sanction.Publication.choices)
    secret = request.session.pop(STAFF_RECEIPT_SESSION.format(reference=case.reference), None)
    timeline = _timeline(case)
    return private(
        render(
            request,
            "cases/staff/case.html",
            {
                "body": organization,
                "case": case,
                "procedure": procedure,
                "state": state,
                "roles": roles,
                "role_labels": sorted(r.replace("_", " ") for r in roles),
                "steps": [(step, forms[step.name]) for step in steps],
                "allegations": [(a, determination_forms[a.position]) for a in allegations],
                "deciding": deciding,
                "can_choose_sanction": can_choose_sanction,
                "can_recuse": can_recuse,
                "can_resend": can_resend,
                "sanction_choice": choice,
                "sanction_kind": kinds.get(choice.kind, choice.kind) if choice else "",
                "sanction_publication": publications.get(choice.publication, choice.publication)
                if choice
                else "",
                "allegation_form": allegation_form,
                "sanction_form": sanction_form,
                "message_form": message_form,
                "document_form": document_form,
                "recusal_form": recusal_form,
                "page_errors": page_errors,
                "deadlines": deadlines,
                "running_deadlines": [d for d in deadlines if d.running],
                "documents": case.documents.all(),
                "messages_list": case.messages.all(),
                "notices": notices,
                "recusals": case.recusals.select_related("user"),
                "timeline": timeline,
                "more_time_requests": _more_time_requests(procedure, deadlines, timeline),
                "today": timezone.localdate(),
                "credentials_memberships": services.respondent_records(case),
                "respondent_is_member": case_facts["respondent_is_member"],
                "secret": secret,
                "first_tier": _first_tier_records(case),
            },
            status=400 if invalid else 200,
        )
    )


def _more_time_requests(procedure: Procedure, deadlines: list, events: list) -> list[dict]:
    """The requests for more time waiting for a decision: for which deadline, who asked and when,
    and what they gave (from the step's event: the date asked for, the reason), with the date the
    deadline is due now; unless someone decides before then, the request lapses with it."""
    running = {d.name: d for d in deadlines if d.running}
    asking: dict[str, set[str]] = {}
    for t in procedure.transitions:
        if t.more_time is not None and t.more_time.action == "ask":
            asking.setdefault(t.more_time.deadline, set()).add(t.name)
    requests = []
    for name, steps in asking.items():
        waiting = running.get(more_time_key(name))
        if waiting is None:
            continue
        event = next(
            (
                e
                for e in reversed(events)
                if e.action == "case.step" and e.data.get("step") in steps
            ),
            None,
        )
        step = procedure.transition(event.data["step"]) if event else None
        given = event.data.get("inputs", {}) if event else {}
        requests.append(
            {
                "deadline": procedure.deadlines[name].label,
                "due_on": running[name].due_on if name in running else waiting.due_on,
                "who": event.actor_label if event else "",
                "on": event.occurred_at if event else None,
                "since": waiting.starts_on,
                "inputs": [
                    (i.label, parse_date(given[i.name]) or given[i.name], i.kind)
                    if i.kind == "date"
                    else (i.label, given[i.name], i.kind)
                    for i in (step.inputs if step else ())
                    if i.kind != "document" and given.get(i.name)
                ],
            }
        )
    return requests


def _first_tier_records(case: Case) -> list:
    """The complaint the complainant made to the member agency first, with its whole exchange."""
    from ombuds.members import first_tier

    return first_tier.for_case(case)


# How the timeline names each kind of event (any other: its action, in words).
TIMELINE_LABELS = {
    "case.first_tier_attached": "Complaint to the agency first attached (proof of efforts)",
    "case.filed": "Complaint filed",
    "case.message": "Note or message",
    "case.document_added": "Document added",
    "case.document_viewed": "Document opened",
    "case.allegation_added": "Allegation added",
    "case.determination": "Allegation decided",
    "case.sanction_chosen": "Sanction chosen",
    "case.recusal": "Recusal recorded",
    "case.handler": "Handler set",
    "case.respondent_answered": "The respondent answered",
    "case.respondent_link_sent": "New link sent to the respondent",
    "case.deadline_passed": "Deadline passed",
    "case.deadline_moved": "Deadline moved",
}


def _timeline(case: Case) -> list:
    events = events_for("case", case.pk)
    for e in events:
        if e.action == "case.step":
            e.label = f"{e.data.get('label', '')} ({e.data.get('from')} → {e.data.get('to')})"
        elif e.action == "case.deadline_moved":
            e.label = (
                f"Deadline moved: {e.data.get('label', '')}, due {e.data.get('from')} → "
                f"{e.data.get('to')}"
            )
        else:
            words = e.action.removeprefix("case.").replace("_", " ")
            e.label = TIMELINE_LABELS.get(e.action, words[:1].upper() + words[1:])
    return events


def _act(
    request,
    case,
    roles,
    action,
    *,
    forms,
    determination_form,
    allegation_form,
    sanction_form,
    message_form,
    document_form,
    recusal_form,
) -> str | None:
    """Carry out one posted action; the message to show, None when the form has errors, or
    CaseRefused with the reasons."""
    user = request.user
    if action.startswith("step:"):
        form = forms.get(action.removeprefix("step:"))
        if form is None:
            name = action.removeprefix("step:")
            sent = request.POST.get(f"step-{name}-version", "")
            if sent.isdigit() and int(sent) != case.version:
                raise services.CaseRefused(_stale(case))
            try:
                # The procedure's own reason: who takes the step, or what it needs.
                services.procedure_of(case).check(
                    case.state,
                    name,
                    roles=roles,
                    facts=services.facts(case),
                    running=services.running_deadlines(case),
                )
            except services.ProcedureRefused as exc:
                raise services.CaseRefused(str(exc)) from exc
            raise services.CaseRefused("that step is not open to you now: reload the page")
        if not form.is_valid():
            return None
        if form.cleaned_data["version"] != case.version:
            raise services.CaseRefused(_stale(case))
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
        if determination_form is None:
            raise services.CaseRefused("there is no such allegation on this case")
        if not determination_form.is_valid():
            return None
        data = determination_form.cleaned_data
        if data["version"] != case.version:
            raise services.CaseRefused(_stale(case))
        allegation = get_object_or_404(case.allegations, position=determination_form.position)
        services.determination_record(
            allegation=allegation,
            determination=data["determination"],
            reasons=data["reasons"],
            acting_user=user,
            expected_version=data["version"],
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
            provisions=list(
                {
                    p.pk: p
                    for a in case.allegations.filter(determination="upheld")
                    for p in a.provisions.all()
                }.values()
            ),
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
            "Note saved."
            if message_form.cleaned_data["audience"] == Message.Audience.INTERNAL
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
        if not roles & RECUSAL_ROLES:
            raise services.CaseRefused("only the chair, an administrator or staff record a recusal")
        if not recusal_form.is_valid():
            return None
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
        if not case.notices.filter(recipient_role="respondent").exists():
            raise services.CaseRefused(
                "the respondent has not been notified of the complaint yet: the procedure's step "
                "that notifies them sends their first link"
            )
        services.respondent_notice_resend(case=case, acting_user=user)
        return "A new link was sent to the respondent."
    raise services.CaseRefused("unknown action: reload the page and try again")


@case_roles_required
def case_document(request: HttpRequest, organization, reference: str, token: str) -> FileResponse:
    """A case document, to those entitled: the viewing itself goes on the record."""
    from ombuds.cases.views import _file_response

    case, _roles = _case(request, organization, reference)
    document = get_object_or_404(Document, case=case, token=token, purged_at__isnull=True)
    services.document_viewed(document=document, viewer=request.user)
    return _file_response(document)


@case_roles_required
def case_notice(request: HttpRequest, organization, reference: str, pk: int) -> HttpResponse:
    """A notice as a printable document."""
    case, _roles = _case(request, organization, reference)
    notice = get_object_or_404(Notice, case=case, pk=pk)
    return private(
        render(
            request,
            "cases/staff/notice.html",
            {"body": organization, "case": case, "notice": notice},
        )
    )


@case_roles_required
def staff_complaint(request: HttpRequest, organization) -> HttpResponse:
    """A complaint received by phone, letter, email or in person, entered by staff."""
    from ombuds.cases.views import _provisions

    if not request.body_roles & INTAKE_ROLES:
        raise PermissionDenied("Complaints are entered by the chair, administrators and staff.")
    posted = request.method == "POST"
    form = StaffComplaintForm(
        request.POST if posted else None, provisions=_provisions(organization)
    )
    if posted:
        valid = form.is_valid()
        # Looked up even when something else is wrong, so that every problem is listed at once.
        person, agency, problem = services.respondent_lookup(
            organization,
            {**form.cleaned_data, "respondent_kind": form.cleaned_data.get("respondent_kind", "")},
        )
        if problem:
            form.add_error("respondent_number", problem)
        if valid and not problem:
            filed = _file_staff_complaint(request, organization, form, person, agency)
            if filed is not None:
                return redirect(
                    "cases_staff:case", org=organization.slug, reference=filed.case.reference
                )
    return private(
        render(
            request,
            "cases/staff/complaint.html",
            {"body": organization, "form": form},
            status=400 if form.errors else 200,
        )
    )


def _file_staff_complaint(request, organization, form, person, agency) -> services.Filed | None:
    data = form.cleaned_data
    anonymous = data["anonymous"]
    # The complainant cannot type a passphrase over the phone into our form: one is made for them,
    # to be read out with the receipt code.
    passphrase = secrets.token_urlsafe(12) if anonymous else ""
    try:
        filed = services.case_file(
            organization=organization,
            complaint=services.Complaint(
                what_happened=data["what_happened"],
                respondent_name=data["respondent_name"],
                respondent_person=person,
                respondent_agency=agency,
                respondent_email=data["respondent_email"],
                respondent_details=data["respondent_details"],
                anonymous=anonymous,
                complainant_name="" if anonymous else data["complainant_name"],
                complainant_email="" if anonymous else data["complainant_email"],
                complainant_phone="" if anonymous else data["complainant_phone"],
                complainant_relation=data["complainant_relation"],
                consent_to_share=data["consent_to_share"] and not anonymous,
                passphrase=passphrase,
                happened_on=data["happened_on"],
                outcome_sought=data["outcome_sought"],
                provisions=list(data["provisions"]),
                channel=data["channel"],
            ),
            acting_user=request.user,
        )
    except services.CaseRefused as exc:
        for p in exc.problems:
            form.add_error(None, p)
        return None
    if filed.receipt_code:
        # Kept in the server-side session (not in the messages cookie) and shown once.
        request.session[STAFF_RECEIPT_SESSION.format(reference=filed.case.reference)] = {
            "receipt_code": filed.receipt_code,
            "passphrase": passphrase,
        }
    messages.success(request, f"Case {filed.case.reference} opened.")
    return filed
