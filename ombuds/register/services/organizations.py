"""The bodies whose registers Ombuds keeps, as the demo and the command line set them up."""

from __future__ import annotations

from django.db import transaction

from ombuds.bodies.models import Organization


@transaction.atomic
def organization_ensure(*, slug: str, name: str, acronym: str = "") -> Organization:
    """Return the body with this slug, creating it or updating its names so that running twice is a no-op."""
    org, created = Organization.objects.get_or_create(
        slug=slug, defaults={"name": name, "acronym": acronym}
    )
    if not created and (org.name, org.acronym) != (name, acronym):
        org.name, org.acronym = name, acronym
        org.full_clean()
        org.save(update_fields=["name", "acronym"])
    return org
