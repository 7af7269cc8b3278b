"""Reads of the members' pages: each returns objects, or None when there is nothing the viewer may
see (the views turn None into 404). Nothing here changes anything.

The member's home and their cases as respondent are read in `ombuds.members.home` (re-exported
here); the attestation statuses and reports are computed in `ombuds.members.attestations`, the
first tier's figures in `ombuds.members.first_tier`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from ombuds.bodies.models import Organization
from ombuds.cases.models import Case, Notice
from ombuds.codes.models import CodeVersion
from ombuds.codes.selectors import NEWEST_FIRST
from ombuds.members.agency_roles import administered_agency, is_agency_admin, signed_in
from ombuds.members.attestations import agency_staff
from ombuds.members.home import member_body, member_home, respondent_case_get, respondent_cases
from ombuds.members.models import (
    Attestation,
    AttestationCampaign,
    AttestationDue,
    ClientComplaint,
    Disclosure,
)
from ombuds.register.models import Affiliation, Agency, ApiToken, Person

__all__ = [
    "administered_agency",
    "agency_for_admin",
    "agency_get",
    "agency_staff_member",
    "api_token_get",
    "api_tokens",
    "campaign_for_member",
    "campaign_get",
    "campaigns_listed",
    "client_complaint_filed",
    "client_complaint_in_inbox",
    "disclosure_get",
    "disclosures_of",
    "due_get",
    "member_bodies",
    "member_body",
    "member_home",
    "member_record",
    "own_attestation",
    "own_due",
    "respondent_case_get",
    "respondent_cases",
    "respondent_notices",
]


# --- the home -------------------------------------------------------------------------------------


def respondent_notices(case: Case) -> QuerySet[Notice]:
    """Every notice the body addressed to the respondent on the case, whether or not its email has
    gone yet, except the one saying a message waits aside (the message itself is on the page)."""
    return case.notices.filter(recipient_role="respondent").exclude(template="message")


def member_bodies(user: Any) -> list[Organization]:
    """The bodies whose register has a record linked to the user's account, by name."""
    if not signed_in(user):
        return []
    return list(Organization.objects.filter(people__user=user).distinct().order_by("name", "pk"))


def api_tokens(user: Any) -> QuerySet[ApiToken]:
    """The user's own member API tokens."""
    return ApiToken.objects.filter(user=user, scope=ApiToken.Scope.MEMBER).select_related(
        "organization"
    )


def api_token_get(user: Any, pk: int) -> ApiToken | None:
    """One of the user's own member API tokens, or None."""
    return api_tokens(user).filter(pk=pk).first()


def member_record(user: Any, organization: Organization) -> Person | None:
    """The user's own record in the body's register, or None."""
    if not getattr(user, "pk", None):
        return None
    return Person.objects.filter(organization=organization, user=user).first()


# --- disclosures ----------------------------------------------------------------------------------


def disclosures_of(user: Any, organization: Organization) -> QuerySet[Disclosure]:
    """The user's own disclosures to the body."""
    return Disclosure.objects.filter(user=user, organization=organization).select_related(
        "party_person", "party_agency"
    )


def disclosure_get(user: Any, organization: Organization, pk: int) -> Disclosure | None:
    """One of the user's own disclosures to the body, or None."""
    return Disclosure.objects.filter(pk=pk, user=user, organization=organization).first()


# --- attestations: the body's staff ---------------------------------------------------------------


def campaigns_listed(organization: Organization) -> QuerySet[AttestationCampaign]:
    """The body's campaigns, open ones first, then the most recently closed."""
    return (
        AttestationCampaign.objects.filter(organization=organization)
        .select_related("code_version")
        .order_by(F("closed_at").desc(nulls_first=True), "-started_at", "-pk")
    )


def campaign_get(organization: Organization, pk: int) -> AttestationCampaign | None:
    """The body's campaign with this number, or None."""
    return (
        AttestationCampaign.objects.select_related(
            "organization", "code_version__code", "started_by"
        )
        .filter(pk=pk, organization=organization)
        .first()
    )


def agency_get(organization: Organization, pk: int) -> Agency | None:
    """The body's agency with this number, or None."""
    return Agency.objects.filter(pk=pk, organization=organization).first()


def due_get(campaign: AttestationCampaign, person_id: int) -> AttestationDue | None:
    """The person's duty in the campaign (with the person), or None."""
    return (
        AttestationDue.objects.select_related("person")
        .filter(campaign=campaign, person_id=person_id)
        .first()
    )


# --- attestations: the member ---------------------------------------------------------------------


def campaign_for_member(pk: int) -> AttestationCampaign | None:
    """The campaign with this number (its body and version loaded), or None."""
    return (
        AttestationCampaign.objects.select_related("organization", "code_version__code")
        .filter(pk=pk)
        .first()
    )


def own_due(campaign: AttestationCampaign, user: Any) -> AttestationDue | None:
    """The user's own duty in the campaign, through their record in its body; None when they are
    not asked in it. The duty carries the campaign given."""
    if not signed_in(user):
        return None
    due = (
        AttestationDue.objects.filter(
            campaign=campaign, person__user=user, person__organization=campaign.organization
        )
        .select_related("person")
        .first()
    )
    if due is not None:
        due.campaign = campaign
    return due


def own_attestation(due: AttestationDue, version: CodeVersion) -> Attestation | None:
    """The attestation of the duty's person to this version, or None."""
    return Attestation.objects.filter(person=due.person, code_version=version).first()


def last_attested_earlier(due: AttestationDue, version: CodeVersion) -> Attestation | None:
    """The duty's person's latest attestation to a version of the same code published before
    ``version`` (with that version), or None: what to compare ``version`` with."""
    return (
        Attestation.objects.filter(
            person=due.person,
            code_version__code_id=version.code_id,
            code_version__status=CodeVersion.Status.PUBLISHED,
            code_version__published_at__lt=version.published_at,
        )
        .select_related("code_version")
        .order_by("-code_version__published_at", "-attested_at")
        .first()
    )


def current_campaign_versions(organization: Organization) -> QuerySet[CodeVersion]:
    """The versions a new campaign may ask for: each of the body's codes' latest published
    version (an earlier one is superseded, and a campaign for it would close at once)."""
    newer = CodeVersion.objects.filter(
        Q(published_at__gt=OuterRef("published_at"))
        | Q(published_at=OuterRef("published_at"), pk__gt=OuterRef("pk")),
        code_id=OuterRef("code_id"),
        status=CodeVersion.Status.PUBLISHED,
    )  # published later, or at the same instant and made later (`NEWEST_FIRST`)
    return (
        CodeVersion.objects.filter(
            code__organization=organization, status=CodeVersion.Status.PUBLISHED
        )
        .exclude(Exists(newer))
        .select_related("code")
        .order_by(*NEWEST_FIRST)
    )


# --- agency administrators ------------------------------------------------------------------------


def agency_for_admin(user: Any, pk: int) -> Agency | None:
    """The agency with this number (with its body) when the user administers it now; None
    otherwise, so that no one learns which agencies exist."""
    found = Agency.objects.select_related("organization").filter(pk=pk).first()
    if found is None or not is_agency_admin(user, found):
        return None
    return found


def agency_staff_member(agency: Agency, person_id: int, *, today: dt.date) -> Affiliation | None:
    """The person's current affiliation as the agency's employee or agent (with the person), or
    None."""
    return (
        agency_staff(agency, today=today)
        .filter(person_id=person_id)
        .select_related("person")
        .first()
    )


# --- the first tier ---------------------------------------------------------------------------------


def client_complaint_in_inbox(agency: Agency, pk: int) -> ClientComplaint | None:
    """The agency's complaint with this number, or None."""
    return (
        ClientComplaint.objects.filter(agency=agency, pk=pk)
        .select_related("agency__organization", "handled_by")
        .first()
    )


def client_complaint_filed(
    organization: Organization, agency_id: int, reference: str
) -> ClientComplaint | None:
    """The complaint with this reference made to the body's agency, or None."""
    return (
        ClientComplaint.objects.select_related("agency__organization")
        .filter(reference=reference, agency_id=agency_id, agency__organization=organization)
        .first()
    )
