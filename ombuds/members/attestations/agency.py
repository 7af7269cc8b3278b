"""The agency administrator's part: their agency's people, each with their account and their status
in the body's open campaigns (with CSV); inviting them to open an account; adding a new employee or
agent. Refusals (`AgencyRefused`) list every problem and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ombuds.accounts.models import Invitation
from ombuds.accounts.services import InvitationRefused, invitation_create
from ombuds.audit import services as audit
from ombuds.members.agency_roles import administered_agencies, is_agency_admin
from ombuds.members.attestations.audiences import agency_staff
from ombuds.members.attestations.campaigns import campaign_sync
from ombuds.members.attestations.common import (
    STAFF_ROLES,
    AgencyRefused,
    CampaignRefused,
    csv_cell,
)
from ombuds.members.attestations.status import Classified, Statuses, empty_counts
from ombuds.members.models import AttestationCampaign, AttestationDue
from ombuds.register import records
from ombuds.register.csv import OMBUDS_ID_PREFIX
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Affiliation, Agency, Person

Audience = AttestationCampaign.Audience


def agencies_administered(user: Any, *, today: dt.date | None = None) -> list[Agency]:
    """The agencies whose people the user manages (for their home page)."""
    return list(administered_agencies(user, today=today).order_by("legal_name", "pk"))


@dataclass
class AgencyPerson:
    person: Person
    roles: list[str]
    account: str  # "account", "invited" or "none"
    # One per open campaign, in the overview's order: the person's status, or None when not asked.
    statuses: list[tuple[Classified, dt.date] | None]

    @property
    def account_label(self) -> str:
        return {"account": "Has an account", "invited": "Invited", "none": "No account"}[
            self.account
        ]


@dataclass
class AgencyOverview:
    agency: Agency
    campaigns: list[AttestationCampaign]
    people: list[AgencyPerson]
    # Per open campaign (same order): counts per status among the agency's people.
    counts: list[dict[str, int]]


def _agency_people(staff: QuerySet[Affiliation]) -> dict[int, AgencyPerson]:
    """The agency's staff by person, each with their roles and account (has one, invited, none)."""
    by_person: dict[int, AgencyPerson] = {}
    for affiliation in staff.select_related("person").order_by(
        "person__family_name", "person__given_name", "person_id", "role"
    ):
        entry = by_person.get(affiliation.person_id)
        if entry is None:
            person = affiliation.person
            entry = by_person[person.pk] = AgencyPerson(
                person=person,
                roles=[],
                account="account" if person.user_id else "none",
                statuses=[],
            )
        entry.roles.append(affiliation.get_role_display())
    for person_id in Invitation.objects.filter(
        person_id__in=staff.values("person_id"),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).values_list("person_id", flat=True):
        if by_person[person_id].account == "none":
            by_person[person_id].account = "invited"
    return by_person


def agency_overview(agency: Agency, *, today: dt.date | None = None) -> AgencyOverview:
    """The agency's current employees and agents, each with their account (has one, invited, none)
    and their status in each of the body's open campaigns; counts per campaign. Seven queries
    however many people and campaigns."""
    today = today or timezone.localdate()
    staff = agency_staff(agency, today=today)
    by_person = _agency_people(staff)
    people_ids = staff.values("person_id")
    campaigns = list(
        AttestationCampaign.objects.filter(
            organization_id=agency.organization_id, closed_at__isnull=True
        )
        .select_related("code_version")
        .order_by("due_on", "pk")
    )
    dues: dict[tuple[int, int], tuple[dt.date, bool]] = {}
    if campaigns:
        for campaign_id, person_id, due_on, excused_at in AttestationDue.objects.filter(
            campaign__in=[c.pk for c in campaigns], person_id__in=people_ids
        ).values_list("campaign_id", "person_id", "due_on", "excused_at"):
            dues[(campaign_id, person_id)] = (due_on, excused_at is not None)
    statuses = Statuses(campaigns, people_ids)
    counts = [empty_counts() for _ in campaigns]
    for entry in by_person.values():
        for index, campaign in enumerate(campaigns):
            due = dues.get((campaign.pk, entry.person.pk))
            if due is None:
                entry.statuses.append(None)
                continue
            result = statuses.classify(campaign.pk, entry.person.pk, due[0], due[1], today)
            counts[index][result.status] += 1
            entry.statuses.append((result, due[0]))
    return AgencyOverview(
        agency=agency, campaigns=campaigns, people=list(by_person.values()), counts=counts
    )


AGENCY_CSV_HEADER = [
    "campaign",
    "person",
    "reference",
    "email",
    "role",
    "account",
    "status",
    "due_on",
    "attested_at",
    "version",
    "carried_over",
    "by_proxy",
]


def agency_csv_rows(overview: AgencyOverview) -> Iterator[list[str]]:
    """The agency's coverage as CSV rows, the header first: one row per person and open campaign
    they are asked in."""
    yield AGENCY_CSV_HEADER
    for index, campaign in enumerate(overview.campaigns):
        for entry in overview.people:
            status = entry.statuses[index]
            if status is None:
                continue
            result, due_on = status
            fact = result.attestation
            person = entry.person
            yield [
                csv_cell(campaign.title),
                csv_cell(person.full_name),
                csv_cell(person.external_id or f"{OMBUDS_ID_PREFIX}{person.pk}"),
                csv_cell(person.email),
                ", ".join(entry.roles),
                entry.account,
                result.status,
                due_on.isoformat(),
                timezone.localtime(fact.attested_at).isoformat(timespec="seconds") if fact else "",
                csv_cell(fact.version_label) if fact else "",
                "yes" if result.carried_over else "no",
                ("yes" if fact.by_proxy else "no") if fact else "",
            ]


def _admin_problems(user: Any, agency: Agency, today: dt.date) -> list[str]:
    if not is_agency_admin(user, agency, today=today):
        return [f"You are not an administrator of {agency.legal_name}."]
    return []


def agency_invite(
    *, agency: Agency, person: Person, user: Any, today: dt.date | None = None
) -> tuple[Invitation, str]:
    """An agency administrator invites one of the agency's current employees or agents to open
    their account (`ombuds.accounts.services.invitation_create`, which writes its audit event).
    Raises AgencyRefused listing every problem."""
    today = today or timezone.localdate()
    problems = _admin_problems(user, agency, today)
    if not agency_staff(agency, today=today).filter(person=person).exists():
        problems.append(
            f"{person.full_name} is not a current employee or agent of {agency.legal_name}."
        )
    if problems:
        raise AgencyRefused(problems)
    try:
        return invitation_create(person=person, invited_by=user)
    except InvitationRefused as refused:
        raise AgencyRefused(refused.problems) from None


def _name_problems(given_name: str, family_name: str) -> list[str]:
    problems = []
    if not given_name:
        problems.append("Give their given name.")
    elif len(given_name) > 150:
        problems.append("Write the given name in 150 characters or fewer.")
    if not family_name:
        problems.append("Give their family name.")
    elif len(family_name) > 150:
        problems.append("Write the family name in 150 characters or fewer.")
    return problems


def _email_problems(agency: Agency, email: str) -> list[str]:
    if not email:
        return ["Give their email address: the invitation goes there."]
    try:
        validate_email(email)
    except ValidationError:
        return ["Enter their email address in the form name@example.org."]
    if Person.objects.filter(organization_id=agency.organization_id, email__iexact=email).exists():
        body = agency.organization.short_name
        return [
            f"Someone with the email address {email} is already in {body}'s register: ask "
            f"{body} to add them to {agency.legal_name}."
        ]
    return []


def _add_person(
    *, agency: Agency, user: Any, values: dict[str, str], role: str, today: dt.date
) -> tuple[Person, Invitation]:
    """Inside the caller's transaction: the record, the affiliation from today (each through the
    register's records, audited), the audit event, the invitation, and the open agency-staff
    campaigns brought in step."""
    person = records.person_save(organization=agency.organization, values=values, acting_user=user)
    affiliation = records.affiliation_save(
        agency=agency, person=person, role=role, start_date=today, acting_user=user
    )
    audit.record(
        action="agency.person_added",
        subject_type="person",
        subject_id=person.pk,
        data={
            "agency": agency.pk,
            "affiliation": affiliation.pk,
            "role": role,
            "name": person.full_name,
            "email": person.email,
        },
        organization=agency.organization,
        actor=user,
    )
    invitation, _token = invitation_create(person=person, invited_by=user, email=person.email)
    for campaign in AttestationCampaign.objects.filter(
        organization_id=agency.organization_id,
        audience=Audience.AGENCY_STAFF,
        closed_at__isnull=True,
    ):
        campaign_sync(campaign=campaign, today=today, acting_user=user)
    return person, invitation


def agency_person_add(
    *,
    agency: Agency,
    user: Any,
    given_name: str,
    family_name: str,
    email: str,
    role: str,
    today: dt.date | None = None,
) -> tuple[Person, Invitation]:
    """An agency administrator adds a new employee or agent: a register record in the body, their
    affiliation with the agency from today (`ombuds.register.records.affiliation_save`), and an
    invitation to open their account; open agency-staff campaigns ask them at once. Someone already
    in the body's register (by email address) is refused: the body links existing records. Raises
    AgencyRefused listing every problem; all or nothing."""
    today = today or timezone.localdate()
    given_name, family_name = (given_name or "").strip(), (family_name or "").strip()
    email = (email or "").strip()
    problems = _admin_problems(user, agency, today)
    problems += _name_problems(given_name, family_name)
    problems += _email_problems(agency, email)
    if role not in STAFF_ROLES:
        problems.append("Choose employee or agent.")
    if problems:
        raise AgencyRefused(problems)
    values = {"given_name": given_name, "family_name": family_name, "email": email}
    try:
        with transaction.atomic():
            person, invitation = _add_person(
                agency=agency, user=user, values=values, role=role, today=today
            )
    except records.ChangeRefused as exc:
        raise AgencyRefused([m for messages in exc.errors.values() for m in messages]) from None
    except (ValidationError, TransitionRefused, InvitationRefused, CampaignRefused) as exc:
        messages = (
            exc.problems
            if isinstance(exc, InvitationRefused | CampaignRefused)
            else (exc.messages if isinstance(exc, ValidationError) else [str(exc)])
        )
        raise AgencyRefused(list(messages)) from None
    return person, invitation
