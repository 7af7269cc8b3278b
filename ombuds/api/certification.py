"""Certification for staff and for an integrating testing vendor: a body's applications read and
decided, exam windows read, and the vendor's results file imported (checked first if asked), over
the same services as the staff pages and `ombuds certification`.

A staff token of the body: `register:read` to read, `register:write` to decide or import (a result
may issue a credential in the register). 401 without a live token, 403 for another body's path or a
token without the scope; 404 for an application the body does not have; 400 for what the caller can
fix (the services' refusal, with every reason); 409 when the application changed since the
`expected_version` sent. A results file with bad rows answers 400 with the same body as a good one,
`ok` false and every bad row in `errors`, and stores nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from ombuds.api.auth import REGISTER_READ, REGISTER_WRITE
from ombuds.api.limits import DETAILS, NO_NUL, text
from ombuds.api.pages import CURSOR, LIMIT, page
from ombuds.api.problems import ProblemOut
from ombuds.bodies.models import Organization
from ombuds.certification import selectors, services
from ombuds.certification.models import Application
from ombuds.core.changes import version_of

router = Router(tags=["certification (staff and testing vendors)"], auth=REGISTER_WRITE)

RESULTS_MAX_CHARS = 5 * 1024 * 1024
# Module-level, as the API's other parameters: which applications to list.
SHOW = Query("to_review", max_length=20, pattern=NO_NUL)


_AUTH_ERRORS: dict[int, type[Schema]] = {401: ProblemOut, 403: ProblemOut}


def _body(request: HttpRequest, org: str) -> Organization:
    token = request.api_token
    if token.organization.slug != org:
        raise HttpError(403, "this token is for another body")
    return token.organization


def _label(request: HttpRequest) -> str:
    return f"API token {request.api_token.prefix}…"


class ApplicationOut(Schema):
    reference: str
    program: str = Field(..., description="The credential's code, e.g. cesp.")
    state: str = Field(
        ...,
        description="draft, submitted, more_information, complete, eligible, suspended, "
        "certified, refused, withdrawn, lapsed, expired or exhausted.",
    )
    given_name: str
    family_name: str
    email: str
    submitted_at: dt.datetime | None
    review_due_on: dt.date | None
    respond_by: dt.date | None
    eligible_from: dt.date | None
    eligible_until: dt.date | None
    credential_number: str | None
    version: str = Field(..., description="Send it back as `expected_version` with a decision.")


class ApplicationDetailOut(ApplicationOut):
    evidence: dict[str, dict[str, str]]
    code_version: str | None = Field(..., description="The code version attested to.")
    code_sha256: str


class ReviewIn(Schema):
    decision: str = text(20, description="complete, more_information, eligible or refused.")
    reason: str = text(DETAILS, "", description="Required to ask for information or to refuse.")
    expected_version: str | None = text(64, None)


class ResultsIn(Schema):
    csv: str = text(
        RESULTS_MAX_CHARS,
        description="The results file's text (CSV, UTF-8), header row first. Columns: reference, "
        "window, sat_on (YYYY-MM-DD), result (pass, fail, no_show) and/or score (0 to 100), "
        "optionally family_name.",
    )
    dry_run: bool = Field(
        False, description="Check it and say what an import would do; store nothing."
    )


class WindowOut(Schema):
    code: str
    name: str
    program: str
    opens_on: dt.date
    closes_on: dt.date
    vendor: str


class ResultRowErrorOut(Schema):
    line: int | None
    column: str | None
    reason: str


class ResultsOut(Schema):
    ok: bool
    dry_run: bool
    summary: str
    rows: int
    counts: dict[str, int] = Field(..., description="pass, fail, no_show, unchanged.")
    certified: list[str] = Field(..., description="'reference: credential number' per pass.")
    errors: list[ResultRowErrorOut]


def _out(a: Application, *, detail: bool = False) -> dict[str, Any]:
    out = {
        "reference": a.reference,
        "program": a.program.code,
        "state": a.state,
        **{
            k: getattr(a, k)
            for k in (
                "given_name",
                "family_name",
                "email",
                "submitted_at",
                "review_due_on",
                "respond_by",
                "eligible_from",
                "eligible_until",
            )
        },
        "credential_number": a.credential.number if a.credential_id else None,
        "version": version_of(a),
    }
    if detail:
        out["evidence"] = a.evidence or {}
        out["code_version"] = a.code_version.label if a.code_version_id else None
        out["code_sha256"] = a.code_sha256
    return out


def _application(organization: Organization, reference: str) -> Application:
    found = (
        Application.objects.filter(organization=organization, reference=reference.upper())
        .select_related("program", "credential", "code_version")
        .first()
    )
    if found is None:
        raise HttpError(404, f"no application {reference}")
    return found


@router.get(
    "/bodies/{org}/certification/applications",
    auth=REGISTER_READ,
    response={200: list[ApplicationOut], **_AUTH_ERRORS},
    summary="List the body's applications",
    description="`show`: to_review (the default), waiting, eligible or closed; the oldest "
    "deadline first, a page at a time.",
)
def applications_list(
    request: HttpRequest,
    org: str,
    response: HttpResponse,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
    show: str = SHOW,
) -> list[dict[str, Any]]:
    organization = _body(request, org)
    found = selectors.staff_applications(organization, show=show).select_related("credential")
    return [_out(a) for a in page(request, response, found, cursor, limit)]


@router.get(
    "/bodies/{org}/certification/applications/{reference}",
    auth=REGISTER_READ,
    response={200: ApplicationDetailOut, 404: ProblemOut, **_AUTH_ERRORS},
    summary="One application, with its evidence and the code version attested to",
)
def application_get(request: HttpRequest, org: str, reference: str) -> dict[str, Any]:
    return _out(_application(_body(request, org), reference), detail=True)


@router.post(
    "/bodies/{org}/certification/applications/{reference}/review",
    auth=REGISTER_WRITE,
    response={
        200: ApplicationOut,
        400: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        **_AUTH_ERRORS,
    },
    summary="Decide on an application",
    description="The same decisions as the staff page; the candidate is told by email.",
)
def application_review(
    request: HttpRequest, org: str, reference: str, payload: ReviewIn
) -> dict[str, Any]:
    application = _application(_body(request, org), reference)
    try:
        done = services.application_review(
            application=application,
            decision=payload.decision,
            reason=payload.reason,
            expected_version=payload.expected_version,
            acting_user=request.api_token.user,
        )
    except services.CertificationRefused as exc:
        raise HttpError(400, str(exc)) from exc
    except services.ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    return _out(_application(done.organization, done.reference))


@router.get(
    "/bodies/{org}/certification/windows",
    auth=REGISTER_READ,
    response={200: list[WindowOut], **_AUTH_ERRORS},
    summary="The body's exam windows (their codes are what a results file names)",
)
def windows_list(
    request: HttpRequest,
    org: str,
    response: HttpResponse,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
) -> list[dict[str, Any]]:
    rows = page(request, response, list(selectors.windows(_body(request, org))), cursor, limit)
    return [
        {
            "code": w.code,
            "name": w.name,
            "program": w.program.code,
            "opens_on": w.opens_on,
            "closes_on": w.closes_on,
            "vendor": w.vendor,
        }
        for w in rows
    ]


@router.post(
    "/bodies/{org}/certification/results",
    auth=REGISTER_WRITE,
    # 400: the file's bad rows (ResultsOut), or a body that is not JSON at all (ProblemOut).
    response={200: ResultsOut, 400: ResultsOut | ProblemOut, **_AUTH_ERRORS},
    summary="Import a testing vendor's results file (CSV)",
    description="The file's text in `csv` (family_name, when given, is checked against the "
    "application's). Every row is checked first: with any bad row nothing is stored (400, every "
    "bad row in `errors`, by its line in the file). A good file is stored whole; a pass issues "
    "the credential. The same file again changes nothing. `dry_run` checks and reports what an "
    "import would do, the credential numbers included, storing nothing.",
)
def results_import(request: HttpRequest, org: str, payload: ResultsIn) -> Status:
    organization = _body(request, org)
    report = services.results_import(
        organization=organization,
        data=payload.csv.encode("utf-8"),
        dry_run=payload.dry_run,
        acting_user=request.api_token.user,
        actor_label=_label(request),
    )
    body = {
        "ok": report.ok,
        "dry_run": report.dry_run,
        "summary": report.summary(),
        "rows": report.rows,
        "counts": report.counts,
        "certified": report.certified,
        "errors": [{"line": e.line, "column": e.column, "reason": e.reason} for e in report.errors],
    }
    return Status(200 if report.ok else 400, body)
