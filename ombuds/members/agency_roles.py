"""Who acts for an agency: one answer for every page that asks.

A signed-in user acts for an agency through their own register record in the agency's body, by a
current affiliation with it (begun, not ended): as its administrator (`Affiliation.agency_admin`: its
people, attestations and client complaints) or, for the cases it answers, as administrator or
principal. A role on the body, staff status or a superuser gives none of this: these are the
agency's own pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from ombuds.register.models import Affiliation, Agency


def current_on(today: dt.date) -> Q:
    """Affiliations current on ``today``: started (or no start date) and not ended."""
    return (Q(start_date__isnull=True) | Q(start_date__lte=today)) & (
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


def signed_in(user: Any) -> bool:
    """An active account that is signed in."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def current_affiliations(user: Any, *, today: dt.date | None = None) -> QuerySet[Affiliation]:
    """The user's own affiliations that hold today, through their record in the agency's body."""
    if not signed_in(user):
        return Affiliation.objects.none()
    return Affiliation.objects.filter(
        current_on(today or timezone.localdate()),
        person__user=user,
        person__organization_id=F("agency__organization_id"),
    )


def administered_agencies(user: Any, *, today: dt.date | None = None) -> QuerySet[Agency]:
    """The agencies the user administers now."""
    mine = current_affiliations(user, today=today).filter(agency=OuterRef("pk"), agency_admin=True)
    return Agency.objects.filter(Exists(mine)).select_related("organization")


def administered_agency(user: Any, agency_id: int) -> Agency | None:
    """The agency with this number if the user administers it now; None otherwise."""
    return administered_agencies(user).filter(pk=agency_id).first()


def is_agency_admin(user: Any, agency: Agency, *, today: dt.date | None = None) -> bool:
    return current_affiliations(user, today=today).filter(agency=agency, agency_admin=True).exists()


def works_for(user: Any, agency_id: int) -> bool:
    """Whether the user has a current affiliation with the agency (administrator or not)."""
    return current_affiliations(user).filter(agency_id=agency_id).exists()


def represented_agency_ids(user: Any, *, today: dt.date | None = None) -> list[int]:
    """The agencies the user answers cases for: as administrator or as principal."""
    return list(
        current_affiliations(user, today=today)
        .filter(Q(agency_admin=True) | Q(role=Affiliation.Role.PRINCIPAL))
        .values_list("agency_id", flat=True)
        .distinct()
    )
