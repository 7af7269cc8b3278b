"""What a member reads of themselves (selectors only: nothing here changes anything).

A signed-in user is a member of every body whose register has a record (`Person`) linked to their
account. They see their own records only: their credentials and memberships, what is due from them,
their invoices (and their agencies', for an agency they administer), the complaints they answer as
respondent, and what the bodies sent them about those. An agency
administrator also sees their own agency's memberships; no one sees another agency's.

Who answers a complaint from their account (`respondent_cases`): the person the case is about, or
a representative of the agency it is about (a current affiliation as its administrator or as a
principal). Only once the procedure has notified the respondent (a notice carrying their personal
link): before that, the complaint is not theirs to know of (CSEC Article 5), exactly as for the link.

`member_home` reads everything in a fixed number of queries, whatever the number of records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.cases import services as case_services
from ombuds.cases.models import Case, CaseDeadline, Message, Notice
from ombuds.members.agency_roles import current_on, represented_agency_ids, signed_in
from ombuds.members.attestations import OpenDue, open_dues_for_user
from ombuds.members.models import Disclosure
from ombuds.register.invoices import invoices_owed_by
from ombuds.register.models import (
    Affiliation,
    Agency,
    Credential,
    Invoice,
    Membership,
    Person,
    RecertificationCycle,
)
from ombuds.register.recertification import Progress, cycle_progress

# How many of the latest notices and messages the home lists.
LATEST_MESSAGES = 10


def _notified() -> Exists:
    return Exists(
        Notice.objects.filter(
            case=OuterRef("pk"),
            recipient_role="respondent",
            template__in=case_services.PROCEDURE_LINK_TEMPLATES,
        )
    )


def respondent_cases(
    user: Any, *, today: dt.date | None = None, represented: list[int] | None = None
) -> QuerySet[Case]:
    """The cases the user answers as respondent (see the module's docstring), once notified.
    ``represented``: the agencies they represent, when the caller has them already."""
    if not signed_in(user):
        return Case.objects.none()
    if represented is None:
        represented = represented_agency_ids(user, today=today)
    mine = Q(respondent_person__user=user)
    if represented:
        mine |= Q(respondent_agency_id__in=represented)
    return (
        Case.objects.filter(mine)
        .filter(_notified())
        .select_related("organization")
        .order_by("-filed_at", "pk")
    )


def respondent_case_get(user: Any, reference: str) -> Case | None:
    """The case with this reference if the user answers it as respondent, else None."""
    return (
        respondent_cases(user)
        .select_related("respondent_person", "respondent_agency")
        .filter(reference=reference)
        .first()
    )


# --- the home -------------------------------------------------------------------------------------


@dataclass
class CycleDue:
    cycle: RecertificationCycle
    progress: Progress

    @property
    def credential(self) -> Credential:
        return self.cycle.credential


@dataclass
class AgencyHome:
    """An agency the member represents: its memberships, and its pages if they administer it."""

    agency: Agency
    admin: bool
    memberships: list[Membership] = field(default_factory=list)

    @property
    def people_url(self) -> str:
        return reverse("attest:agency_people", args=[self.agency.pk])

    @property
    def complaints_url(self) -> str:
        return reverse("first_tier:inbox", args=[self.agency.pk])


@dataclass
class BodyHome:
    """The member's records with one body."""

    organization: Organization
    person: Person
    credentials: list[Credential] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    agencies: list[AgencyHome] = field(default_factory=list)
    cycles: list[CycleDue] = field(default_factory=list)
    current_disclosures: int = 0
    # Outstanding first, soonest due first; then the settled ones, latest first.
    invoices: list[Invoice] = field(default_factory=list)

    @property
    def disclosures_url(self) -> str:
        return reverse("me:disclosures", kwargs={"org": self.organization.slug})


@dataclass
class CaseHome:
    case: Case
    state: str
    closed: bool
    deadlines: list[CaseDeadline] = field(default_factory=list)

    @property
    def url(self) -> str:
        return reverse("me:case", kwargs={"reference": self.case.reference})


@dataclass
class Sent:
    """A notice or a message a body sent the member about one of their cases."""

    at: dt.datetime
    case: Case
    kind: str  # "notice" or "message"
    text: str

    @property
    def url(self) -> str:
        return reverse("me:case", kwargs={"reference": self.case.reference})


@dataclass
class Home:
    bodies: list[BodyHome]
    cases: list[CaseHome]
    sent: list[Sent]
    attestations: list[OpenDue]
    security_url: str = field(default_factory=lambda: reverse("accounts:security"))

    @property
    def deadlines(self) -> list[tuple[CaseDeadline, CaseHome]]:
        """Every running deadline of the member's cases, soonest first."""
        found = [(d, c) for c in self.cases for d in c.deadlines]
        return sorted(found, key=lambda pair: (pair[0].due_on, pair[0].pk))

    @property
    def cycles(self) -> list[tuple[CycleDue, BodyHome]]:
        found = [(c, b) for b in self.bodies for c in b.cycles]
        return sorted(found, key=lambda pair: (pair[0].cycle.due_on, pair[0].cycle.pk))

    @property
    def invoices_due(self) -> list[tuple[Invoice, BodyHome]]:
        found = [(i, b) for b in self.bodies for i in b.invoices if i.state == "outstanding"]
        return sorted(found, key=lambda pair: (pair[0].due_on, pair[0].pk))

    @property
    def anything_due(self) -> bool:
        return bool(self.deadlines or self.cycles or self.attestations or self.invoices_due)


def attestation_dues(user: Any) -> list[OpenDue]:
    """The attestations due from the user (`ombuds.members.attestations`)."""
    return open_dues_for_user(user)


def member_home(user: Any, *, today: dt.date | None = None) -> Home:
    """Everything the member's home shows, their own records only."""
    if not signed_in(user):
        return Home(bodies=[], cases=[], sent=[], attestations=[])
    today = today or timezone.localdate()
    bodies = _bodies(user, today=today)
    represented = [a.agency.pk for b in bodies for a in b.agencies]
    cases = _cases(respondent_cases(user, represented=represented))
    return Home(
        bodies=bodies,
        cases=cases,
        sent=_sent([c.case for c in cases]),
        attestations=attestation_dues(user),
    )


def member_body(
    user: Any, organization: Organization, *, today: dt.date | None = None
) -> BodyHome | None:
    """The member's own records with one body (None when they have no record there)."""
    if not signed_in(user):
        return None
    found = _bodies(user, today=today or timezone.localdate(), organization=organization)
    return found[0] if found else None


def _bodies(
    user: Any, *, today: dt.date, organization: Organization | None = None
) -> list[BodyHome]:
    """The user's records per body (one body's only, if given), in a fixed number of queries."""
    people = Person.objects.filter(user=user).select_related("organization")
    if organization is not None:
        people = people.filter(organization=organization)
    people = list(people.order_by("organization__name", "pk"))
    if not people:
        return []
    person_ids = [p.pk for p in people]
    bodies = {p.organization_id: BodyHome(organization=p.organization, person=p) for p in people}
    # Every record is filed under the body of the person it is theirs through.
    body_of = {p.pk: bodies[p.organization_id] for p in people}

    for credential in (
        Credential.objects.filter(holder_id__in=person_ids)
        .select_related("program")
        .order_by("program__name", "number")
    ):
        body_of[credential.holder_id].credentials.append(credential)
    for membership in (
        Membership.objects.filter(person_id__in=person_ids)
        .select_related("membership_type")
        .order_by("number")
    ):
        body_of[membership.person_id].memberships.append(membership)
    cycles = (
        RecertificationCycle.objects.filter(
            credential__holder_id__in=person_ids, outcome=RecertificationCycle.Outcome.OPEN
        )
        .select_related("credential__program")
        .prefetch_related("activities")
        .order_by("due_on", "pk")
    )
    for cycle in cycles:
        due = CycleDue(cycle=cycle, progress=cycle_progress(cycle))
        body_of[cycle.credential.holder_id].cycles.append(due)

    affiliations = (
        Affiliation.objects.filter(current_on(today), person_id__in=person_ids)
        .filter(Q(agency_admin=True) | Q(role=Affiliation.Role.PRINCIPAL))
        .select_related("agency")
        .order_by("agency__legal_name", "agency_id")
    )
    agencies: dict[int, AgencyHome] = {}
    for affiliation in affiliations:
        home = agencies.get(affiliation.agency_id)
        if home is None:
            home = agencies[affiliation.agency_id] = AgencyHome(
                agency=affiliation.agency, admin=False
            )
            body_of[affiliation.person_id].agencies.append(home)
        home.admin = home.admin or affiliation.agency_admin
    administered = [pk for pk, home in agencies.items() if home.admin]
    if administered:
        for membership in (
            Membership.objects.filter(agency_id__in=administered)
            .select_related("membership_type")
            .order_by("number")
        ):
            agencies[membership.agency_id].memberships.append(membership)

    for invoice in invoices_owed_by(person_ids, administered):
        if invoice.organization_id in bodies:
            bodies[invoice.organization_id].invoices.append(invoice)

    counts = (
        Disclosure.objects.filter(user=user, current=True, organization_id__in=list(bodies))
        .values("organization_id")
        .annotate(n=Count("pk"))
    )
    for row in counts:
        bodies[row["organization_id"]].current_disclosures = row["n"]
    return list(bodies.values())


def _cases(found: QuerySet[Case]) -> list[CaseHome]:
    homes, theirs = {}, {}
    for case in found:
        procedure = case_services.procedure_of(case)
        state = procedure.state(case.state)
        homes[case.pk] = CaseHome(case=case, state=state.label, closed=state.final)
        theirs[case.pk] = procedure.declared.respondent_deadlines
    deadlines = CaseDeadline.objects.filter(
        case_id__in=list(homes), met_at__isnull=True, expired_at__isnull=True
    ).order_by("due_on", "pk")
    for deadline in deadlines:
        # Only the deadlines the case's procedure shows the respondent.
        if deadline.name in theirs[deadline.case_id]:
            homes[deadline.case_id].deadlines.append(deadline)
    return list(homes.values())


def _sent(cases: list[Case]) -> list[Sent]:
    """The latest notices and messages the bodies addressed to the member as respondent, on the
    given cases (theirs) only. The notice that only says a message is waiting is left out: the
    message itself is listed."""
    by_pk = {c.pk: c for c in cases}
    if not by_pk:
        return []
    notices = (
        Notice.objects.filter(case_id__in=list(by_pk), recipient_role="respondent")
        .exclude(template="message")
        .order_by("-created_at", "-pk")
        .values_list("case_id", "created_at", "subject")[:LATEST_MESSAGES]
    )
    sent = [Sent(at=at, case=by_pk[pk], kind="notice", text=subject) for pk, at, subject in notices]
    messages = (
        Message.objects.filter(
            case_id__in=list(by_pk),
            audience=Message.Audience.RESPONDENT,
            from_party=False,
            purged_at__isnull=True,
        )
        .order_by("-created_at", "-pk")
        .values_list("case_id", "created_at", "body")[:LATEST_MESSAGES]
    )
    sent += [Sent(at=at, case=by_pk[pk], kind="message", text=body) for pk, at, body in messages]
    sent.sort(key=lambda s: s.at, reverse=True)
    return sent[:LATEST_MESSAGES]
