"""The members' API: a member reads their own status with a body, reads and makes their
attestations, and files and ends their conflict-of-interest disclosures.

A member token (made on `/me/tokens/`, or `ombuds apitoken create ORG USER --scope member`) is
for one body and its owner's own records only, until it expires: nothing here takes a person, an
agency or a body from the request. A staff token is refused here (401), as a member token is on
the staff endpoints. Every change goes through the same services as the pages
(`ombuds.members.services`, `ombuds.members.attestations`).

Errors are RFC 9457 problems (`ombuds.api.problems`, the reason in `detail`): 401 without a live member token (or when its owner no longer
has a record in the body's register), 404 for a record that is not the owner's in the token's body,
400 when a service refuses, with every reason.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from ombuds.api.auth import MEMBER
from ombuds.api.limits import DETAILS, column, row_id, text
from ombuds.api.pages import CURSOR, LIMIT, page
from ombuds.api.problems import ProblemOut
from ombuds.members import attestations, selectors, services
from ombuds.members.home import BodyHome, member_body
from ombuds.members.models import Disclosure
from ombuds.register.models import Person

router = Router(tags=["members (own records)"], auth=MEMBER)


_AUTH_ERRORS: dict[int, type[Schema]] = {401: ProblemOut}


# --- status -------------------------------------------------------------------------------------


class MemberBodyOut(Schema):
    slug: str
    name: str


class MemberPersonOut(Schema):
    id: int
    external_id: str
    given_name: str
    family_name: str
    email: str


class MemberCredentialOut(Schema):
    program: str = Field(..., description="The credential program's code.")
    program_name: str
    number: str
    status: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    suspended_until: dt.date | None
    conditions: str


class MemberMembershipOut(Schema):
    membership_type: str = Field(..., description="The membership type's code.")
    membership_type_name: str
    number: str
    status: str
    start_date: dt.date | None
    renewal_date: dt.date | None
    suspended_until: dt.date | None


class MemberAgencyOut(Schema):
    id: int
    legal_name: str
    administrator: bool = Field(
        ..., description="Whether you administer the agency in Ombuds (else: its principal)."
    )
    memberships: list[MemberMembershipOut] = Field(
        ..., description="The agency's memberships; only for an agency you administer."
    )


class MemberCycleOut(Schema):
    credential_number: str
    starts_on: dt.date
    due_on: dt.date
    required_units: Decimal
    earned_units: Decimal
    pending_units: Decimal = Field(..., description="Submitted, awaiting review.")
    met: bool


class MemberStatusOut(Schema):
    body: MemberBodyOut
    person: MemberPersonOut
    credentials: list[MemberCredentialOut]
    memberships: list[MemberMembershipOut]
    agencies: list[MemberAgencyOut]
    recertification: list[MemberCycleOut] = Field(..., description="Open recertification cycles.")
    current_disclosures: int


def _membership_out(m: Any) -> dict[str, Any]:
    return {
        "membership_type": m.membership_type.code,
        "membership_type_name": m.membership_type.name,
        "number": m.number,
        "status": m.status,
        "start_date": m.start_date,
        "renewal_date": m.renewal_date,
        "suspended_until": m.suspended_until,
    }


def _mine(request: HttpRequest) -> BodyHome:
    token = request.api_token
    found = member_body(token.user, token.organization)
    if found is None:  # the record was unlinked after `token_check`: as if the token were dead
        raise HttpError(401, "this token's owner has no record in the body's register")
    return found


def _person(request: HttpRequest) -> Person:
    token = request.api_token
    person = selectors.member_record(token.user, token.organization)
    if person is None:
        raise HttpError(401, "this token's owner has no record in the body's register")
    return person


@router.get(
    "/me",
    response={200: MemberStatusOut, **_AUTH_ERRORS},
    summary="Your own status with the token's body",
    description="Your register record, credentials, memberships, open recertification cycles, "
    "the agencies you represent (with their memberships if you administer them) and how many "
    "current disclosures you have. Nobody else's.",
)
def me(request: HttpRequest) -> dict[str, Any]:
    home = _mine(request)
    person = home.person
    return {
        "body": {"slug": home.organization.slug, "name": home.organization.name},
        "person": {
            "id": person.pk,
            "external_id": person.external_id,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
        },
        "credentials": [
            {
                "program": c.program.code,
                "program_name": c.program.name,
                "number": c.number,
                "status": c.status,
                "issued_on": c.issued_on,
                "expires_on": c.expires_on,
                "suspended_until": c.suspended_until,
                "conditions": c.conditions,
            }
            for c in home.credentials
        ],
        "memberships": [_membership_out(m) for m in home.memberships],
        "agencies": [
            {
                "id": a.agency.pk,
                "legal_name": a.agency.legal_name,
                "administrator": a.admin,
                "memberships": [_membership_out(m) for m in a.memberships],
            }
            for a in home.agencies
        ],
        "recertification": [
            {
                "credential_number": due.credential.number,
                "starts_on": due.cycle.starts_on,
                "due_on": due.cycle.due_on,
                "required_units": due.progress.required,
                "earned_units": due.progress.earned,
                "pending_units": due.progress.pending,
                "met": due.progress.met,
            }
            for due in home.cycles
        ],
        "current_disclosures": home.current_disclosures,
    }


# --- attestations -------------------------------------------------------------------------------


class MemberDueOut(Schema):
    campaign: int
    title: str
    version: str = Field(..., description="The code version to attest to.")
    due_on: dt.date
    status: str = Field(..., description="pending, outdated or overdue.")
    status_label: str
    url: str = Field(..., description="The page where you attest in a browser.")


class MemberAttestIn(Schema):
    campaign: int = row_id(description="The campaign's id, as in `GET /me/attestations`.")
    statement_confirmed: bool = Field(
        ..., description="That you confirm the campaign's statement (it must be true)."
    )


class MemberAttestationOut(Schema):
    id: int
    campaign: int | None
    version: str
    text_sha256: str = Field(..., description="The SHA-256 of the version's text you attested to.")
    statement: str
    attested_at: dt.datetime


@router.get(
    "/me/attestations",
    response={200: list[MemberDueOut], **_AUTH_ERRORS},
    summary="The attestations still due from you to the token's body",
    description="Pending, outdated or overdue; soonest due first.",
)
def attestations_due(
    request: HttpRequest, response: HttpResponse, cursor: str | None = CURSOR, limit: int = LIMIT
) -> list[dict[str, Any]]:
    token = request.api_token
    dues = [
        due
        for due in attestations.open_dues_for_user(token.user)
        if due.organization.pk == token.organization_id
    ]
    return [
        {
            "campaign": due.campaign.pk,
            "title": due.title,
            "version": due.version_label,
            "due_on": due.due_on,
            "status": due.status,
            "status_label": due.status_label,
            "url": due.url,
        }
        for due in page(request, response, dues, cursor, limit)
    ]


@router.post(
    "/me/attestations",
    response={201: MemberAttestationOut, 400: ProblemOut, 404: ProblemOut, **_AUTH_ERRORS},
    summary="Attest to the code version of one of the body's campaigns",
    description="As on the attestation page: you must be asked to attest in the campaign, it must "
    "be open, its version the code's current one, and you must not have attested to it already; "
    "400 with every reason otherwise. 404 when the token's body has no such campaign.",
)
def attest(request: HttpRequest, payload: MemberAttestIn) -> Status:
    token = request.api_token
    campaign = selectors.campaign_get(token.organization, payload.campaign)
    if campaign is None:
        raise HttpError(404, "no such campaign")
    try:
        made = attestations.attest(
            person=_person(request),
            user=token.user,
            statement_confirmed=payload.statement_confirmed,
            campaign=campaign,
        )
    except attestations.AttestationRefused as exc:
        raise HttpError(400, " ".join(exc.problems)) from exc
    return Status(
        201,
        {
            "id": made.pk,
            "campaign": made.campaign_id,
            "version": campaign.code_version.label,
            "text_sha256": made.text_sha256,
            "statement": made.statement,
            "attested_at": made.attested_at,
        },
    )


# --- disclosures --------------------------------------------------------------------------------


class MemberDisclosureIn(Schema):
    relationship: str = column(
        Disclosure, "relationship", description=", ".join(Disclosure.Relationship.values)
    )
    party_name: str = column(
        Disclosure, "party_name", description="The person's or organisation's name."
    )
    nature: str = text(DETAILS, description="What the relationship is.")
    started_on: dt.date | None = None


class MemberDisclosureEndIn(Schema):
    ended_on: dt.date | None = Field(None, description="Today unless given.")


class MemberDisclosureOut(Schema):
    id: int
    relationship: str
    party_name: str
    party_in_register: bool = Field(
        ..., description="Whether the name matched exactly one record of the body's register."
    )
    nature: str
    started_on: dt.date | None
    current: bool
    ended_on: dt.date | None
    review: str = Field(
        ..., description="The body's review (CESP 3.8): " + ", ".join(Disclosure.Review.values)
    )
    reviewed_at: dt.datetime | None
    review_note: str = Field(..., description="What the body tells you (not with a referral).")
    review_conditions: str = Field(..., description="With `conditions`: what you must keep to.")


def _disclosure_out(d: Disclosure) -> dict[str, Any]:
    return {
        "id": d.pk,
        "relationship": d.relationship,
        "party_name": d.party_name,
        "party_in_register": bool(d.party_person_id or d.party_agency_id),
        "nature": d.nature,
        "started_on": d.started_on,
        "current": d.current,
        "ended_on": d.ended_on,
        "review": d.review,
        "reviewed_at": d.reviewed_at,
        # A referral's note is the staff's; the case's notices tell the holder what follows.
        "review_note": "" if d.review == Disclosure.Review.REFERRED else d.review_note,
        "review_conditions": d.review_conditions,
    }


@router.get(
    "/me/disclosures",
    response={200: list[MemberDisclosureOut], **_AUTH_ERRORS},
    summary="Your conflict-of-interest disclosures to the token's body",
    description="Current ones first.",
)
def disclosures(
    request: HttpRequest, response: HttpResponse, cursor: str | None = CURSOR, limit: int = LIMIT
) -> list[dict[str, Any]]:
    token = request.api_token
    own = selectors.disclosures_of(token.user, token.organization)
    return [_disclosure_out(d) for d in page(request, response, list(own), cursor, limit)]


@router.post(
    "/me/disclosures",
    response={201: MemberDisclosureOut, 400: ProblemOut, **_AUTH_ERRORS},
    summary="Disclose a conflict of interest",
    description="The party is linked to the register when exactly one record there has its "
    "name. 400 with every reason when refused.",
)
def disclosure_create(request: HttpRequest, payload: MemberDisclosureIn) -> Status:
    token = request.api_token
    try:
        made = services.disclosure_save(
            user=token.user, organization=token.organization, **payload.dict()
        )
    except services.DisclosureRefused as exc:
        raise HttpError(400, " ".join(exc.problems)) from exc
    return Status(201, _disclosure_out(made))


@router.post(
    "/me/disclosures/{disclosure_id}/end",
    response={200: MemberDisclosureOut, 400: ProblemOut, 404: ProblemOut, **_AUTH_ERRORS},
    summary="End one of your current disclosures",
    description="404 when it is not one of yours to the token's body; 400 when it has ended "
    "already or the date is wrong.",
)
def disclosure_end(
    request: HttpRequest, disclosure_id: int, payload: MemberDisclosureEndIn
) -> Status:
    token = request.api_token
    disclosure = selectors.disclosure_get(token.user, token.organization, disclosure_id)
    if disclosure is None:
        raise HttpError(404, "no such disclosure of yours")
    try:
        ended = services.disclosure_end(
            user=token.user, disclosure=disclosure, ended_on=payload.ended_on
        )
    except services.DisclosureRefused as exc:
        raise HttpError(400, " ".join(exc.problems)) from exc
    return Status(200, _disclosure_out(ended))
