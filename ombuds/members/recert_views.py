"""The holder's own recertification, under /me/<body>/recertification/: their cycles with the
progress by category, the activities they send with their evidence, the evidence an audit asks for,
and the cycle's submission. Only the signed-in user's own cycles: anyone else's answers 404, as does a
body where they hold no credential. Every change goes through ombuds.register.recertification as the
holder (`as_holder`), which checks again that the cycle is theirs."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_or_404
from ombuds.bodies.models import Organization
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.core.http import private
from ombuds.register import recert_selectors as selectors
from ombuds.register import recertification as recert
from ombuds.register.models import Activity, RecertificationCycle
from ombuds.register.recert_forms import ActivityForm, CycleSubmitForm, EvidenceForm
from ombuds.register.recert_views import evidence_download


def _sentence(message: str) -> str:
    message = message.strip()
    return f"{message[:1].upper()}{message[1:]}{'' if message.endswith('.') else '.'}"


def holder_page(view):
    """Signed in (else to sign in), the body in the URL (else 404); the view gets the body."""

    @wraps(view)
    @login_required
    @never_cache
    def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
        return private(view(request, body_or_404(org), *args, **kwargs))

    return wrapper


def _cycle_or_404(
    request: HttpRequest, organization: Organization, pk: int
) -> RecertificationCycle:
    cycle = selectors.holder_cycle_get(request.user, organization, pk)
    if cycle is None:
        raise Http404("No such cycle of yours.")
    return cycle


def _cycle_url(organization: Organization, pk: int, anchor: str = "") -> str:
    url = reverse("me:recert_cycle", kwargs={"org": organization.slug, "pk": pk})
    return f"{url}#{anchor}" if anchor else url


@holder_page
def my_cycles(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The holder's cycles with the body, each with its progress."""
    cycles = list(selectors.holder_cycles(request.user, organization))
    if not cycles and not selectors.holder_has_credential(request.user, organization):
        raise Http404("You hold no credential with this body.")
    return render(
        request,
        "members/recert/cycles.html",
        {
            "body": organization,
            "rows": [(c, recert.cycle_progress(c)) for c in cycles],
        },
    )


def _render_cycle(
    request: HttpRequest,
    organization: Organization,
    pk: int,
    *,
    activity_form: ActivityForm | None = None,
    submit_form: CycleSubmitForm | None = None,
    evidence_form: EvidenceForm | None = None,
    evidence_for: int | None = None,
    status: int = 200,
) -> HttpResponse:
    cycle = _cycle_or_404(request, organization, pk)
    activities = list(cycle.activities.all())
    takes_evidence = [
        a for a in activities if cycle.is_open and not a.evidence and a.review != "rejected"
    ]
    return render(
        request,
        "members/recert/cycle.html",
        {
            "body": organization,
            "cycle": cycle,
            "credential": cycle.credential,
            "progress": recert.cycle_progress(cycle),
            "activities": activities,
            "evidence_forms": [
                (
                    a,
                    evidence_form
                    if evidence_form is not None and a.pk == evidence_for
                    else EvidenceForm(prefix=f"evidence-{a.pk}"),
                )
                for a in takes_evidence
            ],
            "takes_activities": cycle.is_open and not cycle.is_submitted,
            "activity_form": activity_form or ActivityForm(cycle=cycle, prefix="activity"),
            "submit_form": submit_form
            or CycleSubmitForm(prefix="submit", initial={"version": version_of(cycle)}),
            "error_form": next(
                (
                    f
                    for f in (activity_form, submit_form, evidence_form)
                    if f is not None and f.errors
                ),
                None,
            ),
        },
        status=status,
    )


@holder_page
def my_cycle(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    return _render_cycle(request, organization, pk)


@holder_page
@require_POST
def my_activity_new(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """The holder sends an activity, with its evidence; it awaits the body's review."""
    cycle = _cycle_or_404(request, organization, pk)
    form = ActivityForm(request.POST, request.FILES, cycle=cycle, prefix="activity")
    if form.is_valid():
        data = form.cleaned_data
        try:
            activity = recert.activity_submit(
                cycle=cycle,
                category=data["category"],
                title=data["title"],
                provider=data["provider"],
                completed_on=data["completed_on"],
                units=data["units"],
                evidence=data["evidence"],
                acting_user=request.user,
                as_holder=True,
            )
        except recert.RecertificationError as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
            messages.success(
                request,
                f"Sent “{activity.title}”. Its units count once the body approves it.",
            )
            return redirect(_cycle_url(organization, cycle.pk, f"activity-{activity.pk}"))
    return _render_cycle(request, organization, cycle.pk, activity_form=form, status=400)


@holder_page
@require_POST
def my_evidence_add(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """The holder adds the evidence of an activity they sent without it."""
    activity = _activity_or_404(request, organization, pk)
    form = EvidenceForm(request.POST, request.FILES, prefix=f"evidence-{activity.pk}")
    if form.is_valid():
        try:
            recert.activity_evidence_add(
                activity=activity,
                evidence=form.cleaned_data["evidence"],
                acting_user=request.user,
                as_holder=True,
            )
        except recert.RecertificationError as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
            messages.success(request, f"Added the evidence of “{activity.title}”.")
            return redirect(_cycle_url(organization, activity.cycle_id, f"activity-{activity.pk}"))
    return _render_cycle(
        request,
        organization,
        activity.cycle_id,
        evidence_form=form,
        evidence_for=activity.pk,
        status=400,
    )


@holder_page
@require_POST
def my_cycle_submit(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """The holder submits the cycle for the body's decision."""
    cycle = _cycle_or_404(request, organization, pk)
    form = CycleSubmitForm(request.POST, prefix="submit")
    if form.is_valid():
        try:
            recert.cycle_submit(
                cycle=cycle,
                acting_user=request.user,
                expected_version=form.cleaned_data["version"],
                as_holder=True,
            )
        except (recert.RecertificationError, ChangedMeanwhile) as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
            messages.success(
                request,
                "Your cycle is submitted. The body reviews your activities and decides; you "
                "will see the outcome here.",
            )
            return redirect(_cycle_url(organization, cycle.pk))
    return _render_cycle(request, organization, cycle.pk, submit_form=form, status=400)


def _activity_or_404(request: HttpRequest, organization: Organization, pk: int) -> Activity:
    activity = selectors.holder_activity_get(request.user, organization, pk)
    if activity is None:
        raise Http404("No such activity of yours.")
    return activity


@holder_page
def my_evidence(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """The holder's own evidence file, as a download."""
    return evidence_download(_activity_or_404(request, organization, pk))
