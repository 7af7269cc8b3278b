"""The staff case page: one GET view, and one small POST view per action (a step of the procedure,
a determination, an allegation, the sanction, a message, a document, a recusal, taking the case,
sending the respondent a new link). Each action checks the version the page was opened on (a stale
form is refused), calls its service, and redirects to the case with a message; a refusal or an
invalid form shows the page again (400) with every problem next to the form it concerns, or at the
top of the page when that form is not shown to the viewer.

The forms carry their ``action``, so a form posted to the case's own address goes to its view too."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ombuds.cases import selectors, services
from ombuds.cases.models import Case, Message
from ombuds.cases.rules import CaseRefused
from ombuds.cases.selectors import CasePage
from ombuds.cases.staff_forms import EraseForm
from ombuds.cases.staff_views.case_page import (
    CONFIRM_VERBATIM,
    CaseForms,
    Permissions,
    case_page_response,
)
from ombuds.cases.staff_views.common import (
    RECUSAL_ROLES,
    case_or_404,
    case_roles_required,
    form_problems,
)
from ombuds.core.http import private

# Carry out one posted action: the message to show, None when the form has problems, or
# CaseRefused with the reasons.
Action = Callable[[HttpRequest, CasePage, CaseForms], "str | None"]


@case_roles_required
def case_detail(request: HttpRequest, organization, reference: str) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action", "")
        run = ACTIONS.get(action.partition(":")[0], _unknown)
        return _act(request, organization, reference, action, run)
    case, roles = case_or_404(request, organization, reference)
    page = selectors.case_page(case, roles)
    return case_page_response(request, page, CaseForms.of(page))


def _act(request: HttpRequest, organization, reference: str, action: str, run: Action):
    case, roles = case_or_404(request, organization, reference)
    page = selectors.case_page(case, roles)
    forms = CaseForms.of(page, request, action)
    posted, hidden = forms.posted(), forms.hidden(page, Permissions.of(page))
    try:
        done = run(request, page, forms)
    except CaseRefused as exc:
        for problem in exc.problems:
            if hidden:
                forms.page_errors.append(problem)
            else:
                posted.add_error(None, problem)
    else:
        if done:
            messages.success(request, done)
            return redirect("cases_staff:case", org=organization.slug, reference=case.reference)
        if hidden and posted is not None:
            forms.page_errors.extend(form_problems(posted))
    forms.act_on(case.version)
    return case_page_response(request, page, forms)


def _stale(case: Case) -> CaseRefused:
    return CaseRefused(
        f"{case.reference} changed since this page was opened (it is now "
        f"{selectors.state_label(case).lower()}): check it below, then try again."
    )


# --- the actions ----------------------------------------------------------------------------------


def _step(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    name = forms.action.removeprefix("step:")
    form = forms.steps.get(name)
    if form is None:
        _step_not_open(request, page, name)
    if not form.is_valid():
        return None
    if form.cleaned_data["version"] != page.case.version:
        raise _stale(page.case)
    inputs, files = form.inputs_and_files()
    services.case_step(
        case=page.case,
        step=form.transition.name,
        acting_user=request.user,
        inputs=inputs,
        files=files,
        expected_version=form.cleaned_data["version"],
        confirm_verbatim=form.cleaned_data.get(CONFIRM_VERBATIM) or "",
    )
    return f"Done: {form.transition.label}."


def _step_not_open(request: HttpRequest, page: CasePage, name: str) -> None:
    """Why a step posted is not open to the viewer now: the case changed, or the procedure's own
    reason (who takes the step, or what it needs)."""
    case = page.case
    sent = request.POST.get(f"step-{name}-version", "")
    if sent.isdigit() and int(sent) != case.version:
        raise _stale(case)
    try:
        page.procedure.check(
            case.state,
            name,
            roles=page.roles,
            facts=page.facts,
            running={d.name: d.due_on for d in page.running_deadlines if not d.waits_for_delivery},
        )
    except services.ProcedureRefused as exc:
        raise CaseRefused(str(exc)) from exc
    raise CaseRefused("that step is not open to you now: reload the page")


def _determination(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    form = forms.determination
    if form is None:
        raise CaseRefused("there is no such allegation on this case")
    if not form.is_valid():
        return None
    data = form.cleaned_data
    if data["version"] != page.case.version:
        raise _stale(page.case)
    allegation = get_object_or_404(page.case.allegations, position=form.position)
    services.determination_record(
        allegation=allegation,
        determination=data["determination"],
        reasons=data["reasons"],
        acting_user=request.user,
        expected_version=data["version"],
    )
    return f"Allegation {allegation.position} decided."


def _allegation(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    if not forms.allegation.is_valid():
        return None
    data = forms.allegation.cleaned_data
    services.allegation_add(
        case=page.case,
        summary=data["summary"],
        provisions=list(data["provisions"]),
        source=data["source"],
        acting_user=request.user,
        expected_version=data["version"],
    )
    return "Allegation added."


def _allegation_edit(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    form = forms.posted()
    if form is None:
        if page.respondent_notified:
            raise CaseRefused(
                "the respondent has been notified of these allegations: they are no longer edited"
            )
        raise CaseRefused("there is no such allegation on this case, or you may not edit it")
    if not form.is_valid():
        return None
    data = form.cleaned_data
    if data["version"] != page.case.version:
        raise _stale(page.case)
    services.allegation_edit(
        case=page.case,
        allegation=form.allegation,
        text=data["summary"],
        provisions=list(data["provisions"]),
        expected_version=data["version"],
        acting_user=request.user,
    )
    return f"Allegation {form.allegation.position} changed."


def _sanction(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    if not forms.sanction.is_valid():
        return None
    data = forms.sanction.cleaned_data
    upheld = page.case.allegations.filter(determination="upheld")
    services.sanction_choose(
        case=page.case,
        kind=data["kind"],
        summary=data["summary"],
        effective_from=data["effective_from"],
        effective_until=data["effective_until"],
        publication=data["publication"],
        public_until=data["public_until"],
        conditions=data["conditions"],
        amount=data["amount"],
        currency=data["currency"],
        due_on=data["due_on"],
        provisions=list({p.pk: p for a in upheld for p in a.provisions.all()}.values()),
        acting_user=request.user,
        expected_version=data["version"],
    )
    return "Sanction chosen: impose it with the step below."


def _message(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    if not forms.message.is_valid():
        return None
    audience = forms.message.cleaned_data["audience"]
    services.message_post(
        case=page.case,
        audience=audience,
        body=forms.message.cleaned_data["body"],
        acting_user=request.user,
    )
    return "Note saved." if audience == Message.Audience.INTERNAL else "Message sent."


def _document(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    if not forms.document.is_valid():
        return None
    upload = forms.document.cleaned_data["file"]
    services.document_add(
        case=page.case,
        name=upload.name,
        data=upload.read(),
        kind=forms.document.cleaned_data["kind"],
        visibility=forms.document.cleaned_data["visibility"],
        acting_user=request.user,
    )
    return "Document added."


def _recusal(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    if not page.roles & RECUSAL_ROLES:
        raise CaseRefused("only the chair, an administrator or staff record a recusal")
    if not forms.recusal.is_valid():
        return None
    services.recusal_record(
        case=page.case,
        user=forms.recusal.cleaned_data["user"],
        reason=forms.recusal.cleaned_data["reason"],
        acting_user=request.user,
    )
    return "Recusal recorded: the case is now hidden from them."


def _take(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    services.case_handler_set(case=page.case, handler=request.user, acting_user=request.user)
    return "You now handle this case."


def _resend(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    if not page.respondent_notified:
        raise CaseRefused(
            "the respondent has not been notified of the complaint yet: the procedure's step "
            "that notifies them sends their first link"
        )
    services.respondent_notice_resend(case=page.case, acting_user=request.user)
    return "A new link was sent to the respondent."


def _unknown(request: HttpRequest, page: CasePage, forms: CaseForms) -> str | None:
    raise CaseRefused("unknown action: reload the page and try again")


ACTIONS: dict[str, Action] = {
    "step": _step,
    "determination": _determination,
    "allegation": _allegation,
    "edit": _allegation_edit,
    "sanction": _sanction,
    "message": _message,
    "document": _document,
    "recusal": _recusal,
    "take": _take,
    "resend": _resend,
}


# --- one address per action -----------------------------------------------------------------------


def _post_view(name: str, doc: str):
    """The POST view of one action, at its own address."""
    run = ACTIONS[name]

    @require_POST
    @case_roles_required
    def view(request: HttpRequest, organization, reference: str, step: str = "") -> HttpResponse:
        return _act(request, organization, reference, f"step:{step}" if step else name, run)

    view.__name__ = view.__qualname__ = f"case_{name}"
    view.__doc__ = doc
    return view


case_step = _post_view("step", "Take one step of the procedure (its name in the address).")
case_determination = _post_view("determination", "Decide an allegation.")
case_allegation = _post_view("allegation", "Add an allegation.")
case_sanction = _post_view("sanction", "Choose the sanction.")
case_message = _post_view("message", "Write a note, or a message to a party.")
case_document_add = _post_view("document", "Add a document.")
case_recusal = _post_view("recusal", "Recuse someone from the case.")
case_take = _post_view("take", "Handle the case oneself.")
case_resend = _post_view("resend", "Send the respondent a new link.")


@case_roles_required
def case_erase(request: HttpRequest, organization, reference: str) -> HttpResponse:
    """The Chair erases a closed case's personal data on request: a page saying what goes and what
    stays, with the reason to give; sent, the erasure (refused when the case changed meanwhile)."""
    case, roles = case_or_404(request, organization, reference)
    if not roles & services.ERASERS:
        raise PermissionDenied("Only the Chair erases a case's personal data.")
    posted = request.method == "POST"
    form = EraseForm(request.POST if posted else None, initial={"version": case.version})
    erasure = services.case_erasure(case)
    if posted and form.is_valid():
        try:
            services.case_erase(
                case=case,
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except CaseRefused as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, "The case's personal data was erased.")
            return redirect("cases_staff:case", org=organization.slug, reference=case.reference)
    context = {"body": organization, "case": case, "form": form, "erasure": erasure}
    return private(
        render(request, "cases/staff/erase.html", context, status=400 if form.errors else 200)
    )
