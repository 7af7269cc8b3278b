"""The compliance API, an agency's side (docs/guide-compliance.md): its administrators file and
check its returns, read what is due, the returns filed and their findings, and answer findings,
through the same services as the agency's pages (`ombuds.compliance.services`, `.findings`). The
council's side is `compliance_staff`.

A member token (made on `/me/tokens/`) is for one body and its owner's own records: here, the
agencies of that body its owner administers now (`ombuds.members.agency_roles`). An agency the
owner does not administer, an employee's included, is "not found" (404), as on the pages; a staff
token is refused (401), as a member token is on the staff endpoints.

A return is sent as ``multipart/form-data``: the fields `return_key`, `period` (and `amends` when
it replaces a return filed for the period), and one file per file of the return (`ledger`, `bank`,
`contracts` for CSEC's trust ledger). The files stream to disk (`ombuds.api.multipart`), at most
``OMBUDS_COMPLIANCE_UPLOAD_MAX_BYTES`` in all (413 past it).

Errors are RFC 9457 problems (`ombuds.api.problems`, the reason in `detail`): 400 when the request or a service refuses (with every reason;
a return's files whose shape is wrong list each problem in `problems`, and nothing is stored), 401
without a live member token, 404 for an agency, a return or a finding that is not the owner's to
see, 409 when a finding changed since its `version` was read, or a return was filed for the period
and `amends` does not name it, 413 for a return too large.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from ombuds.api import multipart
from ombuds.api.auth import MEMBER
from ombuds.api.limits import ID_MAX, NO_NUL
from ombuds.api.limits import text as bounded
from ombuds.api.pages import CURSOR, LIMIT, page
from ombuds.api.problems import ProblemOut
from ombuds.compliance import display, engine, findings, periods, schedule, selectors, services
from ombuds.compliance.documents import DocumentGiven
from ombuds.compliance.models import Finding, Return
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.members.agency_roles import administered_agency
from ombuds.register.models import Agency

router = Router(tags=["compliance (agencies)"], auth=MEMBER)

PER_PAGE = 50
StatusFilter = Literal.__getitem__((selectors.UNRESOLVED_FILTER, *Finding.Status.values))


# --- what the endpoints answer ------------------------------------------------------------------


class ReturnProblemOut(Schema):
    file: str | None = Field(
        ..., description="The file it is in (ledger, bank...); null for a problem of the request"
    )
    detail: str
    client: str | None = None
    date: dt.date | None = None
    value: str | None = Field(None, description="The value as the file wrote it")


class RefusedOut(Schema):
    detail: str = Field(..., description="Every problem, on one line")
    problems: list[ReturnProblemOut] = Field(
        default_factory=list,
        description="Each problem apart: every problem of the files' shape when that is why",
    )


class CheckedFindingOut(Schema):
    """A finding as `ombuds compliance check --json` prints it."""

    rule: str
    provision: str = Field(..., description='As the code cites it: "CSEC 1.2(c)"')
    severity: str
    client: str | None
    date: dt.date | None
    amount: str | None = Field(..., description="A decimal amount, as a string")
    detail: str
    evidence: dict[str, Any] = Field(..., description="The rows the rule found, and its figures")


class CheckOut(Schema):
    accepted: bool = Field(
        ...,
        description="Whether the return would be accepted: false when its files' shape has "
        "problems (listed in `problems`; the rules were then not run)",
    )
    problems: list[ReturnProblemOut]
    findings: list[CheckedFindingOut]
    truncated: list[str] = Field(
        ..., description="The checks that found more than 500 rows: the first 500 are listed"
    )


class FindingOut(Schema):
    id: int
    version: str = Field(
        ..., description="Send it back as `version` with a change: 409 if it changed since"
    )
    agency: int
    agency_name: str
    return_id: int | None = Field(
        ..., description="The return it was found in; null for a return not filed in time"
    )
    return_key: str
    period_start: dt.date
    period_end: dt.date
    rule: str = Field(..., description="The rule's key; `overdue` for a return not filed in time")
    provision: str = Field(..., description='As the code cites it: "CSEC 1.2(c)"')
    severity: str
    client: str | None
    date: dt.date | None
    amount: str | None = Field(..., description="A decimal amount, as a string")
    detail: str
    evidence: dict[str, Any]
    status: str = Field(..., description=", ".join(Finding.Status.values))
    status_label: str
    cure_by: dt.date = Field(..., description="The last day the agency may answer or correct it")
    answer: str
    answered_at: dt.datetime | None
    answered_by: str
    resolution: str = Field(..., description="Why the council closed it, or the case it went to")
    resolved_at: dt.datetime | None
    case: str | None = Field(..., description="The reference of the case opened from it")


class FindingsPageOut(Schema):
    count: int = Field(..., description="How many findings match, on every page")
    page: int
    pages: int
    items: list[FindingOut]


class ReturnFileOut(Schema):
    key: str
    name: str
    size: int
    sha256: str


class ReturnSummaryOut(Schema):
    id: int
    return_key: str
    period_start: dt.date
    period_end: dt.date
    status: str = Field(..., description="filed, or superseded by an amended return")
    filed_at: dt.datetime
    filed_by: str
    amends: int | None = Field(..., description="The return this one replaced")
    finding_count: int


class ReturnDocumentOut(ReturnFileOut):
    expires_on: dt.date | None = Field(..., description="When the document expires, if it does")


class ReturnStatementOut(Schema):
    key: str
    words: str = Field(..., description="The words attested, as the programme gave them")
    attested_by: str
    attested_at: dt.datetime


class ReturnOut(ReturnSummaryOut):
    files: list[ReturnFileOut]
    documents: list[ReturnDocumentOut]
    statements: list[ReturnStatementOut]
    findings: list[FindingOut]


class DueOut(Schema):
    return_key: str
    label: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    filed: bool
    overdue: bool = Field(..., description="Not filed and its due date passed")


class FindingAnswerIn(Schema):
    text: str = bounded(findings.ANSWER_MAX, description="What happened and what the agency did")
    version: str = bounded(64, description="The finding's `version` when it was read")


_AUTH: dict[int, type[Schema]] = {401: ProblemOut}
_NOT_YOURS = "no agency of yours with this number in the token's body"


# --- shared with the staff's endpoints ------------------------------------------------------------


def finding_out(f: Finding, code: str) -> dict[str, Any]:
    """A finding as the API shows it; ``code`` is what its provision is cited under."""
    return {
        "id": f.pk,
        "version": version_of(f),
        "agency": f.agency_id,
        "agency_name": f.agency.legal_name,
        "return_id": f.filed_return_id,
        "return_key": f.return_key,
        "period_start": f.period_start,
        "period_end": f.period_end,
        "rule": f.rule_key,
        "provision": f"{code} {f.provision}".strip(),
        "severity": f.severity,
        "client": f.client_ref or None,
        "date": f.date,
        "amount": None if f.amount is None else str(f.amount),
        "detail": f.detail,
        "evidence": f.evidence,
        "status": f.status,
        "status_label": f.get_status_display(),
        "cure_by": f.cure_by,
        "answer": f.answer,
        "answered_at": f.answered_at,
        "answered_by": f.answered_by_label,
        "resolution": f.resolution,
        "resolved_at": f.resolved_at,
        "case": f.case.reference if f.case_id else None,
    }


def findings_page(rows: QuerySet[Finding], page: int, per_page: int, code: str) -> dict[str, Any]:
    """One page of findings (an empty one past the last): two queries whatever their number."""
    count = rows.count()
    start = (page - 1) * per_page
    return {
        "count": count,
        "page": page,
        "pages": max(1, math.ceil(count / per_page)),
        "items": [finding_out(f, code) for f in rows[start : start + per_page]],
    }


def provision_filter(text: str) -> str:
    """The citation asked for, with or without the code's name: "CSEC 1.2(c)" or "1.2(c)"."""
    words = text.split()
    return words[-1] if words else ""


# --- helpers ------------------------------------------------------------------------------------


def _agency(request: HttpRequest, agency_id: int) -> Agency:
    token = request.api_token
    agency = administered_agency(token.user, agency_id)
    if agency is None or agency.organization_id != token.organization_id:
        raise HttpError(404, _NOT_YOURS)
    return agency


def _return_out(filed: Return, code: str) -> dict[str, Any]:
    """A return with its files and its findings, in the same queries however many findings."""
    found = list(selectors.return_findings(filed).select_related("agency", "case"))
    return {
        "id": filed.pk,
        "return_key": filed.return_key,
        "period_start": filed.period_start,
        "period_end": filed.period_end,
        "status": filed.status,
        "filed_at": filed.filed_at,
        "filed_by": filed.filed_by_label,
        "amends": filed.amends_id,
        "finding_count": len(found),
        "files": [
            {"key": f.key, "name": f.original_name, "size": f.size, "sha256": f.sha256}
            for f in filed.files.all()
        ],
        "documents": [
            {
                "key": d.key,
                "name": d.original_name,
                "size": d.size,
                "sha256": d.sha256,
                "expires_on": d.expires_on,
            }
            for d in filed.documents.all()
        ],
        "statements": [
            {
                "key": st.key,
                "words": st.label,
                "attested_by": st.attested_by_label,
                "attested_at": st.attested_at,
            }
            for st in filed.statements.all()
        ],
        "findings": [finding_out(f, code) for f in found],
    }


def _problem(p: engine.Problem) -> dict[str, Any]:
    return {
        "file": p.file,
        "detail": p.detail,
        "client": p.client,
        "date": p.date,
        "value": p.value,
    }


def _refused(exc: services.ReturnRefused) -> Status:
    if exc.outcome is not None and exc.outcome.problems:
        problems = [_problem(p) for p in exc.outcome.problems]
        detail = f"the files' shape has {len(problems)} problem(s): nothing was filed"
    else:
        problems = [{"file": None, "detail": p} for p in exc.problems]
        detail = "; ".join(exc.problems)
    return Status(400, {"detail": detail, "problems": problems})


def _given(fields: dict[str, str]) -> tuple[str, tuple[dt.date, dt.date], int | None]:
    """The return's key, its period and the return it amends, as the request's fields say."""
    problems = []
    return_key = fields.get("return_key", "").strip()
    if not return_key:
        problems.append("return_key: say which return this is (such as trust_ledger)")
    period = None
    try:
        period = periods.parse(fields.get("period", ""))
    except ValueError:
        problems.append(f"period: write it {periods.FORMS}")
    amends = None
    if fields.get("amends", "").strip():
        try:
            amends = int(fields["amends"])
        except ValueError:
            problems.append("amends: the number of the return it replaces")
        else:
            if not 1 <= amends <= ID_MAX:
                problems.append("amends: the number of the return it replaces")
    if problems:
        raise HttpError(400, "; ".join(problems))
    return return_key, period, amends


_FIELDS = {"return_key": Return._meta.get_field("return_key").max_length, "period": 40}


def _multipart(*, amends: bool) -> dict[str, Any]:
    """The request body of the file and check endpoints, for the OpenAPI schema."""
    string = {"type": "string", "pattern": NO_NUL}
    properties: dict[str, Any] = {
        "return_key": {
            **string,
            "maxLength": _FIELDS["return_key"],
            "description": "The return, as the programme names it",
        },
        "period": {
            **string,
            "maxLength": _FIELDS["period"],
            "description": f"The period it covers: {periods.FORMS}",
        },
    }
    if amends:
        properties["amends"] = {
            "type": "integer",
            "minimum": 1,
            "maximum": ID_MAX,
            "description": "The return filed for the period that this one replaces",
        }
    for key, what in (
        ("ledger", "The trust ledger (CSV)"),
        ("bank", "The trust account's statement (CSV)"),
        ("contracts", "The contracts on file (CSV)"),
        ("document_bond", "A document, named document_ and its key (such as the bond)"),
    ):
        properties[key] = {"type": "string", "format": "binary", "description": what}
    properties["expires_bond"] = {
        **string,
        "format": "date",
        "description": "A document's expiry date, named expires_ and its key, for each "
        "document the programme says expires",
    }
    properties["attest"] = {
        **string,
        "maxLength": 1000,
        "description": "The statements attested, their keys separated by commas (attested in "
        "the token owner's name when the return is filed)",
    }
    return {
        "requestBody": {
            "required": True,
            "description": "The return's fields, one file per CSV file the programme declares "
            "for it (other names than these three for other programmes' returns), one part "
            "per document (document_KEY) with its expiry date (expires_KEY) when it expires, "
            "and the statements attested.",
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["return_key", "period"],
                        "properties": properties,
                    }
                }
            },
        }
    }


def _received(request: HttpRequest, agency: Agency, fields: dict[str, int]):
    """The body, with the fields of the documents and statements the programme declares: an
    expiry date per document that expires (``expires_KEY``) and the statements attested
    (``attest``, their keys separated by commas)."""
    spec = display.programme_spec(selectors.programme_current(agency.organization))
    declared = {}
    if spec is not None:
        for r in spec.returns.values():
            declared.update({f"expires_{k}": 10 for k, d in r.documents.items() if d.expires})
            if r.statements:
                declared["attest"] = 1000
    return multipart.received(
        request,
        max_bytes=settings.OMBUDS_COMPLIANCE_UPLOAD_MAX_BYTES,
        fields={**fields, **declared},
    )


def _parts(got) -> dict[str, Any]:
    """The service's arguments from the parts received: the CSV files by name, the documents
    (parts named ``document_KEY``), their expiry dates and the statements attested."""
    paths = {k: p for k, p in got.files.items() if not k.startswith("document_")}
    try:
        documents = [
            DocumentGiven.from_path(k.removeprefix("document_"), p)
            for k, p in sorted(got.files.items())
            if k.startswith("document_")
        ]
    except OSError as exc:  # pragma: no cover - the folder is the request's own
        raise HttpError(400, f"a document could not be read: {exc}") from exc
    expires = {
        k.removeprefix("expires_"): v.strip()
        for k, v in got.fields.items()
        if k.startswith("expires_") and v.strip()
    }
    attested = [s.strip() for s in got.fields.get("attest", "").split(",") if s.strip()]
    return {"paths": paths, "documents": documents, "expires": expires, "statements": attested}


# --- returns ------------------------------------------------------------------------------------


@router.post(
    "/me/agencies/{agency_id}/compliance/returns",
    response={
        201: ReturnOut,
        400: RefusedOut,
        404: ProblemOut,
        409: ProblemOut,
        413: ProblemOut,
        **_AUTH,
    },
    openapi_extra=_multipart(amends=True),
    summary="File a return of an agency you administer",
    description="Its files' shape is checked first: with any problem, 400 listing every one in "
    "`problems`, and nothing is kept. Otherwise every rule runs, the files are kept (encrypted) "
    "with the findings, and the answer is the return with them. A return already filed for the "
    "period is replaced only by naming it in `amends` (409 otherwise, or when another was filed "
    "meanwhile); what the new one finds again keeps its answer and its cure date.",
)
def return_file(request: HttpRequest, agency_id: int):
    agency = _agency(request, agency_id)
    with _received(request, agency, {**_FIELDS, "amends": 20}) as got:
        return_key, period, amends = _given(got.fields)
        try:
            filed = services.return_file(
                organization=agency.organization,
                agency=agency,
                return_key=return_key,
                period=period,
                user=request.api_token.user,
                amends=amends,
                **_parts(got),
            )
        except services.ReturnRefused as exc:
            return _refused(exc)
        except ChangedMeanwhile as exc:
            raise HttpError(409, str(exc)) from exc
    code = selectors.citation_code(agency.organization)
    return Status(201, _return_out(filed, code))


@router.post(
    "/me/agencies/{agency_id}/compliance/check",
    response={200: CheckOut, 400: RefusedOut, 404: ProblemOut, 413: ProblemOut, **_AUTH},
    openapi_extra=_multipart(amends=False),
    summary="Check a return's files without filing them",
    description="The same checks as filing, and nothing is kept: the shape's problems (then "
    "`accepted` is false and the rules were not run) or every rule's findings. 400 when the "
    "request cannot be checked at all (no such return, a period that does not suit it, a file "
    "missing).",
)
def return_check(request: HttpRequest, agency_id: int):
    agency = _agency(request, agency_id)
    with _received(request, agency, _FIELDS) as got:
        return_key, period, _amends = _given(got.fields)
        try:
            outcome = services.return_check(
                organization=agency.organization,
                agency=agency,
                return_key=return_key,
                period=period,
                **_parts(got),
            )
        except services.ReturnRefused as exc:
            return _refused(exc)
    code = selectors.citation_code(agency.organization)
    return {
        "accepted": not outcome.refused,
        "problems": [_problem(p) for p in outcome.problems],
        "findings": [
            {
                "rule": f.rule,
                "provision": f"{code} {f.provision}".strip(),
                "severity": f.severity,
                "client": f.client,
                "date": f.date,
                "amount": None if f.amount is None else str(f.amount),
                "detail": f.detail,
                "evidence": dict(f.evidence),
            }
            for f in outcome.findings
        ],
        "truncated": outcome.truncated,
    }


@router.get(
    "/me/agencies/{agency_id}/compliance/returns",
    response={200: list[ReturnSummaryOut], 404: ProblemOut, **_AUTH},
    summary="The returns an agency you administer filed",
    description="The latest period first, superseded ones included, each with its number of "
    "findings.",
)
def returns_list(
    request: HttpRequest,
    agency_id: int,
    response: HttpResponse,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
):
    agency = _agency(request, agency_id)
    rows = page(request, response, list(selectors.agency_returns(agency)), cursor, limit)
    return [
        {
            "id": r.pk,
            "return_key": r.return_key,
            "period_start": r.period_start,
            "period_end": r.period_end,
            "status": r.status,
            "filed_at": r.filed_at,
            "filed_by": r.filed_by_label,
            "amends": r.amends_id,
            "finding_count": r.finding_count,
        }
        for r in rows
    ]


@router.get(
    "/me/agencies/{agency_id}/compliance/returns/{return_id}",
    response={200: ReturnOut, 404: ProblemOut, **_AUTH},
    summary="A return with its files and findings",
)
def return_get(request: HttpRequest, agency_id: int, return_id: int):
    agency = _agency(request, agency_id)
    filed = selectors.return_of_agency(agency, return_id)
    if filed is None:
        raise HttpError(404, "no such return of this agency")
    code = selectors.citation_code(agency.organization)
    return _return_out(filed, code)


@router.get(
    "/me/agencies/{agency_id}/compliance/due",
    response={200: list[DueOut], 404: ProblemOut, **_AUTH},
    summary="The returns due from an agency you administer",
    description="From when the programme applies to two months ahead, the latest due first, "
    "each with whether it was filed.",
)
def due(
    request: HttpRequest,
    agency_id: int,
    response: HttpResponse,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
):
    agency = _agency(request, agency_id)
    today = timezone.localdate()
    return [
        {
            "return_key": d.spec.key,
            "label": d.spec.label,
            "period_start": d.start,
            "period_end": d.end,
            "due_on": d.due_on,
            "filed": filed,
            "overdue": not filed and d.due_on < today,
        }
        for d, filed in page(
            request, response, list(schedule.agency_calendar(agency, today=today)), cursor, limit
        )
    ]


# --- findings -----------------------------------------------------------------------------------


@router.get(
    "/me/agencies/{agency_id}/compliance/findings",
    response={200: FindingsPageOut, 404: ProblemOut, **_AUTH},
    summary="The findings of an agency you administer",
    description="The latest period first. `status`: one status, or `unresolved` (open, answered "
    "or escalated); without it, all but those superseded by an amended return.",
)
def agency_findings(
    request: HttpRequest,
    agency_id: int,
    status: StatusFilter | None = None,
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(PER_PAGE, ge=1, le=200),
):
    agency = _agency(request, agency_id)
    rows = selectors.findings_list(agency.organization, agency_id=agency.pk, status=status or "")
    return findings_page(rows, page, per_page, selectors.citation_code(agency.organization))


@router.post(
    "/me/agencies/{agency_id}/compliance/findings/{finding_id}/answer",
    response={200: FindingOut, 400: ProblemOut, 404: ProblemOut, 409: ProblemOut, **_AUTH},
    summary="Answer a finding of an agency you administer",
    description="Within its cure period (`cure_by`), while it is open: the finding then goes to "
    "the council to review with the answer. 400 when it takes no answer (answered, closed, past "
    "its cure date) or the text is empty; 409 when it changed since `version` was read. To "
    "correct a finding instead, file an amended return.",
)
def finding_answer(request: HttpRequest, agency_id: int, finding_id: int, payload: FindingAnswerIn):
    agency = _agency(request, agency_id)
    finding = Finding.objects.filter(agency=agency, pk=finding_id).first()
    if finding is None:
        raise HttpError(404, "no such finding of this agency")
    try:
        findings.finding_answer(
            finding=finding,
            user=request.api_token.user,
            text=payload.text,
            version=payload.version,
        )
    except findings.FindingRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    answered = selectors.finding_of_body(agency.organization, finding.pk)
    return finding_out(answered, selectors.citation_code(agency.organization))
