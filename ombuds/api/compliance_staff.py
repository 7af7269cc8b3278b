"""The compliance API, the council's side: the body's findings (filtered, a page at a time), the
coverage of its programme, and, for a finding the agency answered or did not answer in time,
closing it with a reason or opening a case from it (the allegation drafted citing the provision,
the evidence attached), through the same services as the council's pages
(`ombuds.compliance.findings`).

A staff token of the body: `compliance:read` to read, `compliance:write` to close and open cases
(`ombuds.api.auth`). Errors are RFC 9457 problems (`ombuds.api.problems`, the reason in `detail`): 400 when the service refuses (the
finding is not the council's to decide now, no reason given, its provision not in the code in
force...), 401 without a live token, 403 for a token of another body or without the scope, 404 for
a finding the body does not have, 409 when the finding changed since its `version` was read.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from ombuds.api.auth import COMPLIANCE_READ, COMPLIANCE_WRITE
from ombuds.api.compliance import (
    PER_PAGE,
    FindingOut,
    FindingsPageOut,
    ProblemOut,
    StatusFilter,
    finding_out,
    findings_page,
    provision_filter,
)
from ombuds.api.limits import DETAILS, ID_MAX, NO_NUL, text
from ombuds.bodies.models import Organization
from ombuds.compliance import coverage, findings, selectors
from ombuds.compliance.models import Finding
from ombuds.core.changes import ChangedMeanwhile

router = Router(tags=["compliance (staff)"], auth=COMPLIANCE_WRITE)

_AUTH: dict[int, type[Schema]] = {401: ProblemOut, 403: ProblemOut}


class FindingCloseIn(Schema):
    reason: str = text(DETAILS, description="Why the council closes it (the answer satisfies it…)")
    version: str = text(64, description="The finding's `version` when it was read")


class FindingCaseIn(Schema):
    version: str = text(64, description="The finding's `version` when it was read")


class CaseOpenedOut(Schema):
    reference: str = Field(..., description="The case's reference")
    finding: FindingOut


class AgencyRefOut(Schema):
    id: int
    legal_name: str


class PeriodOut(Schema):
    return_key: str
    label: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    agencies: int = Field(..., description="The agencies bound to file it")
    filed: int
    waiting: int = Field(..., description="Not filed, due today")
    late: list[AgencyRefOut] = Field(..., description="Not filed, and its due date passed")


class ProvisionCountOut(Schema):
    provision: str = Field(..., description='As the code cites it: "CSEC 1.2(c)"')
    open: int = Field(..., description="Still with the agency (within its cure period)")
    answered: int
    escalated: int = Field(..., description="Not answered in time")
    total: int


class CoverageOut(Schema):
    today: dt.date
    periods: list[PeriodOut] = Field(..., description="The latest periods due, the latest first")
    unresolved_by_provision: list[ProvisionCountOut]


def _body(request: HttpRequest, org: str) -> Organization:
    token = request.api_token
    if token.organization.slug != org:
        raise HttpError(403, "this token is for another body")
    return token.organization


def _finding(organization: Organization, finding_id: int) -> Finding:
    finding = selectors.finding_of_body(organization, finding_id)
    if finding is None:
        raise HttpError(404, "no such finding in the body")
    return finding


@router.get(
    "/bodies/{org}/compliance/findings",
    auth=COMPLIANCE_READ,
    response={200: FindingsPageOut, **_AUTH},
    summary="The body's compliance findings",
    description="The latest period first. `status`: one status, or `unresolved` (open, answered "
    "or escalated); without it, all but those superseded by an amended return. `provision`: its "
    'citation, with or without the code ("1.2(c)", "CSEC 1.2(c)"). `agency`: its number.',
)
def findings_list(
    request: HttpRequest,
    org: str,
    status: StatusFilter | None = None,
    provision: str = Query("", max_length=60, pattern=NO_NUL),
    agency: int | None = Query(None, ge=1, le=ID_MAX),
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(PER_PAGE, ge=1, le=200),
):
    organization = _body(request, org)
    rows = selectors.findings_list(
        organization,
        agency_id=agency,
        status=status or "",
        provision=provision_filter(provision),
    )
    return findings_page(rows, page, per_page, selectors.citation_code(organization))


@router.get(
    "/bodies/{org}/compliance/findings/{finding_id}",
    auth=COMPLIANCE_READ,
    response={200: FindingOut, 404: ProblemOut, **_AUTH},
    summary="One compliance finding",
)
def finding_get(request: HttpRequest, org: str, finding_id: int):
    organization = _body(request, org)
    return finding_out(_finding(organization, finding_id), selectors.citation_code(organization))


@router.get(
    "/bodies/{org}/compliance/coverage",
    auth=COMPLIANCE_READ,
    response={200: CoverageOut, **_AUTH},
    summary="Who filed, who is late, and the unresolved findings by provision",
    description="`periods`: how many of the latest periods due (of one return with `return_key`).",
)
def coverage_get(
    request: HttpRequest,
    org: str,
    return_key: str = Query("", max_length=40, pattern=NO_NUL),
    periods: int = Query(12, ge=1, le=120),
):
    organization = _body(request, org)
    code = selectors.citation_code(organization)
    seen = coverage.coverage(organization, return_key=return_key.strip(), limit=periods)
    return {
        "today": seen.today,
        "periods": [
            {
                "return_key": p.return_key,
                "label": p.label,
                "period_start": p.start,
                "period_end": p.end,
                "due_on": p.due_on,
                "agencies": p.agencies,
                "filed": p.filed,
                "waiting": p.waiting,
                "late": [{"id": a.pk, "legal_name": a.legal_name} for a in p.late],
            }
            for p in seen.periods
        ],
        "unresolved_by_provision": [
            {
                "provision": f"{code} {c.provision}".strip(),
                "open": c.open,
                "answered": c.answered,
                "escalated": c.escalated,
                "total": c.total,
            }
            for c in seen.by_provision
        ],
    }


@router.post(
    "/bodies/{org}/compliance/findings/{finding_id}/close",
    auth=COMPLIANCE_WRITE,
    response={200: FindingOut, 400: ProblemOut, 404: ProblemOut, 409: ProblemOut, **_AUTH},
    summary="Close a finding, with the council's reason",
    description="An unresolved finding (open, answered or escalated). 400 when it is resolved "
    "already or no reason is given; 409 when it changed since `version` was read.",
)
def finding_close(request: HttpRequest, org: str, finding_id: int, payload: FindingCloseIn):
    organization = _body(request, org)
    finding = _finding(organization, finding_id)
    try:
        findings.finding_accept(
            finding=finding,
            user=request.api_token.user,
            reason=payload.reason,
            version=payload.version,
        )
    except findings.FindingRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    closed = _finding(organization, finding_id)
    return finding_out(closed, selectors.citation_code(organization))


@router.post(
    "/bodies/{org}/compliance/findings/{finding_id}/case",
    auth=COMPLIANCE_WRITE,
    response={201: CaseOpenedOut, 400: ProblemOut, 404: ProblemOut, 409: ProblemOut, **_AUTH},
    summary="Open a case against the agency from a finding",
    description="A finding the agency answered or did not answer in time: the case's allegation "
    "is drafted citing the finding's provision, the finding and its evidence rows are attached, "
    "and the body's procedure starts as for any complaint; the finding is then referred. 400 "
    "when the finding is not the council's to decide now or its provision is not in the code in "
    "force; 409 when it changed since `version` was read.",
)
def finding_case(request: HttpRequest, org: str, finding_id: int, payload: FindingCaseIn):
    organization = _body(request, org)
    finding = _finding(organization, finding_id)
    try:
        case = findings.finding_refer(
            finding=finding, user=request.api_token.user, version=payload.version
        )
    except findings.FindingRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    referred = _finding(organization, finding_id)
    code = selectors.citation_code(organization)
    return Status(201, {"reference": case.reference, "finding": finding_out(referred, code)})
