"""The members' API for recertification: a holder reads their own cycles with the token's body and
their progress by category, sends activities with evidence, adds the evidence an audit asks for, and
submits a cycle. The same services as the holder's pages (`ombuds.register.recertification`, as the
holder), with the same rules.

A member token (scope `member`) only: a cycle that is not one of its owner's own in the token's
body is 404, as if it did not exist. Errors are RFC 9457 problems (`ombuds.api.problems`, the reason in `detail`): 401 without a live member
token, 404 for a cycle or activity that is not the owner's, 400 when the service refuses (with
every reason), 409 when a submission names a version of the cycle that is no longer current.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from ombuds.api.auth import MEMBER
from ombuds.api.limits import column, text
from ombuds.api.pages import CURSOR, LIMIT, page
from ombuds.api.problems import ProblemOut
from ombuds.core import uploads
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.register import recert_selectors as selectors
from ombuds.register import recertification as recert
from ombuds.register.models import Activity, RecertificationCycle

router = Router(tags=["members (own records)"], auth=MEMBER)

# A file's bytes as base64: at most the upload limit once decoded.
BASE64_MAX = (uploads.MAX_BYTES + 2) // 3 * 4


class CategoryOut(Schema):
    category: str
    approved: Decimal
    awaiting_review: Decimal
    required: Decimal
    still_needed: Decimal = Field(..., description="Required less approved (never below 0).")


class ActivityOut(Schema):
    id: int
    category: str
    title: str
    provider: str
    completed_on: dt.date
    units: Decimal
    review: str = Field(..., description="submitted (awaiting review), approved or rejected.")
    review_reason: str = Field(..., description="Why it was rejected, for you to read.")
    has_evidence: bool


class CycleOut(Schema):
    id: int
    credential_number: str
    program: str = Field(..., description="The credential programme's code.")
    starts_on: dt.date
    due_on: dt.date
    outcome: str = Field(..., description="open, compliant, non_compliant, exempt or ended.")
    outcome_reason: str
    submitted_at: dt.datetime | None
    audited: bool = Field(
        ..., description="Drawn for audit: accepted only once every activity has its evidence."
    )
    version: str = Field(..., description="Send it back to submit the cycle.")
    required_units: Decimal
    approved_units: Decimal
    awaiting_review_units: Decimal
    met: bool = Field(..., description="Whether the approved units meet the requirements.")
    still_needed: list[str] = Field(
        ..., description="What the approved and awaiting units together still lack, in words."
    )
    categories: list[CategoryOut]


class CycleDetailOut(CycleOut):
    activities: list[ActivityOut]


class EvidenceIn(Schema):
    name: str = text(255, description="The file's name, such as certificate.pdf.")
    content_base64: str = text(
        BASE64_MAX, description=f"The file, in base64: {uploads.ACCEPTED}, up to 10 MB."
    )


class ActivityIn(Schema):
    category: str = column(Activity, "category", description="One of the cycle's categories.")
    title: str = column(Activity, "title")
    provider: str = column(Activity, "provider", "")
    completed_on: dt.date = Field(..., description="Within the cycle, not in the future.")
    units: float = Field(..., gt=0, lt=10_000, description="In tenths, e.g. 1.5.")
    evidence: EvidenceIn | None = None


class SubmitIn(Schema):
    version: str = text(40, description="The cycle's `version` as you read it.")


def _cycle_out(cycle: RecertificationCycle) -> dict[str, Any]:
    progress = recert.cycle_progress(cycle)
    return {
        "id": cycle.pk,
        "credential_number": cycle.credential.number,
        "program": cycle.credential.program.code,
        "starts_on": cycle.starts_on,
        "due_on": cycle.due_on,
        "outcome": cycle.outcome,
        "outcome_reason": cycle.outcome_reason,
        "submitted_at": cycle.submitted_at,
        "audited": cycle.is_audited,
        "version": version_of(cycle),
        "required_units": progress.required,
        "approved_units": progress.earned,
        "awaiting_review_units": progress.pending,
        "met": progress.met,
        "still_needed": progress.claimed_shortfalls(),
        "categories": [
            {
                "category": name,
                "approved": earned,
                "awaiting_review": pending,
                "required": required,
                "still_needed": needed,
            }
            for name, earned, pending, required, needed in progress.rows
        ],
    }


def _activity_out(a: Activity) -> dict[str, Any]:
    return {
        "id": a.pk,
        "category": a.category,
        "title": a.title,
        "provider": a.provider,
        "completed_on": a.completed_on,
        "units": a.units,
        "review": a.review,
        "review_reason": a.review_reason,
        "has_evidence": bool(a.evidence),
    }


def _detail(cycle: RecertificationCycle) -> dict[str, Any]:
    return {**_cycle_out(cycle), "activities": [_activity_out(a) for a in cycle.activities.all()]}


def _own_cycle(request: HttpRequest, cycle_id: int) -> RecertificationCycle:
    token = request.api_token
    cycle = selectors.holder_cycle_get(token.user, token.organization, cycle_id)
    if cycle is None:
        raise HttpError(404, "no such cycle of yours")
    return cycle


def _evidence(given: EvidenceIn | None) -> ContentFile | None:
    if given is None:
        return None
    try:
        data = base64.b64decode(given.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HttpError(400, f"{given.name} is not valid base64") from exc
    return ContentFile(data, name=given.name)


_ERRORS: dict[int, type[Schema]] = {400: ProblemOut, 401: ProblemOut, 404: ProblemOut}


@router.get(
    "/me/recertification",
    response={200: list[CycleOut], 401: ProblemOut},
    summary="Your recertification cycles with the token's body",
    description="Newest first, each with the progress by category.",
)
def cycles(
    request: HttpRequest, response: HttpResponse, cursor: str | None = CURSOR, limit: int = LIMIT
) -> list[dict[str, Any]]:
    token = request.api_token
    rows = list(selectors.holder_cycles(token.user, token.organization))
    return [_cycle_out(c) for c in page(request, response, rows, cursor, limit)]


@router.get(
    "/me/recertification/{cycle_id}",
    response={200: CycleDetailOut, 401: ProblemOut, 404: ProblemOut},
    summary="One of your cycles, with its activities",
)
def cycle(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    return _detail(_own_cycle(request, cycle_id))


@router.post(
    "/me/recertification/{cycle_id}/activities",
    response={201: ActivityOut, **_ERRORS},
    summary="Send an activity towards one of your open cycles",
    description="It awaits the body's review before its units count. The evidence is checked by "
    "its content, as on the page. 400 with every reason when refused (a cycle you submitted "
    "takes no more; the same activity twice is refused).",
)
def activity_create(request: HttpRequest, cycle_id: int, payload: ActivityIn) -> Status:
    cycle = _own_cycle(request, cycle_id)
    try:
        made = recert.activity_submit(
            cycle=cycle,
            category=payload.category,
            title=payload.title,
            provider=payload.provider,
            completed_on=payload.completed_on,
            units=Decimal(str(payload.units)),
            evidence=_evidence(payload.evidence),
            acting_user=request.api_token.user,
            as_holder=True,
        )
    except recert.RecertificationError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _activity_out(made))


@router.post(
    "/me/recertification/activities/{activity_id}/evidence",
    response={200: ActivityOut, **_ERRORS},
    summary="Add the evidence of one of your activities sent without it",
    description="While the cycle is open; evidence once given is not replaced.",
)
def evidence_add(request: HttpRequest, activity_id: int, payload: EvidenceIn) -> Status:
    token = request.api_token
    activity = selectors.holder_activity_get(token.user, token.organization, activity_id)
    if activity is None:
        raise HttpError(404, "no such activity of yours")
    try:
        added = recert.activity_evidence_add(
            activity=activity, evidence=_evidence(payload), acting_user=token.user, as_holder=True
        )
    except recert.RecertificationError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(200, _activity_out(added))


@router.post(
    "/me/recertification/{cycle_id}/submit",
    response={200: CycleOut, 409: ProblemOut, **_ERRORS},
    summary="Submit one of your cycles for the body's decision",
    description="Once the approved and awaiting units cover the requirements (400 says what is "
    "missing). 409 when `version` is not the cycle's current one: read it again first.",
)
def cycle_submit(request: HttpRequest, cycle_id: int, payload: SubmitIn) -> Status:
    cycle = _own_cycle(request, cycle_id)
    try:
        recert.cycle_submit(
            cycle=cycle,
            acting_user=request.api_token.user,
            expected_version=payload.version,
            as_holder=True,
        )
    except ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    except recert.RecertificationError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(200, _cycle_out(_own_cycle(request, cycle_id)))
