"""The staff case page as it is shown: the case with the steps open to the viewer now, its
allegations, deadlines, documents, messages, notices, recusals and timeline (read by
`ombuds.cases.selectors.case_page`), and a form for each action the viewer may take, the one posted
bound to what was sent. The views are in `case_views`."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms as django_forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ombuds.cases.notices import Read
from ombuds.cases.rules import DECIDERS, HANDLERS
from ombuds.cases.selectors import CasePage
from ombuds.cases.services import ERASERS, case_erasure
from ombuds.cases.services.decisions import identity_withheld
from ombuds.cases.services.notifications import (
    respondent_notice_preview,
    respondent_notice_templates,
)
from ombuds.cases.staff_forms import (
    AllegationForm,
    DeterminationForm,
    DocumentForm,
    RecusalForm,
    SanctionChoiceForm,
    StaffMessageForm,
    StepForm,
)
from ombuds.cases.staff_views.case_display import (
    author,
    document_kind,
    document_kinds,
    problems_with_links,
    stepper,
)
from ombuds.cases.staff_views.common import FINE_RECORDERS, RECUSAL_ROLES
from ombuds.core.http import private
from ombuds.register.models import Sanction

# Where an anonymous complainant's receipt code and passphrase wait, server-side, to be shown once.
STAFF_RECEIPT_SESSION = "ombuds:staff-receipt:{reference}"


@dataclass
class Permissions:
    """Which of the page's forms the viewer is shown."""

    deciding: bool
    can_choose_sanction: bool
    can_recuse: bool
    can_resend: bool

    @classmethod
    def of(cls, page: CasePage) -> Permissions:
        roles, case = page.roles, page.case
        return cls(
            deciding=page.procedure.takes_determinations(case.state) and bool(roles & DECIDERS),
            can_choose_sanction=page.procedure.takes_sanction(case.state)
            and bool(roles & DECIDERS),
            can_recuse=bool(roles & RECUSAL_ROLES),
            can_resend=bool(roles & HANDLERS) and page.respondent_notified and not page.state.final,
        )


class AllegationEditForm(django_forms.Form):
    """Draft, edit or redact one allegation before the respondent is notified (prefix
    ``e<position>``). The provisions are chosen among ``provisions`` (read once for the page's
    forms, so that the page's queries do not grow with its allegations)."""

    version = django_forms.IntegerField(widget=django_forms.HiddenInput)
    summary = django_forms.CharField(widget=django_forms.Textarea(attrs={"rows": 3}))
    provisions = django_forms.MultipleChoiceField(
        required=False,
        label="Provisions it cites",
        widget=django_forms.CheckboxSelectMultiple,
        help_text="From the version of the code in force when the complaint was made.",
    )

    def __init__(self, *args, allegation, provisions: list, **kwargs):
        kwargs.setdefault("prefix", f"e{allegation.position}")
        super().__init__(*args, **kwargs)
        self.allegation = allegation
        self.by_pk = {str(p.pk): p for p in provisions}
        self.fields[
            "summary"
        ].label = f"Allegation {allegation.position}, as the respondent reads it"
        self.fields["provisions"].choices = [
            (str(p.pk), f"{p.citation} {(p.full_text or p.text)[:100]}") for p in provisions
        ]
        self.initial.setdefault("summary", allegation.summary)
        self.initial.setdefault("provisions", [str(p.pk) for p in allegation.provisions.all()])

    def clean_provisions(self) -> list:
        return [self.by_pk[pk] for pk in self.cleaned_data["provisions"]]


CONFIRM_VERBATIM = "confirm_verbatim"


def _notice_forms(page: CasePage, steps: dict) -> None:
    """On each step that first tells the respondent of the complaint: what they will receive
    (``preview``), and, while an allegation is still the narrative of a complainant who does not
    share their identity, the field for the handler's reason to send it as it is."""
    if page.respondent_notified:
        return
    verbatim = [a.position for a in page.allegations if a.verbatim]
    read = Read(
        deadlines=page.deadlines,
        allegations=page.allegations,
        sanction_choice=page.sanction_choice,
    )
    for form in steps.values():
        if not respondent_notice_templates(form.transition, page.facts):
            continue
        form.preview = respondent_notice_preview(page.case, form.transition, page.facts, read)
        if verbatim and identity_withheld(page.case):
            form.verbatim = verbatim
            form.fields[CONFIRM_VERBATIM] = django_forms.CharField(
                label="Send the complainant's own words anyway, because…",
                required=False,
                max_length=1000,
                widget=django_forms.Textarea(attrs={"rows": 2}),
                help_text=f"Allegation {', '.join(map(str, verbatim))} is still the complainant's "
                "account word for word, and they do not share their identity: edit it above, or "
                "give the reason it may go to the respondent as it is (on the record).",
            )


def _takes_allegation(step) -> bool:
    return any(i.kind == "allegation" for i in step.inputs)


@dataclass
class CaseForms:
    """The page's forms, the one posted bound to what was sent (``action`` names it)."""

    steps: dict
    determinations: dict
    allegation: AllegationForm
    sanction: SanctionChoiceForm
    message: StaffMessageForm
    document: DocumentForm
    recusal: RecusalForm
    edits: dict = field(default_factory=dict)  # by position, while allegations can be edited
    determination: DeterminationForm | None = None  # the allegation's form that was posted
    action: str = ""
    page_errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, page: CasePage, request: HttpRequest | None = None, action: str = "") -> CaseForms:
        def bound(name: str, *, files: bool = False) -> dict:
            if request is None or action != name:
                return {}
            return {"data": request.POST, **({"files": request.FILES} if files else {})}

        fresh = {"version": page.case.version}
        forms = cls(
            steps={
                s.name: StepForm(
                    transition=s,
                    allegations=page.allegations,
                    provisions=page.provisions if _takes_allegation(s) else (),
                    initial=fresh,
                    **bound(f"step:{s.name}", files=True),
                )
                for s in page.steps
            },
            determinations={
                a.position: DeterminationForm(position=a.position, initial=fresh)
                for a in page.allegations
            },
            allegation=AllegationForm(
                provisions=page.provisions, initial=fresh, **bound("allegation")
            ),
            sanction=SanctionChoiceForm(initial=fresh, **bound("sanction")),
            message=StaffMessageForm(
                respondent_reachable=page.respondent_notified, **bound("message")
            ),
            document=DocumentForm(**bound("document", files=True)),
            recusal=RecusalForm(users=page.recusal_candidates, **bound("recusal")),
            action=action,
        )
        _notice_forms(page, forms.steps)
        if _allegations_editable(page):
            provisions = list(page.provisions)
            forms.edits = {
                a.position: AllegationEditForm(
                    allegation=a,
                    provisions=provisions,
                    initial=dict(fresh),
                    **bound(f"edit:{a.position}"),
                )
                for a in page.allegations
            }
        if request is not None and action == "determination":
            # Each allegation's form has its own prefix: the one sent says which allegation it is.
            for a in page.allegations:
                if f"d{a.position}-allegation" in request.POST:
                    form = DeterminationForm(request.POST, position=a.position, initial=fresh)
                    forms.determinations[a.position] = forms.determination = form
                    break
        return forms

    def posted(self):
        """The form the action posted, or None (an unknown action, a step not open now)."""
        named = {
            "allegation": self.allegation,
            "sanction": self.sanction,
            "message": self.message,
            "document": self.document,
            "recusal": self.recusal,
            "determination": self.determination,
        }
        if self.action in named:
            return named[self.action]
        if self.action.startswith("edit:"):
            position = self.action.removeprefix("edit:")
            return self.edits.get(int(position)) if position.isdigit() else None
        return self.steps.get(self.action.removeprefix("step:"))

    def hidden(self, page: CasePage, allowed: Permissions) -> bool:
        """Whether the page does not show the posted form to this viewer: a refusal of one it does
        not show goes to the top of the page."""
        form = self.posted()
        return (
            form is None
            or (form is self.allegation and page.state.final)
            or (form is self.document and page.state.final)
            or (form is self.sanction and not allowed.can_choose_sanction)
            or (form is self.recusal and not allowed.can_recuse)
            or (form is self.determination and not allowed.deciding)
        )

    def act_on(self, version: int) -> None:
        """The page shows the case as it is now: a form sent again from it acts on this version."""
        for form in [
            *self.steps.values(),
            *self.determinations.values(),
            *self.edits.values(),
            self.allegation,
            self.sanction,
        ]:
            if form.is_bound:
                form.data = form.data.copy()
                form.data[form.add_prefix("version")] = str(version)

    @property
    def invalid(self) -> bool:
        form = self.posted()
        return bool(self.page_errors) or bool(form is not None and form.errors)


def _allegations_editable(page: CasePage) -> bool:
    """Whether the viewer may still edit the allegations: before the respondent is notified, on
    an open case, for those who add allegations."""
    return (
        not page.respondent_notified
        and not page.state.final
        and bool(page.roles & (HANDLERS | DECIDERS))
    )


def case_page_response(request: HttpRequest, page: CasePage, forms: CaseForms) -> HttpResponse:
    """The page, with these forms (400 when the posted one has problems)."""
    case, choice = page.case, page.sanction_choice
    allowed = Permissions.of(page)
    kinds = dict(Sanction.Kind.choices)
    publications = dict(Sanction.Publication.choices)
    secret = request.session.pop(STAFF_RECEIPT_SESSION.format(reference=case.reference), None)
    erasure = case_erasure(case)
    doc_kinds = document_kinds(page.procedure)
    documents = list(page.documents)
    for d in documents:
        d.kind_words = document_kind(doc_kinds, d.kind)
        d.uploader = author(d.uploaded_by_label, False)
    messages_list = list(page.messages)
    for m in messages_list:
        m.written_by = author(m.author_label, m.from_party)
    return private(
        render(
            request,
            "cases/staff/case.html",
            {
                "body": case.organization,
                "case": case,
                "procedure": page.procedure,
                "state": page.state,
                "roles": page.roles,
                "role_labels": sorted(r.replace("_", " ") for r in page.roles),
                "steps": [(step, forms.steps[step.name]) for step in page.steps],
                "allegations": [
                    (a, forms.determinations[a.position], forms.edits.get(a.position))
                    for a in page.allegations
                ],
                "identity_withheld": identity_withheld(case),
                "deciding": allowed.deciding,
                "can_choose_sanction": allowed.can_choose_sanction,
                "can_recuse": allowed.can_recuse,
                "can_resend": allowed.can_resend,
                "can_record_fine": bool(page.roles & FINE_RECORDERS),
                "sanction_choice": choice,
                "sanction_kind": kinds.get(choice.kind, choice.kind) if choice else "",
                "sanction_publication": publications.get(choice.publication, choice.publication)
                if choice
                else "",
                "allegation_form": forms.allegation,
                "sanction_form": forms.sanction,
                "message_form": forms.message,
                "document_form": forms.document,
                "recusal_form": forms.recusal,
                "page_errors": forms.page_errors,
                "invalid": forms.invalid,
                "problems": problems_with_links(forms, forms.page_errors) if forms.invalid else [],
                "stepper": stepper(page.procedure, case.state),
                "deadlines": page.deadlines,
                "running_deadlines": page.running_deadlines,
                "documents": documents,
                "messages_list": messages_list,
                "notices": page.notices,
                "recusals": page.recusals,
                "timeline": page.timeline,
                "more_time_requests": page.more_time_requests,
                "today": timezone.localdate(),
                "credentials_memberships": page.credentials_memberships,
                "respondent_is_member": page.facts["respondent_is_member"],
                "secret": secret,
                "first_tier": page.first_tier,
                "erasure": erasure,
                "can_erase": bool(page.roles & ERASERS) and case.closed_at and not erasure,
            },
            status=400 if forms.invalid else 200,
        )
    )
