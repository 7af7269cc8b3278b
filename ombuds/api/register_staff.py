"""The register's write API for staff: a bearer token for one body (see `ombuds apitoken`).

Every endpoint goes through the same checks as the staff pages: the person and agency forms, the
sanction form, and the register's services for credentials, memberships, affiliations and sanctions.

Conventions, for every endpoint here:

- 401 without a live token; 403 when the path names another body than the token's.
- 404 when the path or the body names a record the token's body does not have: another body's
  records are looked up in the token's body only, so they are "not found", never shown.
- 400 for what the caller can fix in the request: a form's or a service's refusal, with its reason
  (the lifecycle refusing a move, a number already used, an unknown citation...).
- 409 when the record changed meanwhile: the status is no longer the `expected_status` the caller
  sent, or a concurrent request created the same record first.
- 422 (Django Ninja's) when the JSON does not have the documented shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.register import services
from ombuds.register.forms import AgencyForm, PersonForm, SanctionForm
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Affiliation,
    Agency,
    ApiToken,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Organization,
    Person,
    Sanction,
    StatusEvent,
)
from ombuds.register.tokens import token_check


class StaffToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        row = token_check(token)
        if row is not None:
            request.api_token = row
        return row


router = Router(tags=["register (staff)"], auth=StaffToken())


def _body(request: HttpRequest, org: str) -> Organization:
    token = request.api_token
    if token.organization.slug != org:
        raise HttpError(403, "this token is for another body")
    return token.organization


# --- schemas ------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


# Every endpoint can answer these: no live token, or a token for another body than the path's.
_AUTH_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut}


class PersonIn(Schema):
    external_id: str
    given_name: str
    family_name: str
    email: str = ""
    phone: str = ""
    city: str = ""
    region: str = ""
    country: str = ""


class PersonOut(PersonIn):
    id: int


class CredentialIn(Schema):
    holder_external_id: str
    program: str
    number: str


class CredentialOut(Schema):
    number: str
    program: str
    holder_external_id: str
    status: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    suspended_until: dt.date | None
    conditions: str


class TransitionIn(Schema):
    to_status: str
    effective_date: dt.date
    reason: str
    decision_ref: str = ""
    until: dt.date | None = None
    expires_on: dt.date | None = None
    expected_status: str | None = None


class CorrectionIn(Schema):
    reason: str = Field(..., description="Why; it goes on the record with what changed.")
    conditions: str | None = Field(
        None, description="New conditions the holder practises under; an empty string lifts them."
    )
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    expected_status: str | None = Field(
        None, description="The status you saw: 409 if the credential has changed since."
    )


class AgencyIn(Schema):
    external_id: str
    legal_name: str
    trade_names: list[str] = Field(default_factory=list, description="One name per item.")
    address: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""


class SimilarAgencyOut(Schema):
    external_id: str
    legal_name: str
    matched_name: str = Field(..., description="The other agency's name that looks alike.")
    similarity: float = Field(..., description="0 to 1, legal-form words and punctuation ignored.")
    message: str


class AgencyOut(AgencyIn):
    id: int
    warnings: list[SimilarAgencyOut] = Field(
        ...,
        description="CSEC 4.2: other agencies of the body whose legal or trade names a client "
        "could confuse with this one's. The agency is saved all the same.",
    )


class MembershipIn(Schema):
    membership_type: str = Field(..., description="The membership type's code.")
    number: str
    person_external_id: str | None = Field(
        None, description="The holder of an individual or board membership."
    )
    agency_external_id: str | None = Field(
        None, description="The holder of an organisation membership."
    )
    external_id: str = ""


class MembershipOut(Schema):
    number: str
    external_id: str
    membership_type: str
    holder_kind: str = Field(..., description="'person' or 'agency'.")
    holder_external_id: str
    holder_name: str
    status: str
    start_date: dt.date | None
    renewal_date: dt.date | None
    suspended_until: dt.date | None


class EventOut(Schema):
    from_status: str
    to_status: str
    effective_date: dt.date
    reason: str
    decision_ref: str
    automatic: bool
    recorded_at: dt.datetime


class MembershipRecordOut(MembershipOut):
    events: list[EventOut]


class MembershipTransitionIn(Schema):
    to_status: str
    effective_date: dt.date
    reason: str
    decision_ref: str = ""
    until: dt.date | None = None
    renewal_date: dt.date | None = None
    expected_status: str | None = None


class AffiliationIn(Schema):
    agency_external_id: str
    person_external_id: str
    role: str = Field(..., description="employee, agent or principal.")
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class AffiliationPatch(Schema):
    role: str | None = None
    start_date: dt.date | None = Field(None, description="null clears it.")
    end_date: dt.date | None = Field(None, description="Ends the affiliation; null reopens it.")


class AffiliationOut(Schema):
    id: int
    agency_external_id: str
    agency_name: str
    person_external_id: str
    person_name: str
    role: str
    start_date: dt.date | None
    end_date: dt.date | None


class SanctionIn(Schema):
    credential_number: str | None = Field(None, description="Give this or membership_number.")
    membership_number: str | None = None
    kind: str = Field(..., description=", ".join(Sanction.Kind.values))
    decided_on: dt.date
    summary: str = Field(..., description="Shown publicly when the sanction is public.")
    publication: str = Field(..., description=", ".join(Sanction.Publication.values))
    public_until: dt.date | None = Field(None, description="Required for public_until.")
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    decision_url: str = ""
    provisions: list[str] = Field(
        default_factory=list,
        description="Citations of the provisions breached, in the body's code in force (e.g. 1.2).",
    )


class SanctionOut(Schema):
    id: int
    credential_number: str | None
    membership_number: str | None
    kind: str
    decided_on: dt.date
    effective_from: dt.date | None
    effective_until: dt.date | None
    summary: str
    publication: str
    public_until: dt.date | None
    decision_url: str
    provisions: list[str]
    code_version: str | None = Field(
        ..., description="The label of the code version the citations were found in."
    )


# --- helpers ------------------------------------------------------------------------------------


def _clean_number(number: str) -> str:
    """A credential number as stored: no spaces, upper case."""
    return "".join(number.split()).upper()


def _form_errors(form: forms.BaseForm, names: dict[str, str] | None = None) -> str:
    """Every error of the form on one line, each after the field's name as the API calls it (errors
    about the whole form, without one)."""
    names = names or {}
    parts = []
    for field, messages in form.errors.items():
        text = " ".join(messages)
        parts.append(text if field == "__all__" else f"{names.get(field, field)}: {text}")
    return "; ".join(parts)


def _refused(exc: Exception, *, expected: str | None, current: str) -> HttpError:
    """A service's refusal as an API error: 409 when the record is no longer in the status the caller
    saw (it changed meanwhile), 400 otherwise (the request is what to fix)."""
    if expected is not None and current != expected:
        return HttpError(409, str(exc))
    return HttpError(400, str(exc))


def _required(value: str | None, name: str) -> str:
    value = (value or "").strip()
    if not value:
        # An empty external id would match every record that has none.
        raise HttpError(400, f"{name} is empty")
    return value


def _person_get(organization: Organization, external_id: str | None, name: str) -> Person:
    external_id = _required(external_id, name)
    person = Person.objects.filter(organization=organization, external_id=external_id).first()
    if person is None:
        raise HttpError(404, f"no person with external id {external_id}")
    return person


def _agency_get(organization: Organization, external_id: str | None, name: str) -> Agency:
    external_id = _required(external_id, name)
    agency = Agency.objects.filter(organization=organization, external_id=external_id).first()
    if agency is None:
        raise HttpError(404, f"no agency with external id {external_id}")
    return agency


def _credential_get(organization: Organization, number: str) -> Credential:
    credential = (
        Credential.objects.select_related("program", "holder")
        .filter(program__organization=organization, number=_clean_number(number))
        .first()
    )
    if credential is None:
        raise HttpError(404, f"no credential {number}")
    return credential


def _membership_get(organization: Organization, number: str) -> Membership:
    """Membership numbers keep their case but are not told apart by it (`membership_create`): the
    number as given first, then the same number in any case."""
    number = number.strip()
    found = Membership.objects.select_related("membership_type", "person", "agency").filter(
        organization=organization
    )
    membership = (
        found.filter(number=number).first()
        or found.filter(number__iexact=number).order_by("pk").first()
    )
    if membership is None:
        raise HttpError(404, f"no membership {number}")
    return membership


def _credential_out(c: Credential) -> dict[str, Any]:
    return {
        "number": c.number,
        "program": c.program.code,
        "holder_external_id": c.holder.external_id,
        "status": c.status,
        "issued_on": c.issued_on,
        "expires_on": c.expires_on,
        "suspended_until": c.suspended_until,
        "conditions": c.conditions,
    }


def _similar_out(agency: Agency, matched: str, score: float) -> dict[str, Any]:
    if matched == agency.legal_name:
        message = f"{agency.legal_name}: a client could confuse its name with this agency's"
    else:
        message = (
            f"{agency.legal_name} trades as '{matched}', which a client could confuse with this "
            "agency's names"
        )
    return {
        "external_id": agency.external_id,
        "legal_name": agency.legal_name,
        "matched_name": matched,
        "similarity": round(score, 2),
        "message": f"{message} (CSEC 4.2)",
    }


def _agency_out(agency: Agency, similar: list[tuple[Agency, str, float]]) -> dict[str, Any]:
    return {
        "id": agency.pk,
        "external_id": agency.external_id,
        "legal_name": agency.legal_name,
        "trade_names": list(agency.trade_names),
        "address": agency.address,
        "city": agency.city,
        "region": agency.region,
        "postal_code": agency.postal_code,
        "country": agency.country,
        "email": agency.email,
        "phone": agency.phone,
        "website": agency.website,
        "warnings": [_similar_out(*item) for item in similar],
    }


def _membership_out(m: Membership) -> dict[str, Any]:
    holder = m.holder
    return {
        "number": m.number,
        "external_id": m.external_id,
        "membership_type": m.membership_type.code,
        "holder_kind": "person" if m.person_id else "agency",
        "holder_external_id": holder.external_id,
        "holder_name": str(holder),
        "status": m.status,
        "start_date": m.start_date,
        "renewal_date": m.renewal_date,
        "suspended_until": m.suspended_until,
    }


def _affiliation_out(a: Affiliation) -> dict[str, Any]:
    return {
        "id": a.pk,
        "agency_external_id": a.agency.external_id,
        "agency_name": a.agency.legal_name,
        "person_external_id": a.person.external_id,
        "person_name": a.person.full_name,
        "role": a.role,
        "start_date": a.start_date,
        "end_date": a.end_date,
    }


def _event_out(e: StatusEvent) -> dict[str, Any]:
    return {
        "from_status": e.from_status,
        "to_status": e.to_status,
        "effective_date": e.effective_date,
        "reason": e.reason,
        "decision_ref": e.decision_ref,
        "automatic": e.automatic,
        "recorded_at": e.recorded_at,
    }


# --- people -------------------------------------------------------------------------------------


@router.put(
    "/bodies/{org}/register/people/{external_id}",
    response={200: PersonOut, 201: PersonOut, 400: ErrorOut, 409: ErrorOut, **_AUTH_ERRORS},
    summary="Create or update a person, matched on your external id",
)
def person_put(request: HttpRequest, org: str, external_id: str, payload: PersonIn) -> Status:
    organization = _body(request, org)
    if payload.external_id != external_id:
        raise HttpError(400, "external_id in the body differs from the one in the path")
    data = payload.dict()
    person = Person.objects.filter(organization=organization, external_id=external_id).first()
    created = person is None
    # The same form as the staff page: the same checks, the same messages.
    form = PersonForm(data, instance=person or Person(organization=organization))
    if not form.is_valid():
        raise HttpError(400, _form_errors(form))
    try:
        with transaction.atomic():
            person = form.save()
    except IntegrityError as exc:  # a concurrent request created the same external id
        raise HttpError(409, f"person {external_id} was created meanwhile; retry") from exc
    return Status(201 if created else 200, {**data, "id": person.pk})


# --- agencies and affiliations ------------------------------------------------------------------


@router.put(
    "/bodies/{org}/register/agencies/{external_id}",
    response={200: AgencyOut, 201: AgencyOut, 400: ErrorOut, 409: ErrorOut, **_AUTH_ERRORS},
    summary="Create or update an agency, matched on your external id",
    description=(
        "The same checks as the staff page's agency form; `trade_names` is a list. 201 when the "
        "agency is new, 200 when it was updated.\n\n"
        "CSEC 4.2: when the legal name or a trade name is one a client could confuse with another "
        "agency's of the body, the staff page asks for confirmation before saving. The API cannot "
        "ask: it saves the agency and lists those agencies in `warnings` (empty otherwise), so that "
        "the calling system can show them to whoever entered the names, as the page does."
    ),
)
def agency_put(request: HttpRequest, org: str, external_id: str, payload: AgencyIn) -> Status:
    organization = _body(request, org)
    if payload.external_id != external_id:
        raise HttpError(400, "external_id in the body differs from the one in the path")
    if any("\n" in name or "\r" in name for name in payload.trade_names):
        raise HttpError(400, "trade_names: give one name per item, without line breaks")
    agency = Agency.objects.filter(organization=organization, external_id=external_id).first()
    created = agency is None
    data = {
        **payload.dict(exclude={"trade_names"}),
        "trade_names_text": "\n".join(payload.trade_names),
    }
    form = AgencyForm(data, instance=agency or Agency(organization=organization))
    if not form.is_valid():
        raise HttpError(400, _form_errors(form, {"trade_names_text": "trade_names"}))
    try:
        with transaction.atomic():
            agency = form.save()
    except IntegrityError as exc:  # a concurrent request created the same external id
        raise HttpError(409, f"agency {external_id} was created meanwhile; retry") from exc
    similar = services.similar_agencies(
        organization=organization,
        names=[agency.legal_name, *agency.trade_names],
        exclude_pk=agency.pk,
    )
    return Status(201 if created else 200, _agency_out(agency, similar))


@router.post(
    "/bodies/{org}/register/affiliations",
    response={201: AffiliationOut, 400: ErrorOut, 404: ErrorOut, **_AUTH_ERRORS},
    summary="Add a person's affiliation with an agency",
    description=(
        "A person is an employee, agent or principal of an agency, from `start_date` to `end_date` "
        "(both optional; no end date: still affiliated). Periods of the same person in the same role "
        "at the same agency may not overlap (400 naming the existing one). 404 when the agency or "
        "the person is not in the body's register."
    ),
)
def affiliation_create(request: HttpRequest, org: str, payload: AffiliationIn) -> Status:
    organization = _body(request, org)
    agency = _agency_get(organization, payload.agency_external_id, "agency_external_id")
    person = _person_get(organization, payload.person_external_id, "person_external_id")
    try:
        affiliation = services.affiliation_save(
            agency=agency,
            person=person,
            role=payload.role,
            start_date=payload.start_date,
            end_date=payload.end_date,
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _affiliation_out(affiliation))


@router.patch(
    "/bodies/{org}/register/affiliations/{affiliation_id}",
    response={200: AffiliationOut, 400: ErrorOut, 404: ErrorOut, **_AUTH_ERRORS},
    summary="Change an affiliation's role or dates; end it",
    description=(
        "Only the fields sent change: `end_date` ends the affiliation, `null` clears a date. The "
        "person and the agency do not change: end the affiliation and add another. Same checks as "
        "adding one."
    ),
)
def affiliation_patch(
    request: HttpRequest, org: str, affiliation_id: int, payload: AffiliationPatch
) -> Status:
    organization = _body(request, org)
    affiliation = (
        Affiliation.objects.select_related("agency", "person")
        .filter(pk=affiliation_id, agency__organization=organization)
        .first()
    )
    if affiliation is None:
        raise HttpError(404, f"no affiliation {affiliation_id}")
    changes = payload.dict(exclude_unset=True)
    if not changes:
        raise HttpError(400, "nothing to change: give role, start_date or end_date")
    if "role" in changes and not changes["role"]:
        raise HttpError(400, "role cannot be empty")
    values = {
        "role": affiliation.role,
        "start_date": affiliation.start_date,
        "end_date": affiliation.end_date,
        **changes,
    }
    try:
        affiliation = services.affiliation_save(
            agency=affiliation.agency,
            person=affiliation.person,
            affiliation=affiliation,
            **values,
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(200, _affiliation_out(affiliation))


@router.get(
    "/bodies/{org}/register/agencies/{external_id}/affiliations",
    response={200: list[AffiliationOut], 404: ErrorOut, **_AUTH_ERRORS},
    summary="List an agency's affiliations, past and present",
    description="By person (family name, given name), then start date. 404 when there is no agency.",
)
def agency_affiliations(request: HttpRequest, org: str, external_id: str) -> list[dict[str, Any]]:
    organization = _body(request, org)
    agency = _agency_get(organization, external_id, "external_id")
    rows = (
        Affiliation.objects.filter(agency=agency)
        .select_related("agency", "person")
        .order_by("person__family_name", "person__given_name", "person__pk", "start_date", "pk")
    )
    return [_affiliation_out(a) for a in rows]


# --- credentials --------------------------------------------------------------------------------


@router.post(
    "/bodies/{org}/register/credentials",
    response={201: CredentialOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **_AUTH_ERRORS},
    summary="Issue a credential to a person, as a candidate",
)
def credential_create(request: HttpRequest, org: str, payload: CredentialIn) -> Status:
    organization = _body(request, org)
    holder = _person_get(organization, payload.holder_external_id, "holder_external_id")
    program = CredentialProgram.objects.filter(
        organization=organization, code=payload.program
    ).first()
    if program is None:
        raise HttpError(404, "no such credential program")
    try:
        credential = services.credential_issue(
            holder=holder,
            program=program,
            number=payload.number,
            acting_user=request.api_token.user,
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except IntegrityError as exc:  # a concurrent request took the number or the holder's place
        raise HttpError(409, f"credential {payload.number} was issued meanwhile; retry") from exc
    return Status(201, _credential_out(credential))


@router.post(
    "/bodies/{org}/register/credentials/{number}/status",
    response={200: CredentialOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **_AUTH_ERRORS},
    summary="Change a credential's status as the lifecycle allows",
    description=(
        "The moves staff may take by hand (the daily task takes the automatic ones). 400 with the "
        "reason when the lifecycle refuses the move or it lacks what it requires; 409 when the "
        "credential is no longer in `expected_status`."
    ),
)
def credential_status(request: HttpRequest, org: str, number: str, payload: TransitionIn) -> Status:
    organization = _body(request, org)
    credential = _credential_get(organization, number)
    try:
        credential = services.credential_transition(
            credential=credential, acting_user=request.api_token.user, **payload.dict()
        )
    except TransitionRefused as exc:
        current = Credential.objects.values_list("status", flat=True).get(pk=credential.pk)
        raise _refused(exc, expected=payload.expected_status, current=current) from exc
    credential = Credential.objects.select_related("program", "holder").get(pk=credential.pk)
    return Status(200, _credential_out(credential))


@router.post(
    "/bodies/{org}/register/credentials/{number}/corrections",
    response={200: CredentialOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **_AUTH_ERRORS},
    summary="Set a credential's conditions or correct its dates, keeping its status",
    description=(
        "Only the fields sent change; the correction goes on the record as an event from the status "
        "to itself, saying what changed and why. 400 when nothing would change, when the dates "
        "would be out of order, or when an expired or lapsed credential would get a new expiry date "
        "(that is a reinstatement, a status change); 409 when the credential is no longer in "
        "`expected_status`."
    ),
)
def credential_corrections(
    request: HttpRequest, org: str, number: str, payload: CorrectionIn
) -> Status:
    organization = _body(request, org)
    credential = _credential_get(organization, number)
    try:
        services.credential_correct(
            credential=credential, acting_user=request.api_token.user, **payload.dict()
        )
    except TransitionRefused as exc:
        current = Credential.objects.values_list("status", flat=True).get(pk=credential.pk)
        raise _refused(exc, expected=payload.expected_status, current=current) from exc
    credential = Credential.objects.select_related("program", "holder").get(pk=credential.pk)
    return Status(200, _credential_out(credential))


# --- memberships --------------------------------------------------------------------------------


@router.post(
    "/bodies/{org}/register/memberships",
    response={201: MembershipOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **_AUTH_ERRORS},
    summary="Add a membership, as an applicant",
    description=(
        "An individual or board membership is held by a person (`person_external_id`), an "
        "organisation membership by an agency (`agency_external_id`): give exactly one. 404 when "
        "the membership type, the person or the agency is not the body's; 400 when the number or "
        "external id is already used or the holder already has a live membership of that type."
    ),
)
def membership_create(request: HttpRequest, org: str, payload: MembershipIn) -> Status:
    organization = _body(request, org)
    person_id = (payload.person_external_id or "").strip()
    agency_id = (payload.agency_external_id or "").strip()
    if bool(person_id) == bool(agency_id):
        raise HttpError(400, "give either person_external_id or agency_external_id, not both")
    membership_type = MembershipType.objects.filter(
        organization=organization, code=payload.membership_type
    ).first()
    if membership_type is None:
        raise HttpError(404, f"no membership type {payload.membership_type}")
    person = _person_get(organization, person_id, "person_external_id") if person_id else None
    agency = _agency_get(organization, agency_id, "agency_external_id") if agency_id else None
    try:
        membership = services.membership_create(
            organization=organization,
            membership_type=membership_type,
            number=payload.number,
            person=person,
            agency=agency,
            external_id=payload.external_id,
            acting_user=request.api_token.user,
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except IntegrityError as exc:  # a concurrent request took the number or the external id
        raise HttpError(409, f"membership {payload.number} was added meanwhile; retry") from exc
    return Status(201, _membership_out(membership))


@router.get(
    # Not /memberships/{number}: that is the public verification endpoint, without a token.
    "/bodies/{org}/register/memberships/{number}/record",
    response={200: MembershipRecordOut, 404: ErrorOut, **_AUTH_ERRORS},
    summary="Read a membership's record, with its status history",
    description=(
        "What staff see, whatever the publication policy: holder and its external id, status, dates "
        "and every status change in the order recorded. (`GET .../memberships/{number}` is the "
        "public verification, without a token.)"
    ),
)
def membership_record(request: HttpRequest, org: str, number: str) -> dict[str, Any]:
    organization = _body(request, org)
    membership = _membership_get(organization, number)
    events = membership.events.order_by("recorded_at", "pk")
    return {**_membership_out(membership), "events": [_event_out(e) for e in events]}


@router.post(
    "/bodies/{org}/register/memberships/{number}/status",
    response={200: MembershipOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **_AUTH_ERRORS},
    summary="Change a membership's status as the lifecycle allows",
    description=(
        "As for credentials. Renewing (from grace) or reinstating (from lapsed) needs the next "
        "`renewal_date`; a suspension needs `until` and `decision_ref`, an expulsion "
        "`decision_ref`. 400 with the reason when the lifecycle refuses; 409 when the membership "
        "is no longer in `expected_status`."
    ),
)
def membership_status(
    request: HttpRequest, org: str, number: str, payload: MembershipTransitionIn
) -> Status:
    organization = _body(request, org)
    membership = _membership_get(organization, number)
    try:
        services.membership_transition(
            membership=membership, acting_user=request.api_token.user, **payload.dict()
        )
    except TransitionRefused as exc:
        current = Membership.objects.values_list("status", flat=True).get(pk=membership.pk)
        raise _refused(exc, expected=payload.expected_status, current=current) from exc
    membership = Membership.objects.select_related("membership_type", "person", "agency").get(
        pk=membership.pk
    )
    return Status(200, _membership_out(membership))


# --- sanctions ----------------------------------------------------------------------------------


@router.post(
    "/bodies/{org}/register/sanctions",
    response={201: SanctionOut, 400: ErrorOut, 404: ErrorOut, **_AUTH_ERRORS},
    summary="Record a sanction decided outside Ombuds",
    description=(
        "On a credential (`credential_number`) or a membership (`membership_number`): give exactly "
        "one; 404 when the body has no such record. `provisions` are citations in the body's code "
        "in force; 400 naming any the code does not have. The same checks as the staff page's "
        "sanction form. Recording a sanction does not change the status: apply a suspension, "
        "revocation or expulsion through the status endpoint."
    ),
)
def sanction_create(request: HttpRequest, org: str, payload: SanctionIn) -> Status:
    organization = _body(request, org)
    credential_number = (payload.credential_number or "").strip()
    membership_number = (payload.membership_number or "").strip()
    if bool(credential_number) == bool(membership_number):
        raise HttpError(400, "give either credential_number or membership_number, not both")
    credential = _credential_get(organization, credential_number) if credential_number else None
    membership = _membership_get(organization, membership_number) if membership_number else None

    citations = list(dict.fromkeys(c.strip() for c in payload.provisions))
    if "" in citations:
        raise HttpError(400, "provisions: a citation is empty")
    version = current_version(organization)
    if citations and version is None:
        raise HttpError(
            400,
            f"{organization.short_name} has no published code in force: cannot cite "
            f"{', '.join(citations)}",
        )
    provisions = version.provisions.exclude(citation="") if version else Provision.objects.none()
    found = {p.citation: p for p in provisions.filter(citation__in=citations)}
    unknown = [c for c in citations if c not in found]
    if unknown:
        raise HttpError(
            400,
            f"provisions: {', '.join(unknown)} not in {organization.short_name}'s code in force "
            f"({version.label})",
        )

    form = SanctionForm(
        {
            "kind": payload.kind,
            "decided_on": payload.decided_on,
            "effective_from": payload.effective_from or "",
            "effective_until": payload.effective_until or "",
            "summary": payload.summary,
            "publication": payload.publication,
            "public_until": payload.public_until or "",
            "decision_url": payload.decision_url,
            "provisions": [found[c].pk for c in citations],
        },
        provisions=provisions,
    )
    if not form.is_valid():
        raise HttpError(400, _form_errors(form))
    data = form.cleaned_data
    try:
        sanction = services.sanction_record(
            organization=organization,
            credential=credential,
            membership=membership,
            kind=data["kind"],
            decided_on=data["decided_on"],
            summary=data["summary"],
            publication=data["publication"],
            public_until=data["public_until"],
            effective_from=data["effective_from"],
            effective_until=data["effective_until"],
            decision_url=data["decision_url"],
            provisions=[found[c] for c in citations],
            acting_user=request.api_token.user,
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(
        201,
        {
            "id": sanction.pk,
            "credential_number": credential.number if credential else None,
            "membership_number": membership.number if membership else None,
            "kind": sanction.kind,
            "decided_on": sanction.decided_on,
            "effective_from": sanction.effective_from,
            "effective_until": sanction.effective_until,
            "summary": sanction.summary,
            "publication": sanction.publication,
            "public_until": sanction.public_until,
            "decision_url": sanction.decision_url,
            "provisions": citations,
            "code_version": version.label if version else None,
        },
    )
