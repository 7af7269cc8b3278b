"""The complainant's page, the same through both doors: a named complainant's personal link and an
anonymous complainant's receipt code and passphrase (`ombuds.cases.views`, which keeps the latter in
its own signed cookie, `followup_session`). What a complainant may see and do is decided here once,
so the two doors (and the API's follow-up, which reads `complainant_progress`) cannot drift apart.

What the complainant reads of each state is the procedure file's: its public stages in order, the
stage the case is at and what they are told of it (`complainant`), the next date the file says
concerns them (`[case] complainant_deadlines`). They never see internal notes, messages with the
respondent, internal documents, or the names of the body's people (only the case's handler, whom
they are shown so that they can raise a conflict of interest)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ombuds.cases import documents, services
from ombuds.cases.forms import MultipleFileField
from ombuds.cases.models import Case, Message, Notice
from ombuds.cases.procedure import Procedure
from ombuds.cases.services.complainant import COMPLAINANT_DOCUMENT

FILES_HELP = format_lazy(
    _("Up to {files} files of up to {mb} MB each: {accepted}."),
    files=documents.MAX_FILES,
    mb=documents.MAX_BYTES // (1024 * 1024),
    accepted=documents.ACCEPTED,
)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        error_messages={"required": _("Write your message.")},
    )


class DocumentsForm(forms.Form):
    files = MultipleFileField(
        label=_("Documents"),
        help_text=FILES_HELP,
        error_messages={"required": _("Choose the documents to send.")},
    )
    note = forms.CharField(
        label=_("A note with them"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if not files:
            raise forms.ValidationError(_("Choose the documents to send."))
        return files


class ProofForm(forms.Form):
    proof = MultipleFileField(
        label=_("Your proof of efforts"),
        help_text=format_lazy(
            "{} {}", _("Your letters or emails to them and their replies."), FILES_HELP
        ),
        error_messages={"required": _("Attach your proof.")},
    )
    note = forms.CharField(
        label=_("A note for the Chair"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_proof(self):
        files = self.cleaned_data.get("proof") or []
        if not files:
            raise forms.ValidationError(_("Attach your proof."))
        return files


class NewLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("The one you gave when you complained."),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address, like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


@dataclass(frozen=True)
class Stage:
    name: str
    status: str  # "done", "current" or "upcoming"


@dataclass(frozen=True)
class Progress:
    """Where the case is, as the complainant is told it (all from the procedure file)."""

    stages: list[Stage]
    stage: str
    told: str
    state_label: str
    final: bool
    next_label: str
    next_date: dt.date | None
    handled_by: str


def handled_by(case: Case) -> str:
    """Who handles the case, as the complainant is told: the handler's name when one is set (so
    that they can raise a conflict of interest), else the role that handles complaints."""
    if case.handler_id:
        handler = case.handler
        name = handler.get_full_name() or handler.get_username()
        return _("%(name)s, for %(body)s") % {"name": name, "body": case.organization.short_name}
    return _("the %(body)s Ethics Committee Chair") % {"body": case.organization.short_name}


def complainant_progress(case: Case, procedure: Procedure | None = None) -> Progress:
    """The stepper: the procedure's public stages (done, current, upcoming), what the complainant
    is told of the case's state, the next date the procedure gives them, who handles it."""
    procedure = procedure or services.procedure_of(case)
    # Never "notified" before the respondent's notice is delivered.
    state = services.complainant_state(case, procedure)
    being_notified = state.label != procedure.state(case.state).label
    current = procedure.stage_of(case.state)
    names = list(procedure.stage_list())
    at = names.index(current) if current in names else -1
    stages = [
        Stage(name, "done" if i < at else "current" if i == at else "upcoming")
        for i, name in enumerate(names)
    ]
    wanted = procedure.declared.complainant_deadlines
    running = [
        d
        for d in case.deadlines.filter(met_at__isnull=True, expired_at__isnull=True)
        if d.name in wanted
    ]
    first = min(running, key=lambda d: (d.due_on, d.pk), default=None)
    return Progress(
        stages=stages,
        stage=state.label if being_notified else current,
        told=state.complainant or state.label,
        state_label=state.label,
        final=state.final,
        next_label=first.label if first else "",
        next_date=first.due_on if first else None,
        handled_by=handled_by(case),
    )


def complainant_notices(case: Case):
    """The notices sent to the complainant, as they were sent (their link left out)."""
    # With their case: a sealed field's key is the case's body's (one query, not one a notice).
    return (
        case.notices.filter(recipient_role="complainant")
        .exclude(status__in=(Notice.Status.PENDING, Notice.Status.SENDING, Notice.Status.HELD))
        .select_related("case")
    )


def complainant_messages(case: Case):
    """The messages between the complainant and the body (never internal notes, never the
    respondent's)."""
    return case.messages.filter(
        audience=Message.Audience.COMPLAINANT, purged_at__isnull=True
    ).select_related("case")


def complainant_documents(case: Case, procedure: Procedure) -> list:
    """The documents the complainant sent themselves (with the complaint or from this page)."""
    kinds = [COMPLAINANT_DOCUMENT, "evidence"]
    if procedure.declared.efforts.proof:
        kinds.append(procedure.declared.efforts.proof)
    return list(
        case.documents.filter(
            kind__in=kinds,
            uploaded_by__isnull=True,
            uploaded_by_label__icontains="complainant",
            purged_at__isnull=True,
        )
    )


def complainant_page(
    request: HttpRequest,
    case: Case,
    *,
    actor_label: str,
    context: dict | None = None,
) -> HttpResponse:
    """What the complainant may see and do: the stepper, the notices and messages, their own
    documents; write, send documents, and send the proof of efforts when the procedure asks them
    for it. ``actor_label`` names them on the record (no account is signed in at either door).
    After a change the page comes back to its own address (the caller keeps its door's state)."""
    procedure = services.procedure_of(case)
    proof = services.proof_step(case, procedure)
    forms_ = {
        "message": MessageForm(),
        "documents": DocumentsForm(prefix="documents"),
        "proof": ProofForm(prefix="proof", initial={"version": case.version}),
    }
    action = request.POST.get("action") or "message" if request.method == "POST" else None
    if action in forms_:
        form = forms_[action].__class__(request.POST, request.FILES, prefix=forms_[action].prefix)
        forms_[action] = form
        if _sent(action, form, case, actor_label):
            messages.success(request, SENT[action])
            return redirect(request.path)
    failed = next((f for f in forms_.values() if f.errors), None)
    return render(
        request,
        "cases/complainant.html",
        {
            "body": case.organization,
            "case": case,
            "progress": complainant_progress(case, procedure),
            "notices": complainant_notices(case),
            "messages_list": complainant_messages(case),
            "documents": complainant_documents(case, procedure),
            "proof_step": proof,
            "message_form": forms_["message"],
            "documents_form": forms_["documents"],
            "proof_form": forms_["proof"],
            "form": failed,  # the error summary's
            **(context or {}),
        },
        status=400 if failed else 200,
    )


SENT = {
    "message": _("Your message was sent."),
    "documents": _("Your documents were sent."),
    "proof": _("Your proof was sent. The Chair has been told."),
}


def _sent(action: str, form: forms.Form, case: Case, actor_label: str) -> bool:
    """Send what the form holds: whether it was sent (else the problems are on the form)."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        if action == "proof":
            services.complainant_proof_send(
                case=case,
                files=data["proof"],
                note=data["note"],
                actor_label=actor_label,
                expected_version=data["version"],
            )
        else:
            services.complainant_send(
                case=case,
                body=data.get("body") or data.get("note") or "",
                files=data.get("files") or [],
                actor_label=actor_label,
            )
    except services.CaseRefused as exc:
        form.add_error(None, str(exc))
        return False
    return True
