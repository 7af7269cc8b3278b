"""A notice to the respondent delivered outside Ombuds: printed with their personal link written
out, delivered by post or by hand, and the delivery recorded with its proof. For the case's
handlers (`HANDLERS`); other roles on the body get 403, a recused person 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ombuds.cases import documents, services
from ombuds.cases.models import Case, Notice
from ombuds.cases.rules import HANDLERS
from ombuds.cases.staff_views.common import case_or_404, case_roles_required
from ombuds.core.http import private


class DeliveryForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    on = forms.DateField(
        label="Day it was delivered", widget=forms.DateInput(attrs={"type": "date"})
    )
    means = forms.ChoiceField(
        label="How it was delivered",
        choices=[(m.value, m.label) for m in services.RECORDED_MEANS],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        help_text="For example the tracking number, or who received it.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    proof = forms.FileField(
        label="Proof of delivery",
        required=False,
        help_text="A scan of the receipt or the signed acknowledgement (PDF or image).",
    )


def _handled(request: HttpRequest, organization, reference: str, pk: int) -> tuple[Case, Notice]:
    case, roles = case_or_404(request, organization, reference)
    if not roles & HANDLERS:
        raise PermissionDenied("Only the case's handlers deliver its notices.")
    notice = get_object_or_404(Notice, case=case, pk=pk, recipient_role="respondent")
    return case, notice


@case_roles_required
def case_notice_print(request: HttpRequest, organization, reference: str, pk: int) -> HttpResponse:
    """A notice to the respondent as it is posted or handed over: its text with their personal link
    written out while it waits for its delivery."""
    case, notice = _handled(request, organization, reference, pk)
    return private(
        render(
            request,
            "cases/staff/notice_print.html",
            {
                "body": organization,
                "case": case,
                "notice": notice,
                "text": services.notice_printable(notice),
            },
        ),
        noindex=True,
    )


@case_roles_required
def case_notice_delivery(
    request: HttpRequest, organization, reference: str, pk: int
) -> HttpResponse:
    """Record that a notice to the respondent was delivered by post, by hand or otherwise."""
    case, notice = _handled(request, organization, reference, pk)
    form = DeliveryForm(initial={"version": case.version, "on": timezone.localdate()})
    if request.method == "POST":
        form = DeliveryForm(request.POST, request.FILES)
        if form.is_valid() and _record(request, form, case, notice):
            messages.success(request, "The delivery was recorded.")
            return redirect("cases_staff:case", org=organization.slug, reference=case.reference)
    return private(
        render(
            request,
            "cases/staff/notice_delivery.html",
            {"body": organization, "case": case, "notice": notice, "form": form},
            status=400 if form.errors else 200,
        )
    )


def _record(request: HttpRequest, form: DeliveryForm, case: Case, notice: Notice) -> bool:
    data = form.cleaned_data
    proof = None
    upload = data.get("proof")
    if upload is not None:
        if upload.size > documents.MAX_BYTES:
            form.add_error("proof", f"larger than {documents.MAX_BYTES // (1024 * 1024)} MB")
            return False
        proof = (upload.name, upload.read())
    try:
        services.notice_delivery_record(
            case=case,
            notice_id=notice.pk,
            means=data["means"],
            on=data["on"],
            note=data["note"],
            proof=proof,
            acting_user=request.user,
            expected_version=data["version"],
        )
    except services.CaseRefused as exc:
        for problem in exc.problems:
            form.add_error(None, problem)
        return False
    return True
