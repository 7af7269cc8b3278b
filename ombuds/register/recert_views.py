"""Staff pages for recertification: open a credential's cycle, record and review its activities, read
their evidence, and close the cycle (a cycle drawn for audit only once every activity has its
evidence). Every change goes through ombuds.register.recertification. The lists of cycles and the
audit draws are recert_queue_views."""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format

from ombuds.bodies.access import body_staff_required
from ombuds.bodies.models import Organization
from ombuds.register import recertification as recert
from ombuds.register.models import Activity, Credential, RecertificationCycle
from ombuds.register.recert_forms import ActivityForm, CycleCloseForm, CycleOpenForm, ReviewForm


def _sentence(message: str) -> str:
    """The services speak in clauses ("the cycle is closed"); the pages in sentences."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else f"{message}."


def _cycles(organization: Organization) -> QuerySet[RecertificationCycle]:
    return RecertificationCycle.objects.filter(
        credential__program__organization=organization
    ).select_related(
        "credential__holder", "credential__program", "decided_by", "submitted_by", "audit_draw"
    )


def _cycle_url(organization: Organization, cycle_pk: int, anchor: str = "") -> str:
    url = reverse("register_staff:cycle", kwargs={"org": organization.slug, "pk": cycle_pk})
    return f"{url}#{anchor}" if anchor else url


def _render_cycle(
    request: HttpRequest,
    organization: Organization,
    cycle_pk: int,
    *,
    activity_form: ActivityForm | None = None,
    close_form: CycleCloseForm | None = None,
    review_form: ReviewForm | None = None,
    reviewed_pk: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The cycle page, with the one form that failed (if any) bound to what was sent."""
    cycle = get_object_or_404(
        _cycles(organization).prefetch_related(
            Prefetch(
                "activities",
                queryset=Activity.objects.select_related("reviewed_by").order_by(
                    "completed_on", "pk"
                ),
            )
        ),
        pk=cycle_pk,
    )
    is_open = cycle.outcome == RecertificationCycle.Outcome.OPEN
    activities = list(cycle.activities.all())
    to_review = []
    if is_open:
        for activity in activities:
            if activity.review != Activity.Review.SUBMITTED:
                continue
            form = (
                review_form
                if review_form is not None and activity.pk == reviewed_pk
                else ReviewForm(prefix=f"review-{activity.pk}")
            )
            to_review.append((activity, form))
    progress = recert.cycle_progress(cycle)
    return render(
        request,
        "register/staff/cycle.html",
        {
            "body": organization,
            "cycle": cycle,
            "missing_evidence": recert.missing_evidence(cycle) if cycle.is_audited else [],
            "credential": cycle.credential,
            "is_open": is_open,
            "activities": activities,
            "to_review": to_review,
            "progress": progress,
            "categories": [
                (name, earned, required, max(Decimal(0), required - earned))
                for name, (earned, required) in progress.by_category.items()
            ],
            "activity_form": activity_form
            if activity_form is not None
            else ActivityForm(cycle=cycle, prefix="activity"),
            "close_form": close_form if close_form is not None else CycleCloseForm(prefix="close"),
            "error_form": next(
                (f for f in (activity_form, close_form, review_form) if f is not None and f.errors),
                None,
            ),
        },
        status=status,
    )


@body_staff_required
def cycle_open(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Open a cycle on an active credential that has none open (the credential page has the form)."""
    credential = get_object_or_404(
        Credential.objects.select_related("holder", "program"),
        pk=pk,
        program__organization=organization,
    )
    form = CycleOpenForm(request.POST or None, prefix="cycle")
    if request.method == "POST" and form.is_valid():
        try:
            cycle = recert.cycle_open(
                credential=credential,
                starts_on=form.cleaned_data["starts_on"],
                acting_user=request.user,
            )
        except recert.RecertificationError as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
            messages.success(
                request,
                f"Opened a recertification cycle, due {date_format(cycle.due_on, 'j F Y')}.",
            )
            return redirect(_cycle_url(organization, cycle.pk))
    open_cycle = credential.cycles.filter(outcome=RecertificationCycle.Outcome.OPEN).first()
    return render(
        request,
        "register/staff/cycle_open.html",
        {"body": organization, "credential": credential, "form": form, "open_cycle": open_cycle},
        status=400 if form.errors else 200,
    )


@body_staff_required
def cycle_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    return _render_cycle(request, organization, pk)


@body_staff_required
def activity_record(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Staff record an activity on the holder's behalf, with its evidence; it awaits review."""
    cycle = get_object_or_404(_cycles(organization), pk=pk)
    if request.method != "POST":
        return redirect(_cycle_url(organization, cycle.pk, "record"))
    form = ActivityForm(request.POST, request.FILES, cycle=cycle, prefix="activity")
    if form.is_valid():
        data = form.cleaned_data
        try:
            # The service refuses the same activity twice (a form sent twice).
            activity = recert.activity_submit(
                cycle=cycle,
                category=data["category"],
                title=data["title"],
                provider=data["provider"],
                completed_on=data["completed_on"],
                units=data["units"],
                evidence=data["evidence"],
                acting_user=request.user,
            )
        except recert.RecertificationError as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
            messages.success(
                request, f"Recorded “{activity.title}”. It counts once approved, below."
            )
            return redirect(_cycle_url(organization, cycle.pk, f"activity-{activity.pk}"))
    return _render_cycle(request, organization, cycle.pk, activity_form=form, status=400)


@body_staff_required
def activity_review(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Approve an activity, or reject it with a reason."""
    activity = get_object_or_404(
        Activity.objects.select_related("cycle"),
        pk=pk,
        cycle__credential__program__organization=organization,
    )
    if request.method != "POST":
        return redirect(_cycle_url(organization, activity.cycle_id, f"review-{activity.pk}"))
    form = ReviewForm(request.POST, prefix=f"review-{activity.pk}")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            recert.activity_review(
                activity=activity,
                approve=approve,
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except recert.RecertificationError as exc:
            form.add_error(None, _sentence(f"“{activity.title}”: {exc}"))
        else:
            messages.success(
                request, f"{'Approved' if approve else 'Rejected'} “{activity.title}”."
            )
            return redirect(_cycle_url(organization, activity.cycle_id))
    return _render_cycle(
        request,
        organization,
        activity.cycle_id,
        review_form=form,
        reviewed_pk=activity.pk,
        status=400,
    )


@body_staff_required
def cycle_close(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Decide the cycle: compliant or exempt recertifies the credential and opens the next cycle."""
    cycle = get_object_or_404(_cycles(organization), pk=pk)
    if request.method != "POST":
        return redirect(_cycle_url(organization, cycle.pk, "close"))
    form = CycleCloseForm(request.POST, prefix="close")
    if form.is_valid():
        try:
            closed = recert.cycle_close(
                cycle=cycle,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except recert.RecertificationError as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
            credential = Credential.objects.get(pk=closed.credential_id)
            text = f"Closed the cycle as {closed.get_outcome_display().lower()}."
            if (
                closed.outcome != RecertificationCycle.Outcome.NON_COMPLIANT
                and credential.status == Credential.Status.ACTIVE
            ):
                text += (
                    f" The credential now expires {date_format(credential.expires_on, 'j F Y')}"
                    " and the next cycle is open."
                )
            messages.success(request, text)
            return redirect("register_staff:credential", org=organization.slug, pk=credential.pk)
    return _render_cycle(request, organization, cycle.pk, close_form=form, status=400)


@body_staff_required
def activity_evidence(request: HttpRequest, organization: Organization, pk: int) -> FileResponse:
    """The evidence file, as a download, to the staff of the body that owns the credential only."""
    activity = get_object_or_404(
        Activity, pk=pk, cycle__credential__program__organization=organization
    )
    return evidence_download(activity)


def evidence_download(activity: Activity) -> FileResponse:
    """An activity's evidence as a download that is never shown inline nor cached (404 without
    one). The caller has checked the viewer may read it: the body's staff, or the holder."""
    if not activity.evidence:
        raise Http404("This activity has no evidence.")
    try:
        handle = activity.evidence.storage.open(activity.evidence.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The evidence file is missing.") from exc
    response = FileResponse(
        handle, as_attachment=True, filename=PurePath(activity.evidence.name).name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
