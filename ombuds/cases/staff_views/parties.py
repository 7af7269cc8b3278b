"""The respondent's page of a staff case: search the body's register (GET, a name or a number), choose
a person or an agency, and link the respondent to it, relink or unlink it with a reason (POST, the
version the page was opened on). Only the case's handlers (`HANDLERS`) use it: others with a role on
the body get 403, a recused person 404 (as every page of the case), anonymous visitors go to sign
in. The change goes through `services.respondent_link`; its message (the steps it opened and
closed, what the handler must still do) shows on the case page.

The case page itself shows the respondent panel (`cases/staff/_respondent_panel.html`, through the
`respondent_panel` tag): the suggestions made on filing, to the body's people only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ombuds.cases import services
from ombuds.cases.models import Case
from ombuds.cases.rules import HANDLERS, CaseRefused
from ombuds.cases.services.parties import REASON_MAX
from ombuds.cases.staff_views.common import case_or_404, case_roles_required
from ombuds.core.http import private
from ombuds.register.matching import candidates_of, candidates_search
from ombuds.register.models import Agency, Person


class RespondentSearchForm(forms.Form):
    q = forms.CharField(
        label="Name or number",
        max_length=100,
        required=False,
        help_text="A person's given or family name, an agency's legal or trade name, or a whole "
        "credential or membership number.",
    )


class RespondentLinkForm(forms.Form):
    """Link to the person or agency chosen (hidden), or unlink (neither), with the reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31 - 1)
    person = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )
    agency = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )
    reason = forms.CharField(
        label="Why",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="On the case's record, e.g. “the complainant's description matches her entry”.",
    )

    def record(self, case: Case) -> Person | Agency | None:
        """The record chosen, of the case's body (None: unlink); CaseRefused for another."""
        data = self.cleaned_data
        if data.get("person"):
            found = Person.objects.filter(pk=data["person"], organization=case.organization).first()
        elif data.get("agency"):
            found = Agency.objects.filter(pk=data["agency"], organization=case.organization).first()
        else:
            return None
        if found is None:
            raise CaseRefused("that entry is not in the body's register: search again")
        return found


def _chosen(request: HttpRequest, case: Case) -> Person | Agency | None:
    """The register entry the handler chose to link (?person= or ?agency=), or None."""
    for key, model in (("person", Person), ("agency", Agency)):
        value = request.GET.get(key, "")
        if value.isdigit() and len(value) < 10:
            return model.objects.filter(pk=int(value), organization=case.organization).first()
    return None


def _handler_case(request: HttpRequest, organization, reference: str) -> Case:
    case, roles = case_or_404(request, organization, reference)
    if not roles & HANDLERS:
        raise PermissionDenied("Only the case's handlers link its respondent to the register.")
    return case


@require_http_methods(["GET", "POST"])
@case_roles_required
def case_respondent(request: HttpRequest, organization, reference: str) -> HttpResponse:
    """Search the register and link, relink or unlink the case's respondent."""
    case = _handler_case(request, organization, reference)
    search = RespondentSearchForm(request.GET or None)
    chosen = _chosen(request, case)
    posted = request.method == "POST"
    link_form = RespondentLinkForm(
        request.POST if posted else None,
        initial={
            "version": case.version,
            "person": chosen.pk if isinstance(chosen, Person) else None,
            "agency": chosen.pk if isinstance(chosen, Agency) else None,
        },
    )
    if posted and link_form.is_valid():
        try:
            done = services.respondent_link(
                case=case,
                **_as_record(link_form.record(case)),
                reason=link_form.cleaned_data["reason"],
                acting_user=request.user,
                expected_version=link_form.cleaned_data["version"],
            )
        except CaseRefused as exc:
            for problem in exc.problems:
                link_form.add_error(None, problem[:1].upper() + problem[1:] + ".")
        else:
            messages.success(request, done.message)
            return redirect("cases_staff:case", org=organization.slug, reference=case.reference)
    if posted:
        chosen = _posted_record(link_form, case)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    context = {
        "body": organization,
        "case": case,
        "current": candidates_of([r for r in [_linked(case)] if r is not None]),
        "search": search,
        "query": query,
        "results": candidates_search(organization, query) if query else None,
        "suggestions": services.respondent_suggestions(case),
        "chosen": candidates_of([chosen])[0] if chosen is not None else None,
        "form": link_form,
        "notified": services.facts(case)["respondent_notified"],
    }
    status = 400 if link_form.errors else 200
    return private(render(request, "cases/staff/respondent.html", context, status=status))


def _linked(case: Case) -> Person | Agency | None:
    return case.respondent_person or case.respondent_agency


def _as_record(record: Person | Agency | None) -> dict[str, Any]:
    if isinstance(record, Person):
        return {"person": record}
    if isinstance(record, Agency):
        return {"agency": record}
    return {}


def _posted_record(form: RespondentLinkForm, case: Case) -> Person | Agency | None:
    """The record a refused form was about, to show it again."""
    if not hasattr(form, "cleaned_data"):
        return None
    try:
        return form.record(case)
    except CaseRefused:
        return None
