"""Staff pages for a body's register: people, agencies, credentials, memberships and sanctions.

Every change goes through the register's services; these views only collect input and show results.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from ombuds.codes.selectors import current_version
from ombuds.core.access import body_staff_required
from ombuds.register import services
from ombuds.register.forms import (
    AgencyForm,
    CredentialIssueForm,
    PersonForm,
    ProfileForm,
    SanctionForm,
    TransitionForm,
)
from ombuds.register.lifecycle import (
    CREDENTIAL_TRANSITIONS,
    MEMBERSHIP_TRANSITIONS,
    TransitionRefused,
    manual_transitions,
)
from ombuds.register.models import Agency, Credential, CredentialProgram, Membership, Person

SEARCH_LIMIT = 50


@body_staff_required
def register_home(request: HttpRequest, organization) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    people = agencies = credentials = []
    if query:
        people = list(
            Person.objects.filter(organization=organization).filter(
                Q(family_name__icontains=query)
                | Q(given_name__icontains=query)
                | Q(email__iexact=query)
                | Q(external_id=query)
            )[:SEARCH_LIMIT]
        )
        agencies = list(
            Agency.objects.filter(organization=organization).filter(
                Q(legal_name__icontains=query) | Q(city__iexact=query) | Q(external_id=query)
            )[:SEARCH_LIMIT]
        )
        credentials = list(
            Credential.objects.filter(
                program__organization=organization, number__iexact="".join(query.split())
            ).select_related("holder", "program")[:SEARCH_LIMIT]
        )
    counts = {
        "people": Person.objects.filter(organization=organization).count(),
        "agencies": Agency.objects.filter(organization=organization).count(),
        "credentials": Credential.objects.filter(program__organization=organization).count(),
        "memberships": Membership.objects.filter(organization=organization).count(),
    }
    return render(
        request,
        "register/staff/home.html",
        {
            "body": organization,
            "query": query,
            "people": people,
            "agencies": agencies,
            "credentials": credentials,
            "counts": counts,
            "limit": SEARCH_LIMIT,
        },
    )


@body_staff_required
def person_edit(request: HttpRequest, organization, pk: int | None = None) -> HttpResponse:
    person = (
        get_object_or_404(Person, pk=pk, organization=organization)
        if pk
        else Person(organization=organization)
    )
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        person = form.save()
        messages.success(request, f"Saved {person.full_name}.")
        return redirect("register_staff:person", org=organization.slug, pk=person.pk)
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form,
            "title": f"Edit {person.full_name}" if pk else "Add a person",
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def person_detail(request: HttpRequest, organization, pk: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk, organization=organization)
    programs = CredentialProgram.objects.filter(organization=organization)
    form = CredentialIssueForm(request.POST or None, programs=programs)
    if request.method == "POST" and form.is_valid():
        try:
            credential = services.credential_issue(
                holder=person,
                program=form.cleaned_data["program"],
                number=form.cleaned_data["number"],
                acting_user=request.user,
            )
        except TransitionRefused as exc:
            form.add_error("number", str(exc))
        else:
            messages.success(request, f"Credential {credential.number} added as a candidate.")
            return redirect("register_staff:credential", org=organization.slug, pk=credential.pk)
    return render(
        request,
        "register/staff/person.html",
        {
            "body": organization,
            "person": person,
            "form": form,
            "credentials": person.credentials.select_related("program").order_by("-created_at"),
            "affiliations": person.affiliations.select_related("agency"),
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def agency_edit(request: HttpRequest, organization, pk: int | None = None) -> HttpResponse:
    agency = (
        get_object_or_404(Agency, pk=pk, organization=organization)
        if pk
        else Agency(organization=organization)
    )
    form = AgencyForm(request.POST or None, instance=agency)
    similar = []
    if request.method == "POST" and form.is_valid():
        names = [form.cleaned_data["legal_name"], *form.cleaned_data["trade_names_text"]]
        similar = services.similar_agencies(
            organization=organization, names=names, exclude_pk=agency.pk
        )
        confirmed = request.POST.get("confirm_similar", "") == _names_key(names)
        if similar and not confirmed:
            # CSEC 4.2: warn before a name a client could confuse with another agency's.
            return render(
                request,
                "register/staff/edit.html",
                {
                    "body": organization,
                    "form": form,
                    "similar": similar,
                    "title": "Check the name",
                    "confirm_key": _names_key(names),
                },
            )
        agency = form.save()
        messages.success(request, f"Saved {agency.legal_name}.")
        return redirect("register_staff:agency", org=organization.slug, pk=agency.pk)
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form,
            "title": f"Edit {agency.legal_name}" if pk else "Add an agency",
        },
        status=400 if form.errors else 200,
    )


def _names_key(names: list[str]) -> str:
    """What "save anyway" confirmed: a changed name must be checked again."""
    import hashlib

    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


@body_staff_required
def agency_detail(request: HttpRequest, organization, pk: int) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=pk, organization=organization)
    return render(
        request,
        "register/staff/agency.html",
        {
            "body": organization,
            "agency": agency,
            "affiliations": agency.affiliations.select_related("person").order_by(
                "person__family_name"
            ),
            "memberships": agency.memberships.select_related("membership_type"),
            "similar": services.similar_agencies(
                organization=organization,
                names=[agency.legal_name, *agency.trade_names],
                exclude_pk=agency.pk,
            ),
        },
    )


def _transition_view(request, organization, obj, *, table, kind: str, apply) -> HttpResponse:
    transitions = manual_transitions(table, obj.status)
    form = TransitionForm(
        request.POST or None,
        transitions=transitions,
        current=obj.status,
        with_expiry=kind == "credential",
    )
    if request.method == "POST" and transitions and form.is_valid():
        data = form.cleaned_data
        try:
            apply(data)
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Status changed to {data['to_status']}.")
            return redirect(f"register_staff:{kind}", org=organization.slug, pk=obj.pk)
    return render(
        request,
        f"register/staff/{kind}.html",
        {
            "body": organization,
            kind: obj,
            "form": form,
            "transitions": transitions,
            "events": obj.events.select_related("actor").order_by("recorded_at", "pk"),
            "sanctions": obj.sanctions.prefetch_related("provisions").order_by("-decided_on"),
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def credential_detail(request: HttpRequest, organization, pk: int) -> HttpResponse:
    credential = get_object_or_404(
        Credential.objects.select_related("holder", "program"),
        pk=pk,
        program__organization=organization,
    )
    return _transition_view(
        request,
        organization,
        credential,
        table=CREDENTIAL_TRANSITIONS,
        kind="credential",
        apply=lambda d: services.credential_transition(
            credential=credential,
            to_status=d["to_status"],
            effective_date=d["effective_date"],
            reason=d["reason"],
            decision_ref=d["decision_ref"],
            until=d["until"],
            expires_on=d.get("expires_on"),
            expected_status=d["expected_status"],
            acting_user=request.user,
        ),
    )


@body_staff_required
def membership_detail(request: HttpRequest, organization, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("person", "agency", "membership_type"),
        pk=pk,
        organization=organization,
    )
    return _transition_view(
        request,
        organization,
        membership,
        table=MEMBERSHIP_TRANSITIONS,
        kind="membership",
        apply=lambda d: services.membership_transition(
            membership=membership,
            to_status=d["to_status"],
            effective_date=d["effective_date"],
            reason=d["reason"],
            decision_ref=d["decision_ref"],
            until=d["until"],
            renewal_date=d.get("renewal_date"),
            expected_status=d["expected_status"],
            acting_user=request.user,
        ),
    )


@body_staff_required
def credential_sanction(request: HttpRequest, organization, pk: int) -> HttpResponse:
    credential = get_object_or_404(
        Credential.objects.select_related("holder", "program"),
        pk=pk,
        program__organization=organization,
    )
    version = current_version(organization)
    provisions = (
        version.provisions.exclude(citation="").order_by("position")
        if version
        else Credential.objects.none()
    )
    form = SanctionForm(request.POST or None, provisions=provisions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.sanction_record(
                organization=organization,
                credential=credential,
                kind=data["kind"],
                decided_on=data["decided_on"],
                summary=data["summary"],
                publication=data["publication"],
                public_until=data["public_until"],
                effective_from=data["effective_from"],
                effective_until=data["effective_until"],
                decision_url=data["decision_url"],
                provisions=list(data["provisions"]),
                acting_user=request.user,
            )
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, "Sanction recorded. Apply a suspension or revocation as a status change."
            )
            return redirect("register_staff:credential", org=organization.slug, pk=credential.pk)
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form,
            "title": f"Record a sanction on {credential.program} {credential.number} ({credential.holder})",
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def profile_edit(request: HttpRequest, organization) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved the public profile.")
        return redirect("codes:body_home", org=organization.slug)
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form,
            "title": f"{organization.short_name}'s public profile",
        },
        status=400 if form.errors else 200,
    )
