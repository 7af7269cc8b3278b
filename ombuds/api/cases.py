"""The cases API: public intake (rate-limited), the anonymous follow-up (receipt code and
passphrase), and, for staff with a token for the body, reading cases and taking procedure steps.
Every endpoint calls the same services as the pages (`ombuds.cases.services`).

Errors are RFC 9457 problems (`ombuds.api.problems`, the reason in `detail`): 400 when the request is refused (every reason at once), 404
when the body takes no complaints through Ombuds or has no such case (or the token's user is recused
from it: a recused person is not told the case exists), 409 when the case changed since the caller
read it (`expected_version`), 429 with Retry-After when rate-limited
(``OMBUDS_COMPLAINTS_PER_HOUR``, ``OMBUDS_FOLLOWUP_ATTEMPTS_PER_HOUR``), 401/403 for tokens as in
the register, 415 when a public endpoint's body is not sent as ``Content-Type: application/json``.

The public endpoints refuse to be called from other sites' pages: a browser sends a cross-site
request without asking first only with a "simple" content type (``text/plain``, a form's), which
the 415 refuses before anything is read or counted, and no answer carries CORS headers, so a page on
another origin can neither send ``application/json`` here nor read an answer. Tokens are made for a body's administrators and staff only
(`ombuds.register.tokens`), so the staff endpoints act with their roles.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from pydantic import ConfigDict

from ombuds.api.auth import CASES_READ, CASES_WRITE
from ombuds.api.limits import (
    LIST_ITEMS,
    NARRATIVE,
    NO_NUL,
    PASSPHRASE,
    column,
    item,
    text,
)
from ombuds.api.pages import CURSOR, LIMIT, page
from ombuds.api.problems import ProblemOut, problem_response
from ombuds.api.register_staff import _body
from ombuds.bodies.models import Organization
from ombuds.cases import documents as uploads
from ombuds.cases import services
from ombuds.cases.complainant_page import (
    complainant_documents,
    complainant_messages,
    complainant_notices,
    complainant_progress,
)
from ombuds.cases.complaint_input import Citation, ComplaintIn, complaint_read
from ombuds.cases.models import Case, Message
from ombuds.codes.models import Provision
from ombuds.register import public
from ombuds.register.models import Sanction

router = Router(tags=["cases"])
# Each endpoint declares its scope (`auth=`); one that did not would need the write scope.
staff_router = Router(tags=["cases (staff)"], auth=CASES_WRITE)


StepInputName = item(100)
StepInputValue = item(NARRATIVE)


class FiledOut(Schema):
    reference: str
    receipt_code: str = Field("", description="Anonymous complaints only: shown this once")
    duplicate: bool


class FollowupIn(Schema):
    receipt_code: str = column(Case, "receipt_code")
    passphrase: str = text(PASSPHRASE)


class MessageOut(Schema):
    at: dt.datetime
    from_party: bool
    body: str


class StageOut(Schema):
    name: str
    status: str = Field(..., description="done, current or upcoming")


class FollowupOut(Schema):
    reference: str
    state: str
    state_label: str
    handled_by: str = Field(
        ..., description="The handler's name, or the role that handles complaints"
    )
    filed_at: dt.datetime
    stage: str = Field(..., description="The public stage the case is at (the procedure's)")
    stages: list[StageOut] = Field(..., description="The procedure's public stages, in order")
    told: str = Field(..., description="What the procedure tells the complainant of this state")
    next_date: dt.date | None = Field(
        None, description="The earliest date running among those the procedure shows them"
    )
    next_label: str = ""
    proof_asked: bool = Field(
        ..., description="Whether the procedure asks the complainant for proof of efforts now"
    )
    documents: list[str] = Field(..., description="The names of the documents they sent")
    notices: list[MessageOut]
    messages: list[MessageOut]


class FollowupMessageIn(FollowupIn):
    body: str = text(NARRATIVE)


# A file's bytes as base64: at most the upload limit once decoded.
BASE64_MAX = (uploads.MAX_BYTES + 2) // 3 * 4


class DocumentIn(Schema):
    name: str = text(255, description="The file's name, such as letter.pdf")
    content_base64: str = text(BASE64_MAX, description="The file, in base64")


class FollowupDocumentsIn(FollowupIn):
    documents: list[DocumentIn] = Field(..., min_length=1, max_length=uploads.MAX_FILES)
    body: str = text(NARRATIVE, "", description="A message sent with them")
    proof: bool = Field(
        False,
        description="Send them as the proof of efforts the procedure asks for (refused when it "
        "asks for none now)",
    )


def _throttled(response: HttpResponse, throttled: public.Throttled) -> Status:
    response["Retry-After"] = str(throttled.retry_after)
    return Status(429, {"detail": f"Too many requests; try again in {throttled.retry_text}."})


NOT_JSON = "Send the request body as JSON, with Content-Type: application/json."


def json_only(run):
    """A public endpoint takes its body as ``application/json`` only: anything else is a 415 with
    `NOT_JSON`, before the body is parsed, the client counted or anything filed."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.content_type != "application/json":
            response = problem_response(request, 415, NOT_JSON)
            response["Accept-Post"] = "application/json"
            return response
        return run(request, *args, **kwargs)

    return wrapper


def _organization(org: str) -> Organization:
    found = Organization.objects.filter(slug=org).first()
    if found is None:
        raise HttpError(404, "no such body")
    return found


@router.post(
    "/bodies/{org}/complaints",
    response={
        201: FiledOut,
        200: FiledOut,
        400: ProblemOut,
        404: ProblemOut,
        415: ProblemOut,
        429: ProblemOut,
    },
    summary="File a complaint (anyone; rate-limited)",
    description="A named or anonymous complaint about a member or anyone else. The same "
    "`submission_key` sent twice returns the first case (200, duplicate true). The body must be "
    "sent with `Content-Type: application/json` (415 otherwise); no CORS: not for other sites' "
    "pages.",
)
@decorate_view(json_only)
def complaint_file(request: HttpRequest, response: HttpResponse, org: str, payload: ComplaintIn):
    organization = _organization(org)
    try:
        services.procedure_of(organization)
    except services.CaseRefused as exc:
        raise HttpError(404, str(exc)) from exc
    throttled = public.throttle_hit(request, "complaint")
    if throttled is not None:
        return _throttled(response, throttled)
    # The same reading and checks as `ombuds cases file` (ombuds.cases.complaint_input).
    try:
        complaint = complaint_read(organization, payload, channel=Case.Channel.WEB)
        filed = services.case_file(organization=organization, complaint=complaint)
    except services.CaseRefused as exc:
        raise HttpError(400, " ".join(exc.problems)) from exc
    out = FiledOut(
        reference=filed.case.reference, receipt_code=filed.receipt_code, duplicate=filed.duplicate
    )
    return Status(200 if filed.duplicate else 201, out)


def _followup(request: HttpRequest, org: str, payload: FollowupIn) -> Case:
    case = services.followup_case(payload.receipt_code, payload.passphrase)
    if case is None or case.organization.slug != org:
        raise HttpError(404, "that receipt code and passphrase do not match a complaint")
    return case


def _followup_out(case: Case) -> FollowupOut:
    """What the complainant reads of their case: the same as their page (`complainant_page`)."""
    case = Case.objects.select_related("organization", "handler").get(pk=case.pk)
    procedure = services.procedure_of(case)
    progress = complainant_progress(case, procedure)
    return FollowupOut(
        reference=case.reference,
        state=case.state,
        state_label=progress.state_label,
        handled_by=progress.handled_by,
        filed_at=case.filed_at,
        stage=progress.stage,
        stages=[StageOut(name=s.name, status=s.status) for s in progress.stages],
        told=progress.told,
        next_date=progress.next_date,
        next_label=progress.next_label,
        proof_asked=services.proof_step(case, procedure) is not None,
        documents=[d.original_name for d in complainant_documents(case, procedure)],
        notices=[
            MessageOut(at=n.created_at, from_party=False, body=f"{n.subject}\n\n{n.body}")
            for n in complainant_notices(case)
        ],
        messages=[
            MessageOut(at=m.created_at, from_party=m.from_party, body=m.body)
            for m in complainant_messages(case)
        ],
    )


@router.post(
    "/bodies/{org}/complaints/follow-up",
    response={200: FollowupOut, 404: ProblemOut, 415: ProblemOut, 429: ProblemOut},
    summary="Read a complaint's status with its receipt code and passphrase",
    description="Attempts are rate-limited per client. A wrong code and a wrong passphrase get "
    "the same answer.",
)
@decorate_view(json_only)
def followup_read(request: HttpRequest, response: HttpResponse, org: str, payload: FollowupIn):
    throttled = public.throttle_hit(request, "followup")
    if throttled is not None:
        return _throttled(response, throttled)
    return _followup_out(_followup(request, org, payload))


@router.post(
    "/bodies/{org}/complaints/follow-up/messages",
    response={201: FollowupOut, 400: ProblemOut, 404: ProblemOut, 415: ProblemOut, 429: ProblemOut},
    summary="Write to the body about a complaint, with its receipt code and passphrase",
)
@decorate_view(json_only)
def followup_message(
    request: HttpRequest, response: HttpResponse, org: str, payload: FollowupMessageIn
):
    throttled = public.throttle_hit(request, "followup")
    if throttled is not None:
        return _throttled(response, throttled)
    case = _followup(request, org, payload)
    try:
        services.message_post(
            case=case,
            audience=Message.Audience.COMPLAINANT,
            body=payload.body,
            actor_label="anonymous complainant" if case.anonymous else "complainant",
            from_party=True,
        )
    except services.CaseRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _followup_out(case))


def _decoded(documents: list[DocumentIn]) -> list[tuple[str, bytes]]:
    files = []
    for d in documents:
        try:
            files.append((d.name, base64.b64decode(d.content_base64, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise HttpError(400, f"{d.name} is not valid base64") from exc
    return files


@router.post(
    "/bodies/{org}/complaints/follow-up/documents",
    response={201: FollowupOut, 400: ProblemOut, 404: ProblemOut, 415: ProblemOut, 429: ProblemOut},
    summary="Send documents about a complaint (or the proof of efforts asked for), with its "
    "receipt code and passphrase",
    description="Each file is checked by its content (PDF, PNG, JPEG, plain text, Word, "
    "OpenDocument text), as on the complainant's page; a file that is not what its name says is "
    "refused (400) and nothing is kept. With `proof`, the files are the proof of efforts the "
    "procedure asks for now (400 when it asks for none).",
)
@decorate_view(json_only)
def followup_documents(
    request: HttpRequest, response: HttpResponse, org: str, payload: FollowupDocumentsIn
):
    throttled = public.throttle_hit(request, "followup")
    if throttled is not None:
        return _throttled(response, throttled)
    case = _followup(request, org, payload)
    files = _decoded(payload.documents)
    label = "anonymous complainant (API)" if case.anonymous else "complainant (API)"
    try:
        if payload.proof:
            services.complainant_proof_send(
                case=case, files=files, note=payload.body, actor_label=label
            )
        else:
            services.complainant_send(case=case, body=payload.body, files=files, actor_label=label)
    except services.CaseRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _followup_out(case))


# --- staff ----------------------------------------------------------------------------------------


class AllegationOut(Schema):
    position: int
    summary: str
    provisions: list[str]
    determination: str
    reasons: str
    verbatim: bool = Field(
        False, description="Still the complainant's own account word for word (a draft to edit)"
    )


class AllegationEditIn(Schema):
    text: str = text(NARRATIVE, description="The allegation as the respondent will read it")
    provisions: list[Citation] = Field(
        [], max_length=LIST_ITEMS, description="Citations in the case's version of the code"
    )
    expected_version: int = Field(
        ..., ge=0, le=2**31 - 1, description="The case's `version` when it was read"
    )


class DeadlineOut(Schema):
    name: str
    label: str
    due_on: dt.date
    running: bool


class StepOut(Schema):
    name: str
    label: str
    inputs: list[str]


class CaseOut(Schema):
    reference: str
    state: str
    state_label: str
    version: int
    filed_at: dt.datetime
    closed_at: dt.datetime | None
    channel: str
    respondent: str
    respondent_is_member: bool
    complainant: str
    allegations: list[AllegationOut]
    deadlines: list[DeadlineOut]
    steps: list[StepOut] = Field(..., description="The steps the token's user may take now")


class CaseRowOut(Schema):
    reference: str
    state: str
    filed_at: dt.datetime
    respondent: str


class FindingIn(Schema):
    """The committee's finding on one allegation, for a step's `determinations` input."""

    allegation: int = Field(..., ge=1, le=10_000, description="The allegation's number")
    determination: Literal["upheld", "not_upheld"]
    reasons: str = text(NARRATIVE)


Findings = Annotated[list[FindingIn], Field(max_length=LIST_ITEMS)]


class NewAllegationIn(Schema):
    """A new allegation, for a step's `allegation` input."""

    model_config = ConfigDict(extra="forbid")

    summary: str = text(NARRATIVE)
    provisions: list[Citation] = Field(
        [],
        max_length=LIST_ITEMS,
        description="Citations in the code version the case was filed under, e.g. 1.1(a)",
    )


class ChosenSanctionIn(Schema):
    """The sanction chosen, for a step's `sanction` input (as the case page's sanction form)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = column(Sanction, "kind")
    summary: str = text(NARRATIVE)
    effective_from: dt.date
    effective_until: dt.date | None = None
    publication: str = column(Sanction, "publication")
    public_until: dt.date | None = None
    conditions: str = text(NARRATIVE, "")


class StepIn(Schema):
    step: str = text(100)
    confirm_verbatim: str = text(
        1000,
        "",
        description="On the step that first notifies the respondent: why an allegation that is "
        "still the complainant's own account word for word may go to them as it is, when the "
        "complainant does not share their identity (else the step is refused with 400)",
    )
    inputs: dict[StepInputName, StepInputValue | Findings | NewAllegationIn | ChosenSanctionIn] = (
        Field(
            {},
            max_length=LIST_ITEMS,
            description="The step's inputs by name: a text, a choice or a date (YYYY-MM-DD); a "
            "`determinations` input is a list of findings, one per allegation still pending; an "
            "`allegation` input is its summary and the provisions it cites; a `sanction` input is the "
            "sanction chosen",
        )
    )
    expected_version: int = Field(
        ..., ge=0, le=2**31 - 1, description="The case's `version` when it was read"
    )


def _staff_case(request: HttpRequest, org: str, reference: str) -> Case:
    organization = _body(request, org)
    case = Case.objects.filter(organization=organization, reference=reference).first()
    if case is None or not services.roles_on_case(request.api_token.user, case):
        raise HttpError(404, "no such case")
    return case


def _case_out(case: Case, user) -> CaseOut:
    procedure = services.procedure_of(case)
    facts = services.facts(case)
    return CaseOut(
        reference=case.reference,
        state=case.state,
        state_label=procedure.state(case.state).label,
        version=case.version,
        filed_at=case.filed_at,
        closed_at=case.closed_at,
        channel=case.channel,
        respondent=case.respondent_name,
        respondent_is_member=facts["respondent_is_member"],
        complainant=case.complainant_label,
        allegations=[
            AllegationOut(
                position=a.position,
                summary=a.summary,
                provisions=[p.citation for p in a.provisions.all()],
                determination=a.determination,
                reasons=a.reasons,
                verbatim=a.verbatim,
            )
            for a in case.allegations.prefetch_related("provisions")
        ],
        deadlines=[
            DeadlineOut(name=d.name, label=d.label, due_on=d.due_on, running=d.running)
            for d in case.deadlines.all()
        ],
        steps=[
            StepOut(name=t.name, label=t.label, inputs=[i.name for i in t.inputs])
            for t in procedure.available(
                case.state,
                services.roles_on_case(user, case),
                facts,
                {d.name: d.due_on for d in case.deadlines.all() if d.running},
            )
        ],
    )


@staff_router.get(
    "/bodies/{org}/cases",
    auth=CASES_READ,
    response={200: list[CaseRowOut], 401: ProblemOut, 403: ProblemOut},
    summary="List the body's cases (newest first, a page at a time)",
)
def cases_list(
    request: HttpRequest,
    response: HttpResponse,
    org: str,
    state: str = Query("", max_length=50, pattern=NO_NUL),
    respondent: str = Query("", max_length=300, pattern=NO_NUL),
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
):
    organization = _body(request, org)
    cases = Case.objects.filter(organization=organization).exclude(
        recusals__user=request.api_token.user
    )
    if state:
        cases = cases.filter(state=state)
    if respondent:
        cases = cases.filter(respondent_name__icontains=respondent)
    return [
        CaseRowOut(
            reference=c.reference, state=c.state, filed_at=c.filed_at, respondent=c.respondent_name
        )
        for c in page(request, response, cases.order_by("-filed_at", "-pk"), cursor, limit)
    ]


@staff_router.get(
    "/bodies/{org}/cases/{reference}",
    auth=CASES_READ,
    response={200: CaseOut, 401: ProblemOut, 403: ProblemOut, 404: ProblemOut},
    summary="Read a case, with the steps open to the token's user",
)
def case_read(request: HttpRequest, org: str, reference: str):
    return _case_out(_staff_case(request, org, reference), request.api_token.user)


@staff_router.post(
    "/bodies/{org}/cases/{reference}/steps",
    auth=CASES_WRITE,
    response={
        200: CaseOut,
        400: ProblemOut,
        401: ProblemOut,
        403: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
    },
    summary="Take a step of the case's procedure",
    description="Text, choice, date, determinations, allegation and sanction inputs (documents "
    "through the "
    "page). 400 with every problem when the step or its inputs are refused, as a whole; 409 when "
    "the case changed since `expected_version`.",
)
def case_step(request: HttpRequest, org: str, reference: str, payload: StepIn):
    case = _staff_case(request, org, reference)
    if case.version != payload.expected_version:
        raise HttpError(409, f"{case.reference} changed since version {payload.expected_version}")
    try:
        case = services.case_step(
            case=case,
            step=payload.step,
            acting_user=request.api_token.user,
            inputs={name: _input_value(value) for name, value in payload.inputs.items()},
            expected_version=payload.expected_version,
            confirm_verbatim=payload.confirm_verbatim,
        )
    except services.CaseRefused as exc:
        status = 409 if isinstance(exc, services.CaseChanged) else 400
        raise HttpError(status, str(exc)) from exc
    return _case_out(case, request.api_token.user)


def _input_value(value: object) -> object:
    """A step input as the service takes it: text, or plain lists and mappings."""
    if isinstance(value, list):
        return [f.model_dump() for f in value]
    if isinstance(value, Schema):
        return {
            k: v.isoformat() if isinstance(v, dt.date) else v for k, v in value.model_dump().items()
        }
    return value


@staff_router.put(
    "/bodies/{org}/cases/{reference}/allegations/{position}",
    auth=CASES_WRITE,
    response={
        200: CaseOut,
        400: ProblemOut,
        401: ProblemOut,
        403: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
    },
    summary="Edit or redact an allegation before the respondent is notified",
    description="The text and the provisions it cites, replaced. 400 with the reason when refused "
    "(the respondent was already notified, an empty text, a provision of another version); 409 "
    "when the case changed since `expected_version`.",
)
def allegation_edit(
    request: HttpRequest, org: str, reference: str, position: int, payload: AllegationEditIn
):
    case = _staff_case(request, org, reference)
    allegation = (
        case.allegations.filter(position=position).first() if 0 < position < 2**15 else None
    )
    if allegation is None:
        raise HttpError(404, f"{case.reference} has no allegation {position}")
    found = {
        p.citation: p
        for p in Provision.objects.filter(
            version_id=case.code_version_id, citation__in=payload.provisions
        )
    }
    unknown = [c for c in payload.provisions if c not in found]
    if unknown:
        raise HttpError(400, f"not in the case's version of the code: {', '.join(unknown)}")
    try:
        services.allegation_edit(
            case=case,
            allegation=allegation,
            text=payload.text,
            provisions=list({found[c].pk: found[c] for c in payload.provisions}.values()),
            expected_version=payload.expected_version,
            acting_user=request.api_token.user,
        )
    except services.CaseRefused as exc:
        status = 409 if isinstance(exc, services.CaseChanged) else 400
        raise HttpError(status, str(exc)) from exc
    return _case_out(Case.objects.get(pk=case.pk), request.api_token.user)
