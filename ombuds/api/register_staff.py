"""The register's write API for staff: a bearer token for one body (see `ombuds apitoken`).

Every endpoint goes through the same checks as the staff pages: the person form, and the register's
services for credentials and their statuses.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from ombuds.register import services
from ombuds.register.forms import PersonForm
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import Credential, CredentialProgram, Person
from ombuds.register.tokens import token_check


class StaffToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        row = token_check(token)
        if row is not None:
            request.api_token = row
        return row


router = Router(tags=["register (staff)"], auth=StaffToken())


def _body(request: HttpRequest, org: str):
    token = request.api_token
    if token.organization.slug != org:
        raise HttpError(403, "this token is for another body")
    return token.organization


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


class TransitionIn(Schema):
    to_status: str
    effective_date: dt.date
    reason: str
    decision_ref: str = ""
    until: dt.date | None = None
    expires_on: dt.date | None = None
    expected_status: str | None = None


class ErrorOut(Schema):
    detail: str


def _credential_out(c: Credential) -> dict:
    return {
        "number": c.number,
        "program": c.program.code,
        "holder_external_id": c.holder.external_id,
        "status": c.status,
        "issued_on": c.issued_on,
        "expires_on": c.expires_on,
    }


@router.put(
    "/bodies/{org}/register/people/{external_id}",
    response={200: PersonOut, 201: PersonOut, 400: ErrorOut, 409: ErrorOut},
    summary="Create or update a person, matched on your external id",
)
def person_put(request: HttpRequest, org: str, external_id: str, payload: PersonIn):
    organization = _body(request, org)
    if payload.external_id != external_id:
        raise HttpError(400, "external_id in the body differs from the one in the path")
    data = payload.dict()
    person = Person.objects.filter(organization=organization, external_id=external_id).first()
    created = person is None
    # The same form as the staff page: the same checks, the same messages.
    form = PersonForm(data, instance=person or Person(organization=organization))
    if not form.is_valid():
        raise HttpError(400, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    try:
        with transaction.atomic():
            person = form.save()
    except IntegrityError as exc:  # a concurrent request created the same external id
        raise HttpError(409, f"person {external_id} was created meanwhile; retry") from exc
    return Status(201 if created else 200, {**data, "id": person.pk})


@router.post(
    "/bodies/{org}/register/credentials",
    response={201: CredentialOut, 400: ErrorOut, 404: ErrorOut},
    summary="Issue a credential to a person, as a candidate",
)
def credential_create(request: HttpRequest, org: str, payload: CredentialIn):
    organization = _body(request, org)
    holder = Person.objects.filter(
        organization=organization, external_id=payload.holder_external_id
    ).first()
    program = CredentialProgram.objects.filter(
        organization=organization, code=payload.program
    ).first()
    if holder is None or program is None:
        raise HttpError(404, "no such holder" if holder is None else "no such credential program")
    try:
        credential = services.credential_issue(
            holder=holder,
            program=program,
            number=payload.number,
            acting_user=request.api_token.user,
        )
    except (TransitionRefused, IntegrityError) as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _credential_out(credential))


@router.post(
    "/bodies/{org}/register/credentials/{number}/status",
    response={200: CredentialOut, 400: ErrorOut, 404: ErrorOut},
    summary="Change a credential's status as the lifecycle allows",
)
def credential_status(request: HttpRequest, org: str, number: str, payload: TransitionIn):
    organization = _body(request, org)
    credential = (
        Credential.objects.select_related("program", "holder")
        .filter(program__organization=organization, number="".join(number.split()).upper())
        .first()
    )
    if credential is None:
        raise HttpError(404, f"no credential {number}")
    try:
        credential = services.credential_transition(
            credential=credential, acting_user=request.api_token.user, **payload.dict()
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    credential = Credential.objects.select_related("program", "holder").get(pk=credential.pk)
    return Status(200, _credential_out(credential))
