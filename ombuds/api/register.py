"""The register's public JSON API: verify a credential or a membership, search the register.

The same rules as the public pages, from the same module (`ombuds.register.public`): the publication
policy, the search limits and the per-client rate limits, shared with the pages.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from ombuds.api.caching import public_cache
from ombuds.api.limits import NO_NUL
from ombuds.api.problems import ProblemOut
from ombuds.bodies.access import body_or_404
from ombuds.register import public

router = Router(tags=["register"])


class ProvisionRefOut(Schema):
    citation: str
    url: str | None


STANDING = (
    "The public status line: the status, a public probation or conditions in force, and public "
    'sanctions announced for a later date ("Active, on probation. Suspension from 22 January '
    '2027.").'
)


def _standing(found: public.VerifiedCredential | public.VerifiedMembership) -> str:
    until = ""
    if found.status == "suspended" and found.suspended_until:
        until = f" until {found.suspended_until.day} {found.suspended_until:%B %Y}"
    line = f"{found.status_display}{until}{found.standing.headline if found.standing else ''}."
    upcoming = found.standing.upcoming if found.standing else []
    return " ".join([line, *(f"{u}." for u in upcoming)])


class SanctionOut(Schema):
    decided_on: dt.date
    kind: str
    kind_display: str
    summary: str
    decision_url: str
    effective_from: dt.date | None
    effective_until: dt.date | None
    provisions: list[ProvisionRefOut]
    scheduled: bool = Field(
        description="Decided, taking effect on effective_from (the register applies it that day)."
    )
    conditions: str = Field(description="What a probation or conditions require of the holder.")


class CredentialOut(Schema):
    number: str
    holder: str
    place: str
    body: str
    body_slug: str
    credential: str
    credential_abbreviation: str
    status: str
    status_display: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    suspended_until: dt.date | None
    conditions: str
    standing: str = Field(description=STANDING)
    sanctions: list[SanctionOut]
    url: str


class MembershipOut(Schema):
    number: str
    holder: str
    holder_kind: str
    also_known_as: list[str]
    place: str
    body: str
    body_slug: str
    membership_type: str
    status: str
    status_display: str
    start_date: dt.date | None
    renewal_date: dt.date | None
    suspended_until: dt.date | None
    conditions: str
    standing: str = Field(description=STANDING)
    sanctions: list[SanctionOut]
    url: str


class RegisterEntryOut(Schema):
    kind: str
    number: str
    holder: str
    also_known_as: list[str]
    place: str
    entry: str
    status: str
    status_display: str
    expires_on: dt.date | None
    url: str


class SearchOut(Schema):
    query: str
    results: list[RegisterEntryOut]
    truncated: bool
    sampled: bool = Field(
        description=(
            "More entries matched than a search reads: the results are some of the matches, "
            "sorted by name, not the first by name of all of them. Narrow the search."
        )
    )
    limit: int
    message: str


def _url(request: HttpRequest, name: str, **kwargs) -> str:
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))


def _sanctions(request: HttpRequest, sanctions: list[public.PublicSanction]) -> list[dict]:
    return [
        {
            "decided_on": s.decided_on,
            "kind": s.kind,
            "kind_display": s.kind_display,
            "summary": s.summary,
            "decision_url": s.decision_url,
            "effective_from": s.effective_from,
            "effective_until": s.effective_until,
            "scheduled": s.scheduled,
            "conditions": s.conditions,
            "provisions": [
                {
                    "citation": p.label,
                    "url": _url(
                        request,
                        "codes:version_provision",
                        org=p.body_slug,
                        label=p.version_label,
                        anchor=p.anchor,
                    )
                    if p.anchor
                    else None,
                }
                for p in s.provisions
            ],
        }
        for s in sanctions
    ]


def _throttled(response: HttpResponse, throttled: public.Throttled) -> Status:
    response["Retry-After"] = str(throttled.retry_after)
    return Status(
        429,
        {"detail": f"Too many requests; try again in {throttled.retry_text}."},
    )


@router.get(
    "/bodies/{org}/register/credentials/{number}",
    response={200: CredentialOut, 404: ProblemOut, 429: ProblemOut},
    summary="Verify a credential by its number",
    description=(
        "What the public register shows for the body's credential with this number (case ignored; "
        "a space stands for nothing or a hyphen, as in search): holder, credential, status, dates, "
        "conditions and the sanctions the body's publication policy makes public. 404 when the "
        "body has no such credential; 429, with Retry-After, when this client has made too many "
        "look-ups."
    ),
)
@public_cache()
def credential_verify(request: HttpRequest, org: str, number: str, response: HttpResponse):
    organization = body_or_404(org)
    throttled = public.throttle_hit(request, "lookup")
    if throttled:
        return _throttled(response, throttled)
    found = public.credential_verify(number, organization=organization)
    if found is None:
        return Status(404, {"detail": f"{organization.short_name} has no credential {number}"})
    return {
        "number": found.number,
        "holder": found.holder,
        "place": found.holder_place,
        "body": found.body,
        "body_slug": found.body_slug,
        "credential": found.credential,
        "credential_abbreviation": found.credential_abbreviation,
        "status": found.status,
        "status_display": found.status_display,
        "issued_on": found.issued_on,
        "expires_on": found.expires_on,
        "suspended_until": found.suspended_until,
        "conditions": found.conditions,
        "standing": _standing(found),
        "sanctions": _sanctions(request, found.sanctions),
        "url": _url(request, "register:credential", org=organization.slug, number=found.number),
    }


@router.get(
    "/bodies/{org}/register/memberships/{number}",
    response={200: MembershipOut, 404: ProblemOut, 429: ProblemOut},
    summary="Verify a membership by its number",
    description=(
        "As for credentials: a member person's or agency's standing and public sanctions. `place` "
        "is an agency's city and region; it is empty for a person."
    ),
)
@public_cache()
def membership_verify(request: HttpRequest, org: str, number: str, response: HttpResponse):
    organization = body_or_404(org)
    throttled = public.throttle_hit(request, "lookup")
    if throttled:
        return _throttled(response, throttled)
    found = public.membership_verify(number, organization=organization)
    if found is None:
        return Status(404, {"detail": f"{organization.short_name} has no membership {number}"})
    return {
        **{
            name: getattr(found, name)
            for name in MembershipOut.model_fields
            if name not in ("sanctions", "url", "standing")
        },
        "standing": _standing(found),
        "sanctions": _sanctions(request, found.sanctions),
        "url": _url(request, "register:membership", org=organization.slug, number=found.number),
    }


@router.get(
    "/bodies/{org}/register/search",
    response={200: SearchOut, 400: ProblemOut, 429: ProblemOut},
    summary="Search the public register",
    description=(
        "Credentials and memberships whose holder's name, agency name or city matches `q`, or whose "
        "number is exactly `q` (case ignored; a space stands for nothing or a hyphen). Unless `q` is "
        "a whole number, its longest word needs at least 3 characters and every word at least 2; "
        "400 otherwise. At most 20 results come back, with `truncated` set when there were more, "
        "and `sampled` when so many matched that only some of them were read and sorted. "
        "Shares its rate limit (30 searches a minute per client) with the search page; 429 with "
        "Retry-After beyond it."
    ),
)
@public_cache()
def register_search(
    request: HttpRequest,
    org: str,
    response: HttpResponse,
    q: str = Query("", max_length=200, pattern=NO_NUL),
):
    organization = body_or_404(org)
    query = public.clean_query(q)
    if query:
        throttled = public.throttle_hit(request, "search")
        if throttled:
            return _throttled(response, throttled)
    found = public.register_search(organization, query)
    if found.outcome in ("empty", "too_short"):
        return Status(400, {"detail": found.rule})
    return {
        "query": found.query,
        "truncated": found.truncated,
        "sampled": found.sampled,
        "limit": found.limit,
        "message": found.message,
        "results": [
            {
                "kind": r.kind,
                "number": r.number,
                "holder": r.holder,
                "also_known_as": r.also_known_as,
                "place": r.place,
                "entry": r.entry,
                "status": r.status,
                "status_display": r.status_display,
                "expires_on": r.expires_on,
                "url": _url(
                    request,
                    "register:credential" if r.kind == "credential" else "register:membership",
                    org=organization.slug,
                    number=r.number,
                ),
            }
            for r in found.results
        ],
    }
