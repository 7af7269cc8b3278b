"""The respondent's page, the same through both doors: their personal link (`ombuds.cases.views`)
and their signed-in account (`ombuds.members.home_views`). What a respondent may see and do is
decided here once, so the two doors cannot drift apart."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from ombuds.cases import cleaning, documents, services
from ombuds.cases.forms import AnswerForm
from ombuds.cases.models import Case, Document, Message
from ombuds.cases.procedure import Procedure, ProcedureRefused, more_time_key
from ombuds.core.http import private

RESPONDENT_VISIBLE = (Document.Visibility.RESPONDENT, Document.Visibility.PARTIES)


def _step_inputs(request: HttpRequest, step) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """What the respondent gave for a step's inputs: text, and documents by input name."""
    inputs, files = {}, {}
    for i in step.inputs:
        if i.kind == "document":
            upload = request.FILES.get(i.name)
            if upload is not None:
                if upload.size > documents.MAX_BYTES:
                    raise services.CaseRefused(
                        f"{upload.name} is larger than {documents.MAX_BYTES // (1024 * 1024)} MB"
                    )
                files[i.name] = (upload.name, upload.read())
        elif i.name in request.POST:
            inputs[i.name] = request.POST[i.name]
    return inputs, files


def _step_forms(steps, given: dict[str, str], error: str) -> list[dict]:
    """The steps open to the respondent, each with its fields; the one just refused keeps what was
    typed, and the reason."""
    forms = []
    for step in steps:
        mine = given.get("name") == step.name
        fields = [
            {
                "input": i,
                "id": f"step-{step.name}-{i.name}",
                "value": given.get(i.name, "") if mine else "",
            }
            for i in step.inputs
        ]
        forms.append(
            {
                "step": step,
                "fields": fields,
                "error": error if mine else "",
                "files": any(i.kind == "document" for i in step.inputs),
            }
        )
    if error and not any(f["error"] for f in forms):
        forms.insert(0, {"step": None, "fields": [], "error": error, "files": False})
    return forms


def respondent_page(
    request: HttpRequest,
    case: Case,
    *,
    document_url: Callable[[Document], str],
    acting_user: object = None,
    actor_label: str = "respondent (link)",
    template: str = "cases/respondent.html",
    context: dict | None = None,
) -> HttpResponse:
    """What the respondent may see and do: the allegations with their provisions, the deadlines,
    messages with them, their documents; answer, upload, and the steps the procedure gives them
    (asking for more time, lodging an appeal), with any request of theirs still waiting for a
    decision. Never the complainant's identity without consent, nor internal notes or documents.

    For a case the caller has already found to be the respondent's: through their personal link
    (no account: ``actor_label`` names them on the record), or through their signed-in account
    (``acting_user``). ``document_url`` gives the address each document is downloaded from, under
    the link's or the account's own. After a change the page comes back to its own address."""
    procedure = services.procedure_of(case)
    running = list(case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True))
    # A deadline waiting for the delivery has no due date to move yet; one met (answered) is over.
    steps = procedure.available(
        case.state,
        {"respondent"},
        services.facts(case),
        {d.name: d.due_on for d in running if not d.waits_for_delivery},
    )
    form = AnswerForm()
    step_error, step_given = "", {}
    if request.method == "POST" and request.POST.get("step"):
        step_given = {"name": request.POST["step"]}
        step_error = _respondent_step(
            request, case, procedure, steps, step_given, acting_user, actor_label
        )
        if not step_error:
            messages.success(request, "Done: the body has been told.")
            return redirect(request.path)
    elif request.method == "POST":
        form = AnswerForm(request.POST, request.FILES)
        if _respondent_answered(form, case, acting_user, actor_label):
            messages.success(request, "Your answer was sent.")
            return redirect(request.path)
    state = procedure.state(case.state)
    documents = list(
        case.documents.filter(visibility__in=RESPONDENT_VISIBLE, purged_at__isnull=True)
    )
    for d in documents:
        d.url = document_url(d)
        d.shown_name = shown_name(d)
    return private(
        render(
            request,
            template,
            {
                "body": case.organization,
                "case": case,
                "state": state,
                "allegations": case.allegations.prefetch_related("provisions"),
                "deadlines": respondent_deadlines(procedure, case, running),
                "answered_on": case.respondent_answered_at,
                "more_time_asked": _more_time_asked(procedure, running),
                "messages_list": case.messages.filter(
                    audience=Message.Audience.RESPONDENT, purged_at__isnull=True
                ),
                "documents": documents,
                "steps": _step_forms(steps, step_given, step_error),
                "step_error": step_error,
                "form": form,
                "can_answer": not state.final,
                "show_complainant": case.consent_to_share and not case.anonymous,
                **(context or {}),
            },
            status=400 if (form.errors or step_error) else 200,
        ),
        noindex=True,
    )


def respondent_deadlines(procedure: Procedure, case: Case, running: list) -> list:
    """The running deadlines the respondent is shown, each answer deadline with the positions of
    the allegations it covers (``covers_positions``): those added after notice have their own; the
    procedure's answer deadline covers the others."""
    shown = [
        d
        for d in running
        if d.name in procedure.declared.respondent_deadlines
        or services.is_answer_deadline(procedure, d.name)
    ]
    for d in shown:
        d.covers_positions = d.covers
    if not any(d.covers for d in shown):
        return shown  # one answer deadline for the whole case: nothing to tell apart
    added = {p for d in case.deadlines.all() for p in d.covers}
    for d in shown:
        if d.name == procedure.declared.answer_deadline:
            d.covers_positions = [
                p for p in case.allegations.values_list("position", flat=True) if p not in added
            ]
    return shown


def _respondent_answered(
    form: AnswerForm, case: Case, acting_user: object, actor_label: str
) -> bool:
    """Send the respondent's answer from the form: whether it was sent (else the problems are on
    the form)."""
    if not form.is_valid():
        return False
    try:
        services.respondent_answer(
            case=case,
            body=form.cleaned_data["body"],
            files=form.cleaned_data["files"],
            acting_user=acting_user,
            actor_label=actor_label,
        )
    except services.CaseRefused as exc:
        form.add_error(None, str(exc))
        return False
    return True


def _respondent_step(
    request: HttpRequest,
    case: Case,
    procedure: Procedure,
    steps: list,
    given: dict[str, str],
    acting_user: object,
    actor_label: str,
) -> str:
    """Take the step the respondent posted: "" when done, else why not (what they typed is kept
    in ``given``)."""
    name = given["name"]
    try:
        step = next((s for s in steps if s.name == name), None) or procedure.transition(name)
        inputs, files = _step_inputs(request, step)
        given.update(inputs)
        version = request.POST.get("version", "")
        services.case_step(
            case=case,
            step=name,
            roles={"respondent"},
            acting_user=acting_user,
            actor_label=actor_label,
            inputs=inputs,
            files=files,
            expected_version=int(version) if version.isdigit() else None,
        )
    except (services.CaseRefused, ProcedureRefused) as exc:
        return str(exc) or "refused"
    return ""


def _more_time_asked(procedure: Procedure, running: list) -> list[dict]:
    """The respondent's requests for more time that wait for a decision: on which deadline, and
    since when."""
    asked = {
        more_time_key(t.more_time.deadline): procedure.deadlines[t.more_time.deadline]
        for t in procedure.transitions
        if t.more_time is not None and t.more_time.action == "ask" and "respondent" in t.roles
    }
    return [
        {"deadline": asked[d.name].label, "since": d.starts_on} for d in running if d.name in asked
    ]


def respondent_file(
    case: Case, doc: str, *, viewer: object = None, viewer_label: str = ""
) -> FileResponse:
    """One of the case's documents the respondent may see (shared with them or with the parties),
    its opening on the record; Http404 for any other."""
    document = get_object_or_404(
        Document,
        case=case,
        token=doc,
        visibility__in=RESPONDENT_VISIBLE,
        purged_at__isnull=True,
    )
    services.document_viewed(document=document, viewer=viewer, viewer_label=viewer_label)
    if document.shared_file:
        return file_response(document, file=document.shared_file.open("rb"))
    if document.shared_name:  # the respondent's own upload: the file is theirs
        return file_response(document, file=document.file.open("rb"))
    # Shared before copies were made: cleaned now, never sent as it was (nor at all when it
    # cannot be cleaned).
    with document.file.open("rb") as original:
        try:
            cleaned = cleaning.clean(original.read())
        except cleaning.CleaningRefused as exc:
            raise Http404("this document cannot be shared") from exc
    return file_response(document, file=io.BytesIO(cleaned.data))


def shown_name(document: Document) -> str:
    """The name the respondent sees: a neutral one for what the body shared ("document-3.pdf"),
    never the name the file had when it was uploaded; their own file's name for their own."""
    if document.shared_name:
        return document.shared_name
    extension = next(
        (k.extensions[0] for k in documents.KINDS if k.content_type == document.content_type), ""
    )
    return f"document{extension}"


def file_response(document: Document, *, file=None) -> FileResponse:
    """The document as a download: the original for the body's people; ``file`` (its copy for the
    respondent) under the name the respondent sees."""
    response = FileResponse(
        document.file.open("rb") if file is None else file,
        as_attachment=True,
        filename=document.original_name if file is None else shown_name(document),
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Whatever the file holds, it is never run as a page of this site.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Referrer-Policy"] = "no-referrer"
    return response
