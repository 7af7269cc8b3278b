"""The staff API for a case's respondent: search the body's register for the entry a complaint
means (with the matches suggested on filing), and link, relink or unlink the respondent with a
reason, through `services.respondent_link` as the case page does.

Errors are RFC 9457 problems (`ombuds.api.problems`, the reason in `detail`): 400 when the change is refused (every reason at once: the case
is closed, an allegation was decided, a sanction was imposed on the register, no reason given, an
entry of another body), 401 without a live token, 403 for a token of another body or without the
scope, or when the token's user does not handle cases (`HANDLERS`: only they link), 404 when there
is no such case or the token's user is recused from it, or no such register entry in the body,
409 when the case changed since `expected_version`.
"""

from __future__ import annotations

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from ombuds.api.auth import CASES_READ, CASES_WRITE
from ombuds.api.cases import ProblemOut, _staff_case
from ombuds.api.limits import NO_NUL, text
from ombuds.cases import services
from ombuds.cases.models import Case
from ombuds.cases.rules import HANDLERS
from ombuds.register.matching import Candidate, candidates_of, candidates_search
from ombuds.register.models import Agency, Person

router = Router(tags=["cases (staff)"], auth=CASES_WRITE)


class CandidateOut(Schema):
    kind: str = Field(..., description="person or agency")
    id: int
    name: str
    city: str
    also_known_as: list[str] = Field(..., description="An agency's trade names")
    holds: list[str] = Field(
        ..., description="The credentials and memberships of the body, with their status"
    )


class CandidatesOut(Schema):
    respondent: CandidateOut | None = Field(
        ..., description="The register entry linked now (null: named only, not a member)"
    )
    suggested: list[CandidateOut] = Field(
        ..., description="Matches found on filing by the name the complaint gives; not linked"
    )
    results: list[CandidateOut] = Field(..., description="The entries matching `q`")


class RespondentIn(Schema):
    person_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Link to this person of the register"
    )
    agency_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Or to this agency; neither: unlink"
    )
    reason: str = text(1000, description="Why, on the case's record")
    expected_version: int = Field(
        ..., ge=0, le=2**31 - 1, description="The case's `version` when it was read"
    )


class RelinkedOut(Schema):
    reference: str
    version: int
    respondent: str
    respondent_is_member: bool
    steps_opened: list[str]
    steps_closed: list[str]
    warnings: list[str]
    message: str


def _out(c: Candidate) -> CandidateOut:
    return CandidateOut(
        kind=c.kind,
        id=c.record.pk,
        name=str(c.record),
        city=c.city,
        also_known_as=c.also_known_as,
        holds=c.holds,
    )


def _handled_case(request, org: str, reference: str) -> Case:
    case = _staff_case(request, org, reference)
    if not services.roles_on_case(request.api_token.user, case) & HANDLERS:
        raise HttpError(403, "only the case's handlers link its respondent to the register")
    return case


@router.get(
    "/bodies/{org}/cases/{reference}/respondent",
    auth=CASES_READ,
    response={200: CandidatesOut, 401: ProblemOut, 403: ProblemOut, 404: ProblemOut},
    summary="The respondent in the register, the matches suggested on filing, and a search",
    description="`q`: a person's given or family name, an agency's legal or trade name, or a "
    "whole credential or membership number (at most 20 people and 20 agencies).",
)
def respondent_candidates(
    request, org: str, reference: str, q: str = Query("", max_length=100, pattern=NO_NUL)
):
    case = _handled_case(request, org, reference)
    linked = case.respondent_person or case.respondent_agency
    current = candidates_of([linked]) if linked is not None else []
    return CandidatesOut(
        respondent=_out(current[0]) if current else None,
        suggested=[_out(c) for c in services.respondent_suggestions(case)],
        results=[_out(c) for c in candidates_search(case.organization, q)] if q.strip() else [],
    )


@router.put(
    "/bodies/{org}/cases/{reference}/respondent",
    auth=CASES_WRITE,
    response={
        200: RelinkedOut,
        400: ProblemOut,
        401: ProblemOut,
        403: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
    },
    summary="Link, relink or unlink the case's respondent",
    description="`person_id` or `agency_id` of the body's register, or neither to unlink, with "
    "the reason. The answer says which steps of the procedure the change opened and closed, and "
    "what to do next (a respondent already notified: the new one is not, and the old one's links "
    "stop working).",
)
def respondent_set(request, org: str, reference: str, payload: RespondentIn):
    case = _handled_case(request, org, reference)
    if payload.person_id and payload.agency_id:
        raise HttpError(400, "link the respondent to one person or one agency, not both")
    record = None
    if payload.person_id:
        record = Person.objects.filter(pk=payload.person_id, organization=case.organization)
    elif payload.agency_id:
        record = Agency.objects.filter(pk=payload.agency_id, organization=case.organization)
    found = record.first() if record is not None else None
    if record is not None and found is None:
        raise HttpError(404, "no such entry in the body's register")
    try:
        done = services.respondent_link(
            case=case,
            person=found if isinstance(found, Person) else None,
            agency=found if isinstance(found, Agency) else None,
            reason=payload.reason,
            acting_user=request.api_token.user,
            expected_version=payload.expected_version,
        )
    except services.CaseRefused as exc:
        status = 409 if isinstance(exc, services.CaseChanged) else 400
        raise HttpError(status, str(exc)) from exc
    case = done.case
    return RelinkedOut(
        reference=case.reference,
        version=case.version,
        respondent=case.respondent_name,
        respondent_is_member=services.facts(case)["respondent_is_member"],
        steps_opened=done.opened,
        steps_closed=done.closed,
        warnings=done.warnings,
        message=done.message,
    )
