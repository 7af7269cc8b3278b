"""Who a campaign asks: the body's member agencies, an agency's staff, everyone in an audience."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from ombuds.bodies.models import Organization
from ombuds.members.agency_roles import current_on
from ombuds.members.attestations.common import (
    CURRENT_CREDENTIAL,
    CURRENT_MEMBERSHIP,
    STAFF_ROLES,
)
from ombuds.members.models import AttestationCampaign
from ombuds.register.models import Affiliation, Agency, Credential, Membership

Audience = AttestationCampaign.Audience


def member_agencies(organization: Organization) -> QuerySet[Agency]:
    """The body's agencies with a current membership."""
    return Agency.objects.filter(
        organization=organization,
        memberships__organization=organization,
        memberships__status__in=CURRENT_MEMBERSHIP,
    ).distinct()


def agency_staff(agency: Agency, *, today: dt.date) -> QuerySet[Affiliation]:
    """The agency's current employees and agents (one row per affiliation)."""
    return Affiliation.objects.filter(
        current_on(today),
        agency=agency,
        role__in=STAFF_ROLES,
        person__organization_id=agency.organization_id,
    )


def _agency_staff_members(organization: Organization, today: dt.date) -> dict[int, int | None]:
    """The staff of the body's member agencies: person id → their member agency with the
    smallest id."""
    rows = (
        Affiliation.objects.filter(
            current_on(today),
            agency__organization=organization,
            person__organization=organization,
            role__in=STAFF_ROLES,
            agency_id__in=Membership.objects.filter(
                organization=organization,
                agency__isnull=False,
                status__in=CURRENT_MEMBERSHIP,
            ).values("agency_id"),
        )
        .order_by("person_id", "agency_id")
        .values_list("person_id", "agency_id")
    )
    members: dict[int, int | None] = {}
    for person_id, agency_id in rows:
        members.setdefault(person_id, agency_id)
    return members


def audience_members(
    organization: Organization, audience: str, *, today: dt.date
) -> dict[int, int | None]:
    """Everyone the audience covers today: person id → the agency through which they are asked
    (agency staff: their member agency with the smallest id when several; otherwise None)."""
    if audience == Audience.AGENCY_STAFF:
        return _agency_staff_members(organization, today)
    people = set(
        Credential.objects.filter(
            program__organization=organization,
            holder__organization=organization,
            status__in=CURRENT_CREDENTIAL,
        ).values_list("holder_id", flat=True)
    )
    if audience == Audience.ALL_MEMBERS:
        people |= set(
            Membership.objects.filter(
                organization=organization,
                person__organization=organization,
                status__in=CURRENT_MEMBERSHIP,
            ).values_list("person_id", flat=True)
        )
    return dict.fromkeys(sorted(people))
