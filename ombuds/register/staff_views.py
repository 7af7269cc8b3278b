"""Staff pages for a body's register: people, agencies, credentials, memberships and sanctions.

Every change goes through the register's services; these views only collect input and show results.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ombuds.bodies import services as bodies
from ombuds.bodies.access import body_staff_required
from ombuds.bodies.models import Organization
from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.register import records, services
from ombuds.register.csv import OMBUDS_ID_PREFIX
from ombuds.register.extensions import person_page_context, person_page_people
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
from ombuds.register.lifecycle import TransitionRefused, manual_transitions
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)
from ombuds.register.public import number_variants
from ombuds.register.subjects import CREDENTIAL, MEMBERSHIP, LifecycleSubject

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
    version = records.version_of(person) if pk else ""
    form = PersonForm(request.POST or None, instance=person, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            person = records.person_save(
                organization=organization,
                values=form.values(),
                person=person if pk else None,
                expected_version=form.expected_version_read(),
                acting_user=request.user,
            )
        except records.ChangeRefused as exc:
            form.refused(exc.errors)
        except records.ChangedMeanwhile as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
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
    person = get_object_or_404(
        person_page_people(Person.objects.all()), pk=pk, organization=organization
    )
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
            **person_page_context(person),
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
    version = records.version_of(agency) if pk else ""
    form = AgencyForm(request.POST or None, instance=agency, version=version)
    similar = []
    if request.method == "POST" and form.is_valid() and _agency_checked(form, organization, agency):
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
        try:
            agency = records.agency_save(
                organization=organization,
                values=form.values(),
                agency=agency if pk else None,
                expected_version=form.expected_version_read(),
                acting_user=request.user,
            )
        except records.ChangeRefused as exc:
            form.refused(exc.errors, {"trade_names": "trade_names_text"})
        except records.ChangedMeanwhile as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
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


def _agency_checked(form: AgencyForm, organization: Organization, agency: Agency) -> bool:
    """The agency's values pass the service's checks (shown on the form otherwise): only then is
    there a name worth comparing with other agencies'."""
    try:
        records.agency_clean(
            organization=organization, values=form.values(), agency=agency if agency.pk else None
        )
    except records.ChangeRefused as exc:
        form.refused(exc.errors, {"trade_names": "trade_names_text"})
        return False
    return True


def _sentence(message: str) -> str:
    """A service's refusal ("someone changed …") as a sentence in the error summary."""
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


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


def _lifecycle_view(
    request: HttpRequest,
    organization: Organization,
    record: Credential | Membership,
    *,
    subject: LifecycleSubject,
) -> HttpResponse:
    """A credential's or membership's page, with its status change form (the moves staff may take)."""
    kind = subject.name
    transitions = manual_transitions(subject.transitions, record.status)
    form = TransitionForm(
        request.POST or None, transitions=transitions, current=record.status, subject=subject
    )
    if request.method == "POST" and transitions and form.is_valid():
        try:
            services.lifecycle_transition(
                subject=subject, record=record, acting_user=request.user, **form.change()
            )
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Status changed to {form.cleaned_data['to_status']}.")
            return redirect(f"register_staff:{kind}", org=organization.slug, pk=record.pk)
    return render(
        request,
        f"register/staff/{kind}.html",
        {
            "body": organization,
            kind: record,
            "form": form,
            "transitions": transitions,
            "events": record.events.select_related("actor").order_by("recorded_at", "pk"),
            "sanctions": record.sanctions.prefetch_related("provisions").order_by("-decided_on"),
        },
        status=400 if form.errors else 200,
    )


def _sanction_view(
    request: HttpRequest,
    organization: Organization,
    record: Credential | Membership,
    *,
    subject: LifecycleSubject,
) -> HttpResponse:
    """Record a sanction decided outside Ombuds on a credential or a membership."""
    kind = subject.name
    version = current_version(organization)
    provisions = (
        version.provisions.exclude(citation="").order_by("position")
        if version
        else Provision.objects.none()
    )
    form = SanctionForm(request.POST or None, provisions=provisions, subject=kind)
    if request.method == "POST" and form.is_valid():
        try:
            services.sanction_record(
                organization=organization,
                record=record,
                decision=form.sanction_decision(),
                publication=form.sanction_publication(),
                acting_user=request.user,
            )
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Sanction recorded. Apply a {subject.sanction_moves} as a status change.",
            )
            return redirect(f"register_staff:{kind}", org=organization.slug, pk=record.pk)
    name = subject.describe(record)
    return render(
        request,
        "register/staff/edit.html",
        {
            "body": organization,
            "form": form,
            "title": f"Record a sanction on {name}",
            "back_url": reverse(
                f"register_staff:{kind}", kwargs={"org": organization.slug, "pk": record.pk}
            ),
            "back_label": f"Back to {name}",
        },
        status=400 if form.errors else 200,
    )


def _for_subject(view, subject: LifecycleSubject):
    """The staff page `view` for one subject's records: the body's record by its id, or 404."""

    @body_staff_required
    def page(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
        record = subject.find(organization.pk, pk)
        if record is None:
            raise Http404(f"No such {subject.name}")
        return view(request, organization, record, subject=subject)

    return page


credential_detail = _for_subject(_lifecycle_view, CREDENTIAL)
membership_detail = _for_subject(_lifecycle_view, MEMBERSHIP)
credential_sanction = _for_subject(_sanction_view, CREDENTIAL)
membership_sanction = _for_subject(_sanction_view, MEMBERSHIP)


@body_staff_required
def credential_correct(request: HttpRequest, organization: Organization, pk: int) -> HttpResponse:
    """Correct a credential's conditions or dates; the status stays and the history says why."""
    credential = CREDENTIAL.find(organization.pk, pk)
    if credential is None:
        raise Http404("No such credential")
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
            affiliation = records.affiliation_save(
                agency=agency,
                person=data["person"],
                role=data["role"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                acting_user=request.user,
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
            "expected_version": records.version_of(affiliation),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            records.affiliation_save(
                agency=agency,
                person=person,
                role=data["role"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                affiliation=affiliation,
                expected_version=data["expected_version"] or None,
                acting_user=request.user,
            )
        except TransitionRefused as exc:
            form.add_error(None, str(exc))
        except records.ChangedMeanwhile as exc:
            form.add_error(None, _sentence(str(exc)))
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
    form = ProfileForm(
        request.POST or None, instance=organization, version=bodies.profile_version(organization)
    )
    if request.method == "POST" and form.is_valid():
        try:
            bodies.profile_save(
                organization=organization,
                values=form.values(),
                expected_version=form.expected_version_read(),
                acting_user=request.user,
            )
        except bodies.ChangeRefused as exc:
            form.refused(exc.errors)
        except bodies.ChangedMeanwhile as exc:
            form.add_error(None, _sentence(str(exc)))
        else:
            messages.success(request, "Saved the public profile.")
            return redirect("profile:home", org=organization.slug)
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
