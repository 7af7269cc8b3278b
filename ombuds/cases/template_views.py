"""Staff pages for the wording of a body's notices: the list of every notice Ombuds sends, and a
page to replace Ombuds' wording of one with the body's own (a `NoticeTemplate`), or go back to it.

Anyone with a case role on the body reads the list; the administrator, the ethics chair and staff
change the wording (`EDIT_ROLES`). Wording is a Django template rendered as plain text by
`ombuds.cases.notices.render`; before it is kept it must compile, must not reach past the variables
a notice is given (see `_reach_problems`), and must render for a sample case of the body, which the
page shows as a preview. Each change is a service call (`services.notice_template_save`,
`services.notice_template_revert`): locked, refused when stale, on the audit log with the wording
before and after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import Template, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.utils import timezone

from ombuds.cases import notices, services
from ombuds.cases.models import (
    Allegation,
    Case,
    CaseDeadline,
    NoticeTemplate,
    Recusal,
    SanctionChoice,
)
from ombuds.cases.procedure import Procedure, Transition, shipped
from ombuds.cases.selectors import body_procedure
from ombuds.cases.services.wording import wording_fingerprint
from ombuds.cases.staff_views import case_roles_required
from ombuds.codes.selectors import current_version
from ombuds.core.http import private
from ombuds.register.models import Sanction

# Who changes the wording of the body's notices; every case role reads the list.
EDIT_ROLES = frozenset({"administrator", "ethics_chair", "staff"})

# What each notice is for, in one line (a notice Ombuds adds later reads "A notice called …").
DESCRIPTIONS: dict[str, str] = {
    "receipt": "To the complainant when a complaint is filed: its reference and what happens next.",
    "acknowledgement": "To the complainant when the complaint is acknowledged and has a handler.",
    "dismissal": "To the complainant when the complaint is dismissed, with the ground and reasons.",
    "dismissal_respondent": "To the respondent, once notified, when the complaint is dismissed.",
    "efforts_request": "To the complainant: asks for proof of efforts to resolve it with the "
    "respondent first.",
    "allegations": "To the respondent: the allegations, the date to answer by and their personal "
    "link.",
    "cooperation_request": "To the respondent: asks them to cooperate with an investigation, with "
    "their personal link.",
    "allegations_added": "To the respondent: allegations added after they were notified, the "
    "time they have to answer them and their personal link.",
    "progress": "To the complainant once the respondent's notice of the complaint is delivered.",
    "referral": "To the complainant when the complaint is referred to another body.",
    "no_answer": "To the chair when the respondent did not answer by the deadline.",
    "no_cooperation": "To the chair when the respondent did not cooperate by the deadline.",
    "committee_referral": "To the committee when a case is put before it.",
    "closure": "To the parties when a case is closed, with the reasons.",
    "decision": "To the parties: the committee's decision on each allegation, and any sanction.",
    "sanction": "To the respondent: the sanction imposed, and how to appeal.",
    "appeal_lodged": "To the committee when the respondent lodges an appeal.",
    "appeal_decision": "To the parties when an appeal is decided.",
    "message": "To a party when they are sent a message about the case.",
    "checkin": "To the complainant some time after closure: asks whether anyone retaliated.",
    "deadline_reminder": "To the chair when a running deadline is near.",
    "complainant_link": "To a named complainant who asked for a new personal link to follow "
    "their complaint.",
    "complainant_sent": "To the chair when the complainant sends documents or proof of efforts "
    "from their page.",
    "more_time_asked": "To the chair when the respondent asks for more time to answer: the date asked for and why.",
    "more_time_granted": "To the respondent when more time is granted: the new date to answer by.",
    "more_time_refused": "To the respondent when more time is refused, with the reason and the date that stands.",
}

# Who receives the notices no step of a procedure sends (the services send them); the others go to
# whom the body's procedure says.
SENT_BY_SERVICES: dict[str, tuple[str, ...]] = {
    "receipt": ("complainant",),
    "message": ("complainant", "respondent"),
    "allegations_added": ("respondent",),
    "checkin": ("complainant",),
    "deadline_reminder": ("chair",),
    "complainant_link": ("complainant",),
    "complainant_sent": ("chair",),
}
RECIPIENT_LABELS = {
    "complainant": "the complainant",
    "respondent": "the respondent",
    "committee": "the committee",
    "chair": "the ethics chair",
}

# The variables every notice is given (notices.render builds them).
VARIABLES: tuple[tuple[str, str], ...] = (
    ("case.reference", "the case's reference"),
    ("case.respondent_name", "who the complaint is about"),
    (
        "case.complainant_name",
        "the complainant's name: blank in a notice to the respondent unless the complainant agreed "
        "to share it (likewise case.complainant_email and case.complainant_phone)",
    ),
    ("case.complainant_label", "the complainant's name, or “Anonymous complainant”"),
    ("case.anonymous", "whether the complainant is anonymous"),
    ("case.filed_at, case.closed_at", "when the complaint was filed and the case closed (dates)"),
    ("body.name, body.short_name, body.contact_email", "the body's name and contact address"),
    (
        "body.citation_prefix",
        "what members write before a citation of the code (“CESP” in “CESP 3.8”)",
    ),
    ("procedure.description", "what the body's procedure says happens, in a few sentences"),
    ("state.label", "the stage the case has reached"),
    ("step.label", "the step that sends the notice"),
    ("handler", "who handles the case (or the body's ethics committee)"),
    (
        "allegations",
        "the allegations, each with position, summary, get_determination_display, reasons and "
        "provisions.all (each with citation, cite_as as members write it (“CESP 3.8”), and full_text)",
    ),
    (
        "deadlines.NAME",
        "the due date of a running deadline, by its name in the procedure (for example "
        "deadlines.answer)",
    ),
    ("running", "the running deadlines, each with label and due_on"),
    (
        "after_delivery.NAME",
        "the length of a deadline that counts from the day the respondent receives the notice "
        '(for example after_delivery.answer: "30 days"); it has no date until then',
    ),
    ("added", "in allegations_added: the allegations added, each like those of allegations"),
    ("answer_period", 'the length of the procedure\'s answer deadline ("30 days")'),
    (
        "sanction",
        "the sanction chosen: kind_label, summary, effective_from, effective_until, conditions",
    ),
    ("show_complainant", "whether the reader may learn who the complainant is"),
    ("respondent_url", "the respondent's personal link, in the notices that carry one"),
    ("link_days", "how many days that link lasts"),
)

# Tags a notice cannot use: it is one self-contained text, and shows nothing of the server.
REFUSED_TAGS = frozenset({"debug", "include", "extends", "load"})
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_PATH = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\.\w+)+")


def _described(name: str) -> str:
    return DESCRIPTIONS.get(name) or f"A notice called “{name.replace('_', ' ')}”."


def _procedure(organization) -> Procedure:
    """The body's procedure, or (for a body with none yet) the first Ombuds ships."""
    procedure = body_procedure(organization)
    if procedure is None:
        procedure = next(iter(shipped().values()))
    return procedure


def _senders(procedure: Procedure, name: str) -> list[Transition]:
    return [
        t
        for t in procedure.transitions
        if any(e.kind == "notice" and e.template == name for e in t.effects)
    ]


def _recipients(procedure: Procedure, name: str) -> list[str]:
    found: list[str] = []
    for t in _senders(procedure, name):
        for e in t.effects:
            if e.kind == "notice" and e.template == name:
                found.extend(r for r in e.to if r not in found)
    return found or list(SENT_BY_SERVICES.get(name, ("complainant",)))


def _sample_inputs(transitions: list[Transition]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """What the steps sending the notice ask for, with sample values, and as variables to list."""
    values: dict[str, str] = {}
    listed: list[tuple[str, str]] = []
    for t in transitions:
        for i in t.inputs:
            if i.kind == "document" or i.name in values:
                continue
            if i.kind == "choice" and i.choices:
                values[i.name] = i.choices[0]
            elif i.kind == "date":
                values[i.name] = timezone.localdate().isoformat()
            else:
                values[i.name] = f"[{i.label}]"
            listed.append((f"inputs.{i.name}", f"{i.label} (given at “{t.label}”)"))
    return values, listed


# --- checking wording -----------------------------------------------------------------------------


def _compile_problem(text: str) -> str:
    try:
        Template(text)
    except TemplateSyntaxError as exc:
        token = getattr(exc, "token", None)
        line = f"Line {token.lineno}: " if getattr(token, "lineno", None) else ""
        return f"{line}{exc}"
    return ""


def _reach_problems(text: str) -> list[str]:
    """What in the wording reaches past what a notice may say. `notices.render` blanks the
    complainant's identity on `case` for a respondent who may not learn it, but the allegations,
    the body and the register's records are models that lead back to the case itself (for example
    `allegations.0.case.complainant_name`): such paths, and the tags that show the server's data
    or other templates, are refused."""
    hidden = set(notices.HIDDEN_FROM_RESPONDENT)
    problems: list[str] = []
    for token in Lexer(text).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        words = token.contents.split()
        if token.token_type == TokenType.BLOCK and words and words[0] in REFUSED_TAGS:
            problems.append(
                f"Line {token.lineno}: the {{% {words[0]} %}} tag cannot be used in a notice."
            )
            continue
        for path in _PATH.findall(_STRING.sub("", token.contents)):
            parts = path.split(".")
            after = parts[1:]
            if any(p in hidden for p in after) and not (parts[0] == "case" and len(parts) == 2):
                field = next(p for p in after if p in hidden)
                problems.append(
                    f"Line {token.lineno}: {path} could tell the respondent who the complainant "
                    f"is. Use case.{field}, which is blank in a notice to a respondent without the "
                    "complainant's consent."
                )
            elif parts[0] != "inputs" and any("case" in p or p == "audit_events" for p in after):
                problems.append(
                    f"Line {token.lineno}: {path} reaches into the records of cases; a notice uses "
                    "the variables listed on this page."
                )
    return problems


class NoticeWordingForm(forms.Form):
    subject = forms.CharField(
        label="Subject",
        max_length=300,
        help_text="One line. Variables such as {{ case.reference }} are filled in.",
    )
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 18, "cols": 80, "spellcheck": "true"}),
        help_text="Plain text; {{ … }} and {% … %} as in Django templates. The body's name and "
        "contact address are added at the end.",
    )
    based_on = forms.CharField(widget=forms.HiddenInput, required=False)

    def _checked(self, name: str) -> str:
        text = self.cleaned_data[name].replace("\r\n", "\n").replace("\r", "\n")
        problem = _compile_problem(text)
        if problem:
            raise forms.ValidationError(problem)
        problems = _reach_problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_subject(self) -> str:
        return self._checked("subject")

    def clean_body(self) -> str:
        return self._checked("body")


# --- the preview ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Preview:
    recipient: str
    subject: str
    body: str


class _Discard(Exception):
    """Raised to roll back what a preview wrote (carrying what it rendered)."""

    def __init__(self, previews: list[Preview]):
        self.previews = previews


def _sample_case(organization, procedure: Procedure) -> Case:
    """A case as it could be, for a body that has none yet (written only inside the preview's
    transaction, which is rolled back)."""
    today = timezone.localdate()
    version = current_version(organization)
    prefix = (organization.acronym or organization.slug).upper()[:16]
    case = Case.objects.create(
        organization=organization,
        reference=f"{prefix}-{today.year}-0000",
        procedure_key=procedure.key,
        procedure_sha256=procedure.sha256,
        state=procedure.initial,
        filed_at=timezone.now(),
        code_version=version,
        complainant_name="Pat Sample",
        complainant_email="pat.sample@example.org",
        respondent_name="Sample Respondent",
        what_happened="[What the complainant says happened]",
    )
    allegation = Allegation.objects.create(
        case=case, position=1, summary="[The allegation as the complainant put it]"
    )
    if version is not None:
        provision = version.provisions.exclude(citation="").order_by("position").first()
        if provision is not None:
            allegation.provisions.set([provision])
    for name, deadline in procedure.deadlines.items():
        CaseDeadline.objects.create(
            case=case,
            name=name,
            label=deadline.label,
            starts_on=today,
            due_on=deadline.due(today, procedure.holidays),
        )
    SanctionChoice.objects.create(
        case=case,
        kind=Sanction.Kind.REPRIMAND,
        summary="[What the committee decided]",
        effective_from=today + dt.timedelta(days=1),
        publication=Sanction.Publication.PRIVATE,
    )
    return case


def _sample_source(request: HttpRequest, organization) -> Case | None:
    """The body's newest case the viewer may see, or None (a sample is then made)."""
    recused = Recusal.objects.filter(user=request.user).values("case_id")
    return (
        Case.objects.filter(organization=organization, purged_at__isnull=True)
        .exclude(pk__in=recused)
        .select_related("organization", "handler")
        .order_by("-filed_at", "-pk")
        .first()
    )


def _render_previews(
    request: HttpRequest, organization, name: str, subject: str, body: str
) -> list[Preview]:
    """The notice in this wording, for each of its recipients, about the newest case or a sample.

    `notices.render` reads the wording from the database: the wording (and a sample case, when
    there is none) is written in a transaction that is always rolled back. Whatever the wording
    raises when rendered is raised here."""
    procedure = _procedure(organization)
    senders = _senders(procedure, name)
    inputs, _listed = _sample_inputs(senders)
    try:
        with transaction.atomic():
            NoticeTemplate.objects.update_or_create(
                organization=organization, name=name, defaults={"subject": subject, "body": body}
            )
            case = _sample_source(request, organization) or _sample_case(organization, procedure)
            previews = []
            for recipient in _recipients(procedure, name):
                token = (
                    "sample-link"
                    if recipient == "respondent" and name in services.RESPONDENT_LINK_TEMPLATES
                    else ""
                )
                text = notices.render(
                    case,
                    name,
                    recipient,
                    respondent_token=token,
                    inputs=inputs,
                    step=senders[0] if senders else None,
                )
                previews.append(Preview(RECIPIENT_LABELS.get(recipient, recipient), *text))
            raise _Discard(previews)
    except _Discard as done:
        return done.previews


def _render_problem(exc: Exception) -> str:
    return f"It cannot be made for a sample case: {exc.__class__.__name__}: {exc}"


def _checked_previews(request, organization, name, form) -> list[Preview] | None:
    """The previews of a valid form's wording, or None with the rendering error on the field at
    fault (the subject when it fails alongside Ombuds' text, the text otherwise)."""
    subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
    try:
        return _render_previews(request, organization, name, subject, body)
    except DatabaseError:
        raise
    except Exception as exc:  # wording is a template: it may raise anything when rendered
        try:
            _render_previews(request, organization, name, subject, notices.DEFAULTS[name][1])
        except DatabaseError:
            raise
        except Exception as subject_exc:
            form.add_error("subject", _render_problem(subject_exc))
        else:
            form.add_error("body", _render_problem(exc))
        return None


# --- the pages ------------------------------------------------------------------------------------


@case_roles_required
def notice_templates(request: HttpRequest, organization) -> HttpResponse:
    own = {t.name: t for t in NoticeTemplate.objects.filter(organization=organization)}
    rows = [
        {"name": name, "description": _described(name), "own": own.get(name)}
        for name in notices.DEFAULTS
    ]
    return private(
        render(
            request,
            "cases/staff/notice_templates.html",
            {
                "body": organization,
                "rows": rows,
                "own_count": sum(1 for r in rows if r["own"]),
                "can_edit": bool(request.body_roles & EDIT_ROLES),
            },
        )
    )


@case_roles_required
def notice_template_edit(request: HttpRequest, organization, name: str) -> HttpResponse:
    if name not in notices.DEFAULTS:
        raise Http404("no such notice")
    if not request.body_roles & EDIT_ROLES:
        raise PermissionDenied(
            "The wording of notices is changed by the chair, administrators and staff."
        )
    own = NoticeTemplate.objects.filter(organization=organization, name=name).first()
    current = (own.subject, own.body) if own else notices.DEFAULTS[name]
    procedure = _procedure(organization)
    _inputs, input_variables = _sample_inputs(_senders(procedure, name))
    action = request.POST.get("action", "") if request.method == "POST" else ""
    previews: list[Preview] | None = None
    preview_problem = ""
    if action in ("save", "preview"):
        form = NoticeWordingForm(request.POST)
        if form.is_valid():
            previews = _checked_previews(request, organization, name, form)
        if previews is not None and action == "save":
            problem = _save(request, organization, name, form.cleaned_data)
            if problem is None:
                return redirect("cases_staff:notice_template", org=organization.slug, name=name)
            form.add_error(None, problem)
        if form.errors:
            # The page sent again from here acts on the wording as it is now.
            form.data = form.data.copy()
            form.data["based_on"] = wording_fingerprint(*current)
    else:
        form = NoticeWordingForm(
            initial={
                "subject": current[0],
                "body": current[1],
                "based_on": wording_fingerprint(*current),
            }
        )
        if action == "revert":
            problem = _revert(request, organization, name)
            if problem is None:
                return redirect("cases_staff:notice_template", org=organization.slug, name=name)
            form.add_error(None, problem)
        elif request.method == "POST":
            form.add_error(None, "Unknown action: reload the page and try again.")
        try:
            previews = _render_previews(request, organization, name, *current)
        except DatabaseError:
            raise
        except Exception as exc:  # the wording kept earlier no longer renders
            preview_problem = _render_problem(exc)
    return private(
        render(
            request,
            "cases/staff/notice_template_edit.html",
            {
                "body": organization,
                "name": name,
                "description": _described(name),
                "own": own,
                "form": form,
                "variables": [*VARIABLES, *input_variables],
                "recipients": [RECIPIENT_LABELS.get(r, r) for r in _recipients(procedure, name)],
                "previews": previews,
                "preview_problem": preview_problem,
                "candidate": action in ("save", "preview"),
                "sample_case": _sample_source(request, organization),
            },
            status=400 if form.errors else 200,
        )
    )


def _save(request, organization, name: str, data: dict) -> str | None:
    """Keep the wording (None) or say why not."""
    try:
        changed = services.notice_template_save(
            organization=organization,
            name=name,
            subject=data["subject"],
            body=data["body"],
            based_on=data["based_on"],
            acting_user=request.user,
        )
    except services.WordingChanged as exc:
        return str(exc)
    if not changed:
        messages.info(request, "Nothing changed.")
    else:
        messages.success(
            request, f"Saved: {organization.short_name}'s notices now use this wording."
        )
    return None


def _revert(request, organization, name: str) -> str | None:
    """Go back to Ombuds' wording (None) or say why not."""
    try:
        changed = services.notice_template_revert(
            organization=organization,
            name=name,
            based_on=request.POST.get("based_on", ""),
            acting_user=request.user,
        )
    except services.WordingChanged as exc:
        return str(exc)
    if not changed:
        messages.info(request, "This notice already uses Ombuds' wording.")
    else:
        messages.success(request, "This notice uses Ombuds' wording again.")
    return None
