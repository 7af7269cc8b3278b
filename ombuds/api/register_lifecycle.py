"""The register's staff API for credentials, memberships and sanctions: the lifecycle's front door.

Both lifecycle subjects change status through one endpoint body (`_status_change`) and one service
(`services.lifecycle_transition`); what each subject is called, found by and shown as is a row of
`_LIFECYCLE_API`. People, agencies and affiliations are in `register_staff`, whose token and body
check these endpoints share.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from ombuds.api.auth import REGISTER_READ, REGISTER_WRITE
from ombuds.api.limits import DETAILS, LIST_ITEMS, column, column_item, text
from ombuds.api.register_staff import (
    _AUTH_ERRORS,
    ProblemOut,
    _agency_get,
    _body,
    _form_errors,
    _person_get,
)
from ombuds.bodies.models import Organization
from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.register import services
from ombuds.register.forms import SanctionForm
from ombuds.register.lifecycle import TransitionRefused
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    Sanction,
    StatusEvent,
)
from ombuds.register.subjects import CREDENTIAL, MEMBERSHIP, LifecycleSubject

# Each endpoint declares its scope (`auth=`); one that did not would need the write scope.
router = Router(tags=["register (staff)"], auth=REGISTER_WRITE)


# --- schemas ------------------------------------------------------------------------------------


class CredentialIn(Schema):
    holder_external_id: str = column(Person, "external_id")
    program: str = column(CredentialProgram, "code", description="The credential program's code.")
    number: str = column(Credential, "number")


class StaffCredentialOut(Schema):
    number: str
    program: str
    holder_external_id: str
    status: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    suspended_until: dt.date | None
    conditions: str


class _StatusChangeIn(Schema):
    """A status change of a credential or membership; each adds its own due date."""

    to_status: str = column(StatusEvent, "to_status")
    effective_date: dt.date
    reason: str = text(DETAILS)
    decision_ref: str = column(StatusEvent, "decision_ref", "")
    until: dt.date | None = None
    expected_status: str | None = column(StatusEvent, "from_status", None)


class TransitionIn(_StatusChangeIn):
    expires_on: dt.date | None = None


class CorrectionIn(Schema):
    reason: str = text(DETAILS, description="Why; it goes on the record with what changed.")
    conditions: str | None = text(
        DETAILS,
        None,
        description="New conditions the holder practises under; an empty string lifts them.",
    )
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    expected_status: str | None = column(
        Credential,
        "status",
        None,
        description="The status you saw: 409 if the credential has changed since.",
    )


class MembershipIn(Schema):
    membership_type: str = column(MembershipType, "code", description="The membership type's code.")
    number: str = column(Membership, "number")
    person_external_id: str | None = column(
        Person, "external_id", None, description="The holder of an individual or board membership."
    )
    agency_external_id: str | None = column(
        Agency, "external_id", None, description="The holder of an organisation membership."
    )
    external_id: str = column(Membership, "external_id", "")


class StaffMembershipOut(Schema):
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


class StaffMembershipRecordOut(StaffMembershipOut):
    events: list[EventOut]


class MembershipTransitionIn(_StatusChangeIn):
    renewal_date: dt.date | None = None


Citation = column_item(Provision, "citation")


class SanctionIn(Schema):
    credential_number: str | None = column(
        Credential, "number", None, description="Give this or membership_number."
    )
    membership_number: str | None = column(Membership, "number", None)
    kind: str = column(Sanction, "kind", description=", ".join(Sanction.Kind.values))
    decided_on: dt.date
    summary: str = text(DETAILS, description="Shown publicly when the sanction is public.")
    publication: str = column(
        Sanction, "publication", description=", ".join(Sanction.Publication.values)
    )
    public_until: dt.date | None = Field(None, description="Required for public_until.")
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    decision_url: str = column(Sanction, "decision_url", "")
    provisions: list[Citation] = Field(
        default_factory=list,
        max_length=LIST_ITEMS,
        description="Citations of the provisions breached, in the body's code in force (e.g. 1.2).",
    )


class StaffSanctionOut(Schema):
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


def _refused(exc: Exception, *, expected: str | None, current: str) -> HttpError:
    """A service's refusal as an API error: 409 when the record is no longer in the status the caller
    saw (it changed meanwhile), 400 otherwise (the request is what to fix)."""
    if expected is not None and current != expected:
        return HttpError(409, str(exc))
    return HttpError(400, str(exc))


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


# --- credentials --------------------------------------------------------------------------------


@router.post(
    "/bodies/{org}/register/credentials",
    auth=REGISTER_WRITE,
    response={
        201: StaffCredentialOut,
        400: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        **_AUTH_ERRORS,
    },
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
    auth=REGISTER_WRITE,
    response={
        200: StaffCredentialOut,
        400: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        **_AUTH_ERRORS,
    },
    summary="Change a credential's status as the lifecycle allows",
    description=(
        "The moves staff may take by hand (the daily task takes the automatic ones). 400 with the "
        "reason when the lifecycle refuses the move or it lacks what it requires; 409 when the "
        "credential is no longer in `expected_status`."
    ),
)
def credential_status(request: HttpRequest, org: str, number: str, payload: TransitionIn) -> Status:
    return _status_change(request, org, number, payload, subject=CREDENTIAL)


@router.post(
    "/bodies/{org}/register/credentials/{number}/corrections",
    auth=REGISTER_WRITE,
    response={
        200: StaffCredentialOut,
        400: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        **_AUTH_ERRORS,
    },
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
    auth=REGISTER_WRITE,
    response={
        201: StaffMembershipOut,
        400: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        **_AUTH_ERRORS,
    },
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
    auth=REGISTER_READ,
    response={200: StaffMembershipRecordOut, 404: ProblemOut, **_AUTH_ERRORS},
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
    auth=REGISTER_WRITE,
    response={
        200: StaffMembershipOut,
        400: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        **_AUTH_ERRORS,
    },
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
    return _status_change(request, org, number, payload, subject=MEMBERSHIP)


def _status_change(
    request: HttpRequest,
    org: str,
    number: str,
    payload: _StatusChangeIn,
    *,
    subject: LifecycleSubject,
) -> Status:
    """A credential's or membership's status change, through the one lifecycle service."""
    get, related, out = _LIFECYCLE_API[subject.name]
    record = get(_body(request, org), number)
    change = payload.dict()
    due_date = change.pop(subject.due_field, None)
    try:
        services.lifecycle_transition(
            subject=subject,
            record=record,
            due_date=due_date,
            acting_user=request.api_token.user,
            **change,
        )
    except TransitionRefused as exc:
        current = subject.model.objects.values_list("status", flat=True).get(pk=record.pk)
        raise _refused(exc, expected=payload.expected_status, current=current) from exc
    return Status(200, out(subject.model.objects.select_related(*related).get(pk=record.pk)))


# How the API finds, loads and shows each lifecycle subject.
_LIFECYCLE_API = {
    "credential": (_credential_get, ("program", "holder"), _credential_out),
    "membership": (_membership_get, ("membership_type", "person", "agency"), _membership_out),
}


# --- sanctions ----------------------------------------------------------------------------------


@router.post(
    "/bodies/{org}/register/sanctions",
    auth=REGISTER_WRITE,
    response={201: StaffSanctionOut, 400: ProblemOut, 404: ProblemOut, **_AUTH_ERRORS},
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
    try:
        sanction = services.sanction_record(
            organization=organization,
            record=credential or membership,
            decision=form.sanction_decision(provisions=[found[c] for c in citations]),
            publication=form.sanction_publication(),
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


class FinePaidIn(Schema):
    paid_on: dt.date = Field(..., description="The day it was paid: not in the future.")
    note: str = text(DETAILS, "", description="For example the cheque or transfer reference.")


class FinePaidOut(Schema):
    id: int
    amount: str = Field(..., description="The fine's amount and currency, e.g. `250.00 USD`.")
    due_on: dt.date | None
    paid_on: dt.date
    note: str


@router.post(
    "/bodies/{org}/register/sanctions/{sanction_id}/payment",
    auth=REGISTER_WRITE,
    response={200: FinePaidOut, 400: ProblemOut, 404: ProblemOut, **_AUTH_ERRORS},
    summary="Record a fine as paid",
    description=(
        "The fine `sanction_id` of the body's register (404 for another body's, or none) was paid "
        "on `paid_on`. 400 with the reason when the sanction is not a fine, was lifted, is already "
        "recorded as paid, or the date is in the future or before the decision. Recorded once."
    ),
)
def sanction_fine_paid(
    request: HttpRequest, org: str, sanction_id: int, payload: FinePaidIn
) -> dict[str, Any]:
    organization = _body(request, org)
    sanction = Sanction.objects.filter(organization=organization, pk=sanction_id).first()
    if sanction is None:
        raise HttpError(404, f"no sanction {sanction_id} in {organization.short_name}'s register")
    try:
        paid = services.sanction_fine_paid(
            organization=organization,
            sanction=sanction,
            paid_on=payload.paid_on,
            note=payload.note,
            acting_user=request.api_token.user,
        )
    except TransitionRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return {
        "id": paid.pk,
        "amount": f"{paid.amount} {paid.currency}",
        "due_on": paid.due_on,
        "paid_on": paid.paid_on,
        "note": paid.payment_note,
    }
