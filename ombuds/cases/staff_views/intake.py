"""Complaints received by phone, letter, email or in person, entered by those who take complaints
in (`INTAKE_ROLES`). An anonymous complainant cannot type a passphrase into our form: one is made
for them, and shown once with the receipt code, to be read out."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ombuds.cases import services
from ombuds.cases.staff_forms import StaffComplaintForm
from ombuds.cases.staff_views.case_page import STAFF_RECEIPT_SESSION
from ombuds.cases.staff_views.common import INTAKE_ROLES, case_roles_required
from ombuds.cases.views import provisions_citable
from ombuds.core.http import private


@case_roles_required
def staff_complaint(request: HttpRequest, organization) -> HttpResponse:
    """A complaint received by phone, letter, email or in person, entered by staff."""
    if not request.body_roles & INTAKE_ROLES:
        raise PermissionDenied("Complaints are entered by the chair, administrators and staff.")
    posted = request.method == "POST"
    form = StaffComplaintForm(
        request.POST if posted else None, provisions=provisions_citable(organization)
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
                complainant_name=data["complainant_name"],
                complainant_email=data["complainant_email"],
                complainant_phone=data["complainant_phone"],
                complainant_relation=data["complainant_relation"],
                consent_to_share=data["consent_to_share"],
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
