"""The delivery of a case's notices, for staff with a token for the body: the notices with their
delivery (made, sent, delivered by post or by hand, or waiting), and recording a delivery made
outside Ombuds, through the same service as the case page and `ombuds cases delivered`. Errors as in
`ombuds.api.cases`: 400 with every reason, 404 for no such case or notice, 409 when the case
changed since `expected_version`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from ombuds.api.auth import CASES_READ, CASES_WRITE
from ombuds.api.cases import ProblemOut, _staff_case
from ombuds.api.limits import column, text
from ombuds.api.pages import CURSOR, LIMIT, page
from ombuds.cases import services
from ombuds.cases.models import Notice

router = Router(tags=["cases (staff)"], auth=CASES_WRITE)

# A scan of a proof of delivery, as base64: at most about 10 MB once decoded.
PROOF_CHARS = 14_000_000


class NoticeOut(Schema):
    number: int
    template: str
    to: str
    status: str
    status_label: str
    made_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_on: dt.date | None
    delivery_means: str
    delivery_note: str
    proof: str = Field("", description="The proof's file name, when one was uploaded")


class DeliveryIn(Schema):
    means: str = column(Notice, "delivery_means")
    on: dt.date
    note: str = text(2000, "")
    proof_name: str = text(255, "")
    proof_base64: str = text(PROOF_CHARS, "", description="A scan of the proof, in base64")
    expected_version: int = Field(..., ge=0, le=2**31 - 1)


def _notice_out(n: Notice) -> NoticeOut:
    return NoticeOut(
        number=n.pk,
        template=n.template,
        to=n.recipient_role,
        status=n.status,
        status_label=n.get_status_display(),
        made_at=n.created_at,
        sent_at=n.sent_at,
        delivered_on=n.delivered_on,
        delivery_means=n.delivery_means,
        delivery_note=n.delivery_note,
        proof=n.delivery_proof.original_name if n.delivery_proof_id else "",
    )


@router.get(
    "/bodies/{org}/cases/{reference}/notices",
    auth=CASES_READ,
    response={200: list[NoticeOut], 401: ProblemOut, 403: ProblemOut, 404: ProblemOut},
    summary="A case's notices and their delivery",
)
def notices_list(
    request: HttpRequest,
    org: str,
    reference: str,
    response: HttpResponse,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
):
    case = _staff_case(request, org, reference)
    rows = case.notices.select_related("delivery_proof").order_by("pk")
    return [_notice_out(n) for n in page(request, response, rows, cursor, limit)]


@router.post(
    "/bodies/{org}/cases/{reference}/notices/{notice}/delivery",
    auth=CASES_WRITE,
    response={
        200: NoticeOut,
        400: ProblemOut,
        401: ProblemOut,
        403: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
    },
    summary="Record that a notice to the respondent was delivered by post, by hand or otherwise",
    description="The deadlines counting from the delivery start on `on`; the notices held until "
    "the delivery go. 400 with every reason when refused; 409 when the case changed since "
    "`expected_version`.",
)
def notice_delivery(
    request: HttpRequest, org: str, reference: str, notice: int, payload: DeliveryIn
):
    number = notice
    case = _staff_case(request, org, reference)
    if not case.notices.filter(pk=number if 0 < number < 2**31 else 0).exists():
        raise HttpError(404, f"{case.reference} has no notice {number}")
    proof = None
    if payload.proof_base64:
        try:
            data = base64.b64decode(payload.proof_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise HttpError(400, "proof_base64 is not base64") from exc
        proof = (payload.proof_name or "proof", data)
    try:
        delivered = services.notice_delivery_record(
            case=case,
            notice_id=number,
            means=payload.means,
            on=payload.on,
            note=payload.note,
            proof=proof,
            acting_user=request.api_token.user,
            expected_version=payload.expected_version,
        )
    except services.CaseRefused as exc:
        status = 409 if isinstance(exc, services.CaseChanged) else 400
        raise HttpError(status, str(exc)) from exc
    return _notice_out(delivered)
