"""The staff API of the body's holders' conflict-of-interest disclosures (CESP 3.8): list them with
the staff page's filters, read one, review one. Over the same selectors and service as the pages
(`ombuds.members.disclosure_review`).

A staff token of the body in the path, with `disclosures:read` to read and `disclosures:write` to
review (which implies reading); the token's owner must review the body's disclosures (its
administrators and staff do). Errors are RFC 9457 problems (`ombuds.api.problems`, the reason in `detail`): 401 without a usable token, 403
for another body's path or a scope missing, 404 for a disclosure that is not one of the body's
holders', 400 when the review is refused (every reason), 409 when the disclosure changed since the
`expected_version` sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from ombuds.api.auth import DISCLOSURES_READ, DISCLOSURES_WRITE
from ombuds.api.limits import DETAILS, LIST_ITEMS, NO_NUL, column, column_item, text
from ombuds.api.pages import CURSOR, page
from ombuds.api.problems import ProblemOut
from ombuds.bodies.models import Organization
from ombuds.codes.models import Provision
from ombuds.core.changes import ChangedMeanwhile, version_of
from ombuds.members import disclosure_review as service
from ombuds.members.models import Disclosure

router = Router(tags=["disclosures (staff)"], auth=DISCLOSURES_WRITE)

MAX_ROWS = 200


_AUTH_ERRORS: dict[int, type[Schema]] = {401: ProblemOut, 403: ProblemOut}


def _body(request: HttpRequest, org: str) -> Organization:
    token = request.api_token
    if token.organization.slug != org:
        raise HttpError(403, "this token is for another body")
    if not service.may_review(token.user, token.organization):
        raise HttpError(403, "this token's owner does not review the body's disclosures")
    return token.organization


class DisclosureOut(Schema):
    id: int
    holder_id: int = Field(..., description="The holder's record in the register (a person).")
    holder_name: str
    holder_external_id: str
    made_on: dt.date
    relationship: str = Field(..., description=", ".join(Disclosure.Relationship.values))
    party_name: str
    party_in_register: bool
    nature: str
    started_on: dt.date | None
    current: bool
    ended_on: dt.date | None
    review: str = Field(..., description=", ".join(Disclosure.Review.values))
    reviewed_at: dt.datetime | None
    review_note: str = Field(..., description="What the holder is told.")
    review_conditions: str
    case: str | None = Field(..., description="The case it was referred to, by reference.")
    changed_since_review: bool
    version: str = Field(..., description="Send it back as `expected_version` with a review.")


def _out(d: Disclosure) -> dict[str, Any]:
    return {
        "id": d.pk,
        "holder_id": d.holder_pk,
        "holder_name": d.holder_name or "",
        "holder_external_id": d.holder_external_id or "",
        "made_on": d.created_at.date(),
        "relationship": d.relationship,
        "party_name": d.party_name,
        "party_in_register": bool(d.party_person_id or d.party_agency_id),
        "nature": d.nature,
        "started_on": d.started_on,
        "current": d.current,
        "ended_on": d.ended_on,
        "review": d.review,
        "reviewed_at": d.reviewed_at,
        "review_note": d.review_note,
        "review_conditions": d.review_conditions,
        "case": d.review_case.reference if d.review_case else None,
        "changed_since_review": d.changed_since_review,
        "version": version_of(d),
    }


class DisclosureFilters(Schema):
    holder: str = Field("", max_length=100, pattern=NO_NUL)
    relationship: str = Field("", max_length=20, pattern=NO_NUL)
    review: str = Field("", max_length=20, pattern=NO_NUL, description="Or `changed`.")
    made_from: dt.date | None = None
    made_until: dt.date | None = None
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(100, ge=1, le=MAX_ROWS)


@router.get(
    "/bodies/{org}/disclosures",
    auth=DISCLOSURES_READ,
    response={200: list[DisclosureOut], 400: ProblemOut, **_AUTH_ERRORS},
    summary="List the body's holders' conflict-of-interest disclosures",
    description="Newest first, narrowed as on the staff page: the holder (words of their name, "
    "their e-mail or identifier), the kind of relationship, the review (or `changed` since "
    f"reviewed) and the days made. At most {MAX_ROWS} from `offset`. 400 for an unknown filter "
    "value.",
)
def disclosures_list(
    request: HttpRequest,
    response: HttpResponse,
    org: str,
    filters: Query[DisclosureFilters],
    cursor: str | None = CURSOR,
) -> list[dict[str, Any]]:
    organization = _body(request, org)
    chosen = service.ReviewFilters(
        holder=filters.holder,
        relationship=filters.relationship,
        review=filters.review,
        made_from=filters.made_from,
        made_until=filters.made_until,
    )
    problems = chosen.problems()
    if problems:
        raise HttpError(400, "; ".join(problems))
    rows = service.disclosures_for_review(organization, chosen)
    chosen_rows = page(request, response, rows[filters.offset :], cursor, filters.limit)
    return [_out(d) for d in chosen_rows]


def _disclosure(organization: Organization, disclosure_id: int) -> Disclosure:
    found = service.disclosure_for_review(organization, disclosure_id)
    if found is None:
        raise HttpError(404, "no such disclosure of the body's holders")
    return found


@router.get(
    "/bodies/{org}/disclosures/{disclosure_id}",
    auth=DISCLOSURES_READ,
    response={200: DisclosureOut, 404: ProblemOut, **_AUTH_ERRORS},
    summary="Read one of the body's holders' disclosures",
)
def disclosure_read(request: HttpRequest, org: str, disclosure_id: int) -> dict[str, Any]:
    return _out(_disclosure(_body(request, org), disclosure_id))


Citation = column_item(Provision, "citation")


class DisclosureReviewIn(Schema):
    outcome: str = column(Disclosure, "review", description=", ".join(service.OUTCOMES))
    note: str = text(DETAILS, "", description="What the holder is told.")
    conditions: str = text(DETAILS, "", description="With `conditions`: what they must keep to.")
    reason: str = text(DETAILS, "", description="With `referred`: why; the case starts from it.")
    citations: list[Citation] = Field(
        default_factory=list,
        max_length=LIST_ITEMS,
        description=f"With `referred`: the provisions the case cites, of the code in force "
        f"({service.CONFLICT_CITATION} when none).",
    )
    expected_version: str | None = text(
        64, None, description="The `version` you read: 409 if the disclosure changed since."
    )


@router.post(
    "/bodies/{org}/disclosures/{disclosure_id}/review",
    auth=DISCLOSURES_WRITE,
    response={
        200: DisclosureOut,
        400: ProblemOut,
        404: ProblemOut,
        409: ProblemOut,
        **_AUTH_ERRORS,
    },
    summary="Review a disclosure: acknowledge it, set conditions, or refer it to a case",
    description="As on the staff page. A referral opens a case about the holder through the "
    "ordinary filing service, citing the provisions given; a disclosure already referred is not "
    "referred again. 400 with every reason when refused; 409 when it changed since "
    "`expected_version`.",
)
def disclosure_review(
    request: HttpRequest, org: str, disclosure_id: int, payload: DisclosureReviewIn
) -> dict[str, Any]:
    organization = _body(request, org)
    found = _disclosure(organization, disclosure_id)
    try:
        service.disclosure_review(
            organization=organization,
            disclosure=found,
            review=service.Review(
                outcome=payload.outcome,
                note=payload.note,
                conditions=payload.conditions,
                reason=payload.reason,
                citations=payload.citations,
            ),
            acting_user=request.api_token.user,
            expected_version=payload.expected_version,
        )
    except service.ReviewRefused as exc:
        raise HttpError(400, " ".join(exc.problems)) from exc
    except ChangedMeanwhile as exc:
        raise HttpError(409, str(exc)) from exc
    return _out(_disclosure(organization, disclosure_id))
