"""Reads of the compliance app: the body's programme, a code's citations, a return's findings."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from ombuds.bodies.models import Organization
from ombuds.codes.selectors import current_version
from ombuds.compliance.models import Finding, Programme, Return
from ombuds.compliance.programme import ReturnSpec, load
from ombuds.register.models import Agency


def programme_current(organization: Organization) -> Programme | None:
    """The programme version the body installed last, or None."""
    return (
        Programme.objects.filter(organization=organization).order_by("-installed_at", "-pk").first()
    )


def return_declared(organization: Organization, return_key: str) -> ReturnSpec | None:
    """The return as the body's installed programme declares it, or None."""
    programme = programme_current(organization)
    if programme is None:
        return None
    return load(programme.text).returns.get(return_key)


def code_citations(organization: Organization) -> set[str] | None:
    """The citations of the body's code in force (None when it has no published code)."""
    version = current_version(organization)
    if version is None:
        return None
    return set(version.provisions.values_list("citation", flat=True))


def return_findings(filed: Return) -> QuerySet[Finding]:
    return filed.findings.order_by("provision", "date", "pk")


def agency_findings(agency: Agency) -> QuerySet[Finding]:
    """The agency's findings that are not superseded by an amended return, the unresolved first."""
    return (
        Finding.objects.filter(agency=agency)
        .exclude(status=Finding.Status.SUPERSEDED)
        .select_related("filed_return", "case")
        .order_by("-period_start", "provision", "date", "pk")
    )


def agency_returns(agency: Agency) -> QuerySet[Return]:
    """The agency's returns, the latest first, with their number of findings."""
    return (
        Return.objects.filter(agency=agency)
        .annotate(finding_count=Count("findings"))
        .order_by("-period_start", "-filed_at", "-pk")
    )
