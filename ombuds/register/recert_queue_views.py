"""Staff pages for recertification across the register: the cycles submitted and awaiting a decision
(and those drawn for audit, open or decided), the audit draws, and the form that draws one. A cycle's
own page is recert_views. The body's administrators and staff only, as every register page."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ombuds.bodies.access import body_staff_required
from ombuds.bodies.models import Organization
from ombuds.register import recert_audit
from ombuds.register import recert_selectors as selectors
from ombuds.register.recert_forms import AuditDrawForm
from ombuds.register.recertification import RecertificationError

PAGE_SIZE = 50


def _sentence(message: str) -> str:
    message = message.strip()
    return f"{message[:1].upper()}{message[1:]}{'' if message.endswith('.') else '.'}"


def _render_list(
    request: HttpRequest,
    organization: Organization,
    *,
    form: AuditDrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    show = request.GET.get("show", "submitted")
    if show not in selectors.STAFF_LISTS:
        show = "submitted"
    programs = selectors.programs_of(organization)
    page = Paginator(selectors.staff_cycles(organization, show), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = selectors.staff_counts(organization)
    return render(
        request,
        "register/staff/recertification.html",
        {
            "body": organization,
            "show": show,
            "lists": [
                (name, label, counts[name]) for name, (label, _) in selectors.STAFF_LISTS.items()
            ],
            "label": selectors.STAFF_LISTS[show][0],
            "page": page,
            "draws": list(selectors.audit_draws(organization)[:10]),
            "form": form if form is not None else AuditDrawForm(programs=programs, prefix="draw"),
            "programs": programs,
        },
        status=status,
    )


@body_staff_required
def recertification(request: HttpRequest, organization: Organization) -> HttpResponse:
    """The cycles of one list (submitted by default), a page at a time, and the audit draws."""
    return _render_list(request, organization)


@body_staff_required
@require_POST
def audit_draw_new(request: HttpRequest, organization: Organization) -> HttpResponse:
    programs = selectors.programs_of(organization)
    form = AuditDrawForm(request.POST, programs=programs, prefix="draw")
    if form.is_valid():
        program = form.programs[form.cleaned_data["program"]]
        try:
            draw = recert_audit.audit_draw(
                program=program,
                fraction=form.cleaned_data["fraction"],
                seed=form.cleaned_data["seed"],
                acting_user=request.user,
            )
        except RecertificationError as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
            drawn = draw.cycles.count()
            messages.success(
                request,
                f"Drew {drawn} of {len(draw.population)} submitted "
                f"cycle{'s' if len(draw.population) != 1 else ''} for audit.",
            )
            return redirect("register_staff:audit_draw", org=organization.slug, pk=draw.pk)
    return _render_list(request, organization, form=form, status=400)


@body_staff_required
def audit_draw_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """A draw: who drew it, when, the seed, the fraction, the population and the cycles drawn, and
    whether the seed and population give the same sample again."""
    draw = selectors.audit_draw_get(organization, pk)
    if draw is None:
        raise Http404("No such audit draw.")
    cycles = list(
        selectors.body_cycles(organization)
        .filter(audit_draw=draw)
        .select_related("credential__holder", "credential__program")
        .order_by("pk")
    )
    return render(
        request,
        "register/staff/audit_draw.html",
        {
            "body": organization,
            "draw": draw,
            "cycles": cycles,
            "reproduced": recert_audit.audit_replay(draw) == [c.pk for c in cycles],
            "back": reverse("register_staff:recertification", kwargs={"org": organization.slug}),
        },
    )
