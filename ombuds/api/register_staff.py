"""The register's write API for staff: a bearer token for one body (see `ombuds apitoken`).

Every endpoint goes through the same checks as the staff pages: the register's records
(`ombuds.register.records`: people, agencies, affiliations, each change audited). Credentials,
memberships and sanctions are in `register_lifecycle`, under the same token and conventions.

Conventions, for every endpoint here:

- 401 without a live token (revoked and expired tokens are told so); 403 when the path names
  another body than the token's, or the token lacks the endpoint's scope (`register:read` for
  reads, `register:write` for changes: `ombuds.api.auth`).
- 404 when the path or the body names a record the token's body does not have: another body's
  records are looked up in the token's body only, so they are "not found", never shown.
- 400 for what the caller can fix in the request: a form's or a service's refusal, with its reason
  (the lifecycle refusing a move, a number already used, an unknown citation...).
- 409 when the record changed meanwhile: the status is no longer the `expected_status` the caller
  sent, the record's `version` is no longer the `expected_version` the caller sent, or a concurrent
  request created the same record first.
- 422 (Django Ninja's) when the JSON does not have the documented shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from ombuds.api.auth import REGISTER_READ, REGISTER_WRITE
from ombuds.api.limits import LIST_ITEMS, column, column_item, text
from ombuds.api.pages import CURSOR, LIMIT, page
from ombuds.api.problems import ProblemOut
from ombuds.bodies.models import Organization
from ombuds.register import records, services
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Affiliation,
    Agency,
    Person,
)

# Each endpoint declares its scope (`auth=`); one that did not would need the write scope.
router = Router(tags=["register (staff)"], auth=REGISTER_WRITE)


def _body(request: HttpRequest, org: str) -> Organization:
    token = request.api_token
    if token.organization.slug != org:
        raise HttpError(403, "this token is for another body")
    return token.organization


# --- schemas ------------------------------------------------------------------------------------


# Every endpoint can answer these: no live token, or a token for another body than the path's.
_AUTH_ERRORS: dict[int, type[Schema]] = {401: ProblemOut, 403: ProblemOut}


def _expected_version() -> Any:
    return text(
        64,
        None,
        description="The `version` you read: 409 if the record has changed since. Without it, "
        "the change is made whatever happened meanwhile.",
    )


def _version() -> Any:
    return Field(..., description="Send it back as `expected_version` with your next change.")


class PersonFields(Schema):
    external_id: str = column(Person, "external_id")
    given_name: str = column(Person, "given_name")
    family_name: str = column(Person, "family_name")
    email: str = column(Person, "email", "")
    phone: str = column(Person, "phone", "")
    city: str = column(Person, "city", "")
    region: str = column(Person, "region", "")
    country: str = column(Person, "country", "", description="Two letters (ISO 3166-1).")


class PersonIn(PersonFields):
    expected_version: str | None = _expected_version()


class PersonOut(PersonFields):
    id: int
    version: str = _version()


TradeName = column_item(Agency, "legal_name")


class AgencyFields(Schema):
    external_id: str = column(Agency, "external_id")
    legal_name: str = column(Agency, "legal_name")
    trade_names: list[TradeName] = Field(
        default_factory=list, max_length=LIST_ITEMS, description="One name per item."
    )
    address: str = column(Agency, "address", "")
    city: str = column(Agency, "city", "")
    region: str = column(Agency, "region", "")
    postal_code: str = column(Agency, "postal_code", "")
    country: str = column(Agency, "country", "", description="Two letters (ISO 3166-1).")
    email: str = column(Agency, "email", "")
    phone: str = column(Agency, "phone", "")
    website: str = column(Agency, "website", "")


class AgencyIn(AgencyFields):
    expected_version: str | None = _expected_version()


class SimilarAgencyOut(Schema):
    external_id: str
    legal_name: str
    matched_name: str = Field(..., description="The other agency's name that looks alike.")
    similarity: float = Field(..., description="0 to 1, legal-form words and punctuation ignored.")
    message: str


class AgencyOut(AgencyFields):
    id: int
    version: str = _version()
    warnings: list[SimilarAgencyOut] = Field(
        ...,
        description="CSEC 4.2: other agencies of the body whose legal or trade names a client "
        "could confuse with this one's. The agency is saved all the same.",
    )


class AffiliationIn(Schema):
    agency_external_id: str = column(Agency, "external_id")
    person_external_id: str = column(Person, "external_id")
    role: str = column(Affiliation, "role", description="employee, agent or principal.")
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class AffiliationPatch(Schema):
    role: str | None = column(Affiliation, "role", None)
    start_date: dt.date | None = Field(None, description="null clears it.")
    end_date: dt.date | None = Field(None, description="Ends the affiliation; null reopens it.")
    expected_version: str | None = _expected_version()


class AffiliationOut(Schema):
    id: int
    agency_external_id: str
    agency_name: str
    person_external_id: str
    person_name: str
    role: str
    start_date: dt.date | None
    end_date: dt.date | None
    version: str = _version()


# --- helpers ------------------------------------------------------------------------------------


def _form_errors(form: forms.BaseForm, names: dict[str, str] | None = None) -> str:
    """Every error of the form on one line, each after the field's name as the API calls it (errors
    about the whole form, without one)."""
    names = names or {}
    parts = []
    for field, messages in form.errors.items():
        text = " ".join(messages)
        parts.append(text if field == "__all__" else f"{names.get(field, field)}: {text}")
    return "; ".join(parts)


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
        "version": records.version_of(agency),
        "warnings": [_similar_out(*item) for item in similar],
    }


def _person_out(person: Person) -> dict[str, Any]:
    return {
        **{name: getattr(person, name) for name in records.PERSON_FIELDS},
        "id": person.pk,
        "version": records.version_of(person),
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
        "version": records.version_of(a),
    }


# --- people -------------------------------------------------------------------------------------


@router.put(
    "/bodies/{org}/register/people/{external_id}",
    auth=REGISTER_WRITE,
    response={200: PersonOut, 201: PersonOut, 400: ProblemOut, 409: ProblemOut, **_AUTH_ERRORS},
    summary="Create or update a person, matched on your external id",
)
def person_put(request: HttpRequest, org: str, external_id: str, payload: PersonIn) -> Status:
    organization = _body(request, org)
    if payload.external_id != external_id:
        raise HttpError(400, "external_id in the body differs from the one in the path")
    person = Person.objects.filter(organization=organization, external_id=external_id).first()
    created = person is None
    # The same service as the staff page: the same checks, the same messages.
    try:
        person = records.person_save(
            organization=organization,
            values=payload.dict(exclude={"expected_version"}),
            person=person,
            expected_version=payload.expected_version,
            acting_user=request.api_token.user,
        )
    except records.ChangeRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except records.ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(201 if created else 200, _person_out(person))


# --- agencies and affiliations ------------------------------------------------------------------


@router.put(
    "/bodies/{org}/register/agencies/{external_id}",
    auth=REGISTER_WRITE,
    response={200: AgencyOut, 201: AgencyOut, 400: ProblemOut, 409: ProblemOut, **_AUTH_ERRORS},
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
    agency = Agency.objects.filter(organization=organization, external_id=external_id).first()
    created = agency is None
    try:
        agency = records.agency_save(
            organization=organization,
            values=payload.dict(exclude={"expected_version"}),
            agency=agency,
            expected_version=payload.expected_version,
            acting_user=request.api_token.user,
        )
    except records.ChangeRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except records.ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    similar = services.similar_agencies(
        organization=organization,
        names=[agency.legal_name, *agency.trade_names],
        exclude_pk=agency.pk,
    )
    return Status(201 if created else 200, _agency_out(agency, similar))


@router.post(
    "/bodies/{org}/register/affiliations",
    auth=REGISTER_WRITE,
    response={201: AffiliationOut, 400: ProblemOut, 404: ProblemOut, **_AUTH_ERRORS},
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
        affiliation = records.affiliation_save(
            agency=agency,
            person=person,
            role=payload.role,
            start_date=payload.start_date,
            end_date=payload.end_date,
            acting_user=request.api_token.user,
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _affiliation_out(affiliation))


@router.patch(
    "/bodies/{org}/register/affiliations/{affiliation_id}",
    auth=REGISTER_WRITE,
    response={
        200: AffiliationOut,
        400: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        **_AUTH_ERRORS,
    },
    summary="Change an affiliation's role or dates; end it",
    description=(
        "Only the fields sent change: `end_date` ends the affiliation, `null` clears a date. The "
        "person and the agency do not change: end the affiliation and add another. Same checks as "
        "adding one. 409 when `expected_version` is given and the affiliation has changed since."
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
    expected_version = changes.pop("expected_version", None)
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
        affiliation = records.affiliation_save(
            agency=affiliation.agency,
            person=affiliation.person,
            affiliation=affiliation,
            expected_version=expected_version,
            acting_user=request.api_token.user,
            **values,
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except records.ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(200, _affiliation_out(affiliation))


@router.get(
    "/bodies/{org}/register/agencies/{external_id}/affiliations",
    auth=REGISTER_READ,
    response={200: list[AffiliationOut], 404: ProblemOut, **_AUTH_ERRORS},
    summary="List an agency's affiliations, past and present",
    description="By person (family name, given name), then start date. 404 when there is no agency.",
)
def agency_affiliations(
    request: HttpRequest,
    org: str,
    external_id: str,
    response: HttpResponse,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> list[dict[str, Any]]:
    organization = _body(request, org)
    agency = _agency_get(organization, external_id, "external_id")
    rows = (
        Affiliation.objects.filter(agency=agency)
        .select_related("agency", "person")
        .order_by("person__family_name", "person__given_name", "person__pk", "start_date", "pk")
    )
    return [_affiliation_out(a) for a in page(request, response, rows, cursor, limit)]
