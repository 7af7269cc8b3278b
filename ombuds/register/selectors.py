from __future__ import annotations

from ombuds.bodies.models import Organization
from ombuds.register.models import Membership, Seat

# The statuses in which a member appears in the public directory ("Our Members").
DIRECTORY_STATUSES = ("active", "grace")


def member_directory(organization: Organization) -> list:
    """Members in good standing, agencies and people alike, by name: what the body lists publicly."""
    rows = (
        Membership.objects.filter(organization=organization, status__in=DIRECTORY_STATUSES)
        .select_related("agency", "person", "membership_type")
        .exclude(membership_type__kind="board")
    )
    return sorted(rows, key=lambda m: str(m.holder).lower())


def seats(organization: Organization) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for seat in Seat.objects.filter(organization=organization).order_by(
        "group", "position", "name"
    ):
        grouped.setdefault(seat.get_group_display(), []).append(seat)
    return grouped
