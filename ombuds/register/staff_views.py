"""Staff pages for a body's register: people, agencies, credentials, memberships and sanctions.

Every change goes through the register's services; these views only collect input and show results.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ombuds.accounts.selectors import person_account, with_account
from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.core.access import body_staff_required
from ombuds.register import services
from ombuds.register.csv_io import OMBUDS_ID_PREFIX
from ombuds.register.forms import (
    AffiliationForm,
    AgencyForm,
    CredentialCorrectForm,
    CredentialIssueForm,
    MembershipForm,
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
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Organization,
    Person,
)
from ombuds.register.public import number_variants

SEARCH_LIMIT = 50
# People listed when finding someone to affiliate with an agency.
PICK_LIMIT = 20


def _people_matching(organization: Organization, query: str) -> QuerySet[Person]:
    """The body's people whose names hold every word of the query ("lena aba" finds Lena Abara),
    or whose email address or identifier it is."""
    by_name = Q()
    for word in query.split()[:5]:
        by_name &= Q(family_name__icontains=word) | Q(given_name__icontains=word)
    return Person.objects.filter(organization=organization).filter(
        by_name | Q(email__iexact=query) | Q(external_id=query)
    )


@body_staff_required
def register_home(request: HttpRequest, organization: Organization) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    people = agencies = credentials = memberships = []
    if query:
        people = list(_people_matching(organization, query)[:SEARCH_LIMIT])
        agencies = list(
            Agency.objects.filter(organization=organization).filter(
                Q(legal_name__icontains=query) | Q(city__iexact=query) | Q(external_id=query)
            )[:SEARCH_LIMIT]
        )
        # A number as the public register reads it: case ignored, a space standing for nothing or
        # a hyphen ("cgp 100" finds CGP100 and CGP-100).
        number = Q(pk__in=[])
        for variant in number_variants(query):
            number |= Q(number__iexact=variant)
        credentials = list(
            Credential.objects.filter(number, program__organization=organization).select_related(
                "holder", "program"
            )[:SEARCH_LIMIT]
        )
        memberships = list(
            Membership.objects.filter(organization=organization)
            .filter(number | Q(external_id=query))
            .select_related("person", "agency", "membership_type")[:SEARCH_LIMIT]
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
            "memberships": memberships,
            "counts": counts,
            "limit": SEARCH_LIMIT,
        },
    )


@body_staff_required
def person_edit(
    request: HttpRequest, organization: Organization, pk: int | None = None
) -> HttpResponse:
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
def person_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    person = get_object_or_404(with_account(Person.objects), pk=pk, organization=organization)
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
            "memberships": person.memberships.select_related("membership_type").order_by(
                "-created_at"
            ),
            "affiliations": person.affiliations.select_related("agency").order_by(
                "agency__legal_name", "-start_date", "pk"
            ),
            "account": person_account(person),
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def agency_edit(
    request: HttpRequest, organization: Organization, pk: int | None = None
) -> HttpResponse:
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
def agency_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=pk, organization=organization)
    return render(
        request,
        "register/staff/agency.html",
        {
            "body": organization,
            "agency": agency,
            "affiliations": agency.affiliations.select_related("person").order_by(
                "person__family_name", "person__given_name", "-start_date", "pk"
            ),
            "memberships": agency.memberships.select_related("membership_type").order_by(
                "-created_at"
            ),
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
def credential_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
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
def membership_detail(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
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


def _sanction_view(
    request: HttpRequest,
    organization: Organization,
    *,
    credential: Credential | None = None,
    membership: Membership | None = None,
) -> HttpResponse:
    """Record a sanction decided outside Ombuds on a credential or a membership."""
    kind = "credential" if credential is not None else "membership"
    subject = credential if credential is not None else membership
    version = current_version(organization)
    provisions = (
        version.provisions.exclude(citation="").order_by("position")
        if version
        else Provision.objects.none()
    )
    form = SanctionForm(request.POST or None, provisions=provisions, subject=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.sanction_record(
                organization=organization,
                credential=credential,
                membership=membership,
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
            change = (
                "suspension or revocation" if kind == "credential" else "suspension or expulsion"
            )
            messages.success(request, f"Sanction recorded. Apply a {change} as a status change.")
            return redirect(f"register_staff:{kind}", org=organization.slug, pk=subject.pk)
    if credential is not None:
        name = f"{credential.program} {credential.number} ({credential.holder})"
    else:
        name = f"membership {membership.number} ({membership.holder})"
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form,
            "title": f"Record a sanction on {name}",
            "back_url": reverse(
                f"register_staff:{kind}", kwargs={"org": organization.slug, "pk": subject.pk}
            ),
            "back_label": f"Back to {name}",
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def credential_sanction(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    credential = get_object_or_404(
        Credential.objects.select_related("holder", "program"),
        pk=pk,
        program__organization=organization,
    )
    return _sanction_view(request, organization, credential=credential)


@body_staff_required
def membership_sanction(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    membership = get_object_or_404(
        Membership.objects.select_related("person", "agency"), pk=pk, organization=organization
    )
    return _sanction_view(request, organization, membership=membership)


@body_staff_required
def credential_correct(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Correct a credential's conditions or dates; the status stays and the history says why."""
    credential = get_object_or_404(
        Credential.objects.select_related("holder", "program"),
        pk=pk,
        program__organization=organization,
    )
    form = CredentialCorrectForm(request.POST or None, credential=credential)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.credential_correct(
                credential=credential,
                reason=data["reason"],
                conditions=data["conditions"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
                expected_status=data["expected_status"],
                acting_user=request.user,
            )
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Corrected. The change is in the status history.")
            return redirect("register_staff:credential", org=organization.slug, pk=credential.pk)
    name = f"{credential.program.abbreviation} {credential.number}"
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form,
            "title": f"Correct the conditions or dates of {name} ({credential.holder})",
            "intro": "The status does not change. The correction is recorded in the status "
            "history, with what changed, your reason and your name.",
            "back_url": reverse(
                "register_staff:credential", kwargs={"org": organization.slug, "pk": credential.pk}
            ),
            "back_label": f"Back to {name}",
        },
        status=400 if form.errors else 200,
    )


# Who holds which kinds of membership: people hold individual and board memberships, agencies
# organisation memberships (the service refuses anything else).
_PERSON_KINDS = (MembershipType.Kind.INDIVIDUAL, MembershipType.Kind.BOARD)
_AGENCY_KINDS = (MembershipType.Kind.ORGANIZATION,)


def _membership_new(
    request: HttpRequest,
    organization: Organization,
    *,
    person: Person | None = None,
    agency: Agency | None = None,
) -> HttpResponse:
    holder_kind = "person" if person is not None else "agency"
    holder = person if person is not None else agency
    holder_name = person.full_name if person is not None else agency.legal_name
    types = MembershipType.objects.filter(
        organization=organization,
        kind__in=_PERSON_KINDS if person is not None else _AGENCY_KINDS,
    ).order_by("name")
    form = MembershipForm(request.POST or None, organization=organization, membership_types=types)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.membership_create(
                organization=organization,
                membership_type=data["membership_type"],
                number=data["number"],
                person=person,
                agency=agency,
                external_id=data["external_id"],
                acting_user=request.user,
            )
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Membership {membership.number} added as an applicant: admit it below."
            )
            return redirect("register_staff:membership", org=organization.slug, pk=membership.pk)
    has_types = bool(form.fields["membership_type"].choices)
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form if has_types else None,
            "title": f"Add a membership for {holder_name}",
            "intro": "The membership starts as an applicant; admit it on its page."
            if has_types
            else "",
            "unavailable": f"{organization.short_name} has no membership types for "
            f"{'people' if person is not None else 'agencies'}. An administrator adds them in "
            "Django's admin.",
            "back_url": reverse(
                f"register_staff:{holder_kind}", kwargs={"org": organization.slug, "pk": holder.pk}
            ),
            "back_label": f"Back to {holder_name}",
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def person_membership_new(
    request: HttpRequest, organization: Organization, pk: int
) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk, organization=organization)
    return _membership_new(request, organization, person=person)


@body_staff_required
def agency_membership_new(
    request: HttpRequest, organization: Organization, pk: int
) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=pk, organization=organization)
    return _membership_new(request, organization, agency=agency)


def _person_ref(person: Person) -> str:
    """How the affiliation form names a person: the body's identifier, else Ombuds' own."""
    return person.external_id or f"{OMBUDS_ID_PREFIX}{person.pk}"


@body_staff_required
def affiliation_new(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Add a person to an agency. The person is named by their identifier or email address; a
    search by name on the same page lists matches, each with a link that fills the field in."""
    agency = get_object_or_404(Agency, pk=pk, organization=organization)
    people = Person.objects.filter(organization=organization)
    query = request.GET.get("q", "").strip()[:100]
    found: list[Person] = []
    if query:
        found = list(_people_matching(organization, query)[: PICK_LIMIT + 1])
    initial = {}
    chosen = request.GET.get("person", "").strip()[:254]
    if chosen:
        initial["person"] = chosen
    form = AffiliationForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            affiliation = services.affiliation_save(
                agency=agency,
                person=data["person"],
                role=data["role"],
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"{affiliation.person.full_name} added as "
                f"{affiliation.get_role_display().lower()} of {agency.legal_name}.",
            )
            return redirect("register_staff:agency", org=organization.slug, pk=agency.pk)
    return render(
        request,
        "register/staff/affiliation.html",
        {
            "body": organization,
            "agency": agency,
            "form": form,
            "query": query,
            "found": [(p, _person_ref(p)) for p in found[:PICK_LIMIT]],
            "more": len(found) > PICK_LIMIT,
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def affiliation_edit(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Change an affiliation's role or dates, or end it. ``?from=person`` returns to the person's
    page afterwards; otherwise to the agency's."""
    affiliation = get_object_or_404(
        Affiliation.objects.select_related("agency", "person"),
        pk=pk,
        agency__organization=organization,
    )
    agency, person = affiliation.agency, affiliation.person
    back_to_person = request.GET.get("from") == "person"
    back_url = (
        reverse("register_staff:person", kwargs={"org": organization.slug, "pk": person.pk})
        if back_to_person
        else reverse("register_staff:agency", kwargs={"org": organization.slug, "pk": agency.pk})
    )
    form = AffiliationForm(
        request.POST or None,
        initial={
            "role": affiliation.role,
            "start_date": affiliation.start_date,
            "end_date": affiliation.end_date,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.affiliation_save(
                agency=agency,
                person=person,
                role=data["role"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                affiliation=affiliation,
            )
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {person.full_name}'s affiliation.")
            return redirect(back_url)
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form,
            "title": f"{person.full_name} at {agency.legal_name}",
            "intro": "Change the role or the dates. To end the affiliation, give the day it ended.",
            "back_url": back_url,
            "back_label": f"Back to {person.full_name if back_to_person else agency.legal_name}",
        },
        status=400 if form.errors else 200,
    )


@body_staff_required
def profile_edit(request: HttpRequest, organization: Organization) -> HttpResponse:
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
