"""Reads of the compliance app: the body's programme, a code's citations, a return's findings, the
findings of a body or an agency as the API and the command line list them."""

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


UNRESOLVED_FILTER = "unresolved"  # a status filter meaning open, answered or escalated


def findings_list(
    organization: Organization,
    *,
    agency_id: int | None = None,
    status: str = "",
    provision: str = "",
) -> QuerySet[Finding]:
    """The body's findings (one agency's with ``agency_id``), filtered by status (a
    ``Finding.Status`` value, or "unresolved") and provision ("1.2(c)"), the latest period first.
    Superseded findings (found again in an amended return) only when asked for by their status.
    Each comes with its agency and its case: listing them takes the same queries however many."""
    rows = Finding.objects.filter(organization=organization)
    if agency_id is not None:
        rows = rows.filter(agency_id=agency_id)
    if status == UNRESOLVED_FILTER:
        rows = rows.filter(status__in=Finding.UNRESOLVED)
    elif status:
        rows = rows.filter(status=status)
    else:
        rows = rows.exclude(status=Finding.Status.SUPERSEDED)
    if provision:
        rows = rows.filter(provision=provision)
    return rows.select_related("agency", "case").order_by(
        "-period_start", "agency_id", "provision", "date", "pk"
    )


def finding_of_body(organization: Organization, finding_id: int) -> Finding | None:
    """The body's finding with this number, or None."""
    return (
        Finding.objects.filter(organization=organization, pk=finding_id)
        .select_related("agency", "case", "organization")
        .first()
    )


def return_of_agency(agency: Agency, return_id: int) -> Return | None:
    """The agency's return with this number (its files with it), or None."""
    return (
        Return.objects.filter(agency=agency, pk=return_id)
        .select_related("agency")
        .prefetch_related("files")
        .first()
    )


def citation_code(organization: Organization) -> str:
    """What the body's provisions are cited under ("CSEC" in "CSEC 1.2(c)"): the installed
    programme's code, else the body's acronym."""
    programme = programme_current(organization)
    if programme is not None:
        return load(programme.text).code or organization.acronym
    return organization.acronym
