"""A fine imposed in a case recorded as paid: a date and a note, through the register's service
(`sanction_fine_paid`). For the body's administrators, staff and the ethics chair
(`FINE_RECORDERS`); other roles on the body get 403, a recused person or another body's case 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ombuds.cases.models import SanctionChoice
from ombuds.cases.staff_views.common import FINE_RECORDERS, case_or_404, case_roles_required
from ombuds.core.http import private
from ombuds.register import services as register
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Sanction


class FinePaidForm(forms.Form):
    paid_on = forms.DateField(
        label="Day it was paid", widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        help_text="For example the cheque number or the transfer's reference.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@case_roles_required
def case_fine_paid(request: HttpRequest, organization, reference: str) -> HttpResponse:
    """Record that the fine imposed in this case was paid (once; the service refuses the rest)."""
    case, roles = case_or_404(request, organization, reference)
    if not roles & FINE_RECORDERS:
        raise PermissionDenied("Only the chair, administrators and staff record a fine as paid.")
    choice = SanctionChoice.objects.select_related("sanction").filter(case=case).first()
    sanction = choice.sanction if choice else None
    if sanction is None or sanction.kind != Sanction.Kind.FINE:
        raise Http404("this case has no fine on the register")
    form = FinePaidForm(initial={"paid_on": timezone.localdate()})
    if request.method == "POST":
        form = FinePaidForm(request.POST)
        if form.is_valid():
            try:
                register.sanction_fine_paid(
                    organization=organization,
                    sanction=sanction,
                    paid_on=form.cleaned_data["paid_on"],
                    note=form.cleaned_data["note"],
                    acting_user=request.user,
                )
            except TransitionRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "The fine is recorded as paid.")
                return redirect("cases_staff:case", org=organization.slug, reference=case.reference)
    return private(
        render(
            request,
            "cases/staff/fine_paid.html",
            {"body": organization, "case": case, "sanction": sanction, "form": form},
            status=400 if form.errors else 200,
        )
    )
