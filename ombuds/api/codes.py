"""Public, read-only JSON API over a body's codes: the same selectors as the pages."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from ombuds.api.caching import public_cache
from ombuds.api.limits import NO_NUL
from ombuds.api.pages import CURSOR, LIMIT, cursor_decode, page
from ombuds.bodies.access import body_or_404
from ombuds.bodies.selectors import organization_list
from ombuds.codes import exports, selectors
from ombuds.codes.citing import citation_prefix, cite
from ombuds.codes.models import CodeVersion, Provision

router = Router(tags=["codes"])

# A version's label, `?version=`: the code in force without it.
VERSION_LABEL = Query(None, max_length=50, pattern=NO_NUL)


class BodyOut(Schema):
    slug: str
    name: str
    acronym: str


class VersionOut(Schema):
    label: str
    title: str
    issuer: str
    status: str
    effective_date: dt.date | None
    published_at: dt.datetime | None
    is_current: bool = False


class DutyOut(Schema):
    kind: str = Field(description='"obligation", "prohibition", "permission" or "recommendation"')
    sentence: str = Field(description="The sentence of the full text that states it")


class ProvisionOut(Schema):
    label: str | None
    citation: str | None
    heading: str | None
    text: str = Field(description='The clause as written ("... to its clients; and")')
    full_text: str = Field(description="The clause read on its own: lead-in plus clause")
    modality: str | None
    duties: list[DutyOut] = Field(default_factory=list)
    subject: str | None
    children: list[ProvisionOut] = Field(default_factory=list)


class CodeOut(VersionOut):
    citation_prefix: str = Field(description='How members cite a provision: "CESP" in "CESP 3.8".')
    preamble: list[str]
    provisions: list[ProvisionOut]


class ProvisionDetailOut(Schema):
    citation: str
    cite_as: str = Field(description='The citation as members write it: "CESP 3.8".')
    anchor: str
    heading: str
    text: str = Field(description='The clause as written ("... to its clients; and")')
    full_text: str = Field(description="The clause read on its own: lead-in plus clause")
    modality: str | None
    duties: list[DutyOut]
    subject: str | None
    version: str
    url: str


class HitOut(Schema):
    citation: str
    cite_as: str
    heading: str
    full_text: str
    score: float
    url: str


class ChangeOut(Schema):
    citation: str
    old_text: str
    new_text: str
    marked: str


class EntryOut(Schema):
    citation: str
    heading: str
    text: str


class RenumberedOut(Schema):
    old_citation: str
    new_citation: str


class DiffOut(Schema):
    added: list[EntryOut]
    removed: list[EntryOut]
    changed: list[ChangeOut]
    renumbered: list[RenumberedOut]
    unchanged: int


def _version_out(version: CodeVersion, current: CodeVersion | None) -> dict:
    return {
        "label": version.label,
        "title": version.title,
        "issuer": version.issuer,
        "status": version.status,
        "effective_date": version.effective_date,
        "published_at": version.published_at,
        "is_current": current is not None and current.pk == version.pk,
    }


def _published(org: str, label: str | None) -> tuple[CodeVersion, CodeVersion | None]:
    organization = body_or_404(org)
    current = selectors.current_version(organization)
    if label is None:
        if current is None:
            raise Http404("no published code")
        return current, current
    return _version_or_404(organization, label), current


@router.get("/bodies", response=list[BodyOut], summary="The governing bodies on this site")
@public_cache(300)
def list_bodies(
    request: HttpRequest, response: HttpResponse, cursor: str | None = CURSOR, limit: int = LIMIT
):
    return page(request, response, list(organization_list()), cursor, limit)


@router.get(
    "/bodies/{org}/code", response=CodeOut, summary="The code in force, as a provision tree"
)
@public_cache(300)
def code_current(request: HttpRequest, org: str, version: str | None = VERSION_LABEL):
    found, current = _published(org, version)
    parsed = exports.version_to_dict(found)
    return {
        **_version_out(found, current),
        "citation_prefix": citation_prefix(found.code),
        "preamble": parsed["preamble"],
        "provisions": parsed["provisions"],
    }


@router.get("/bodies/{org}/code/versions", response=list[VersionOut], summary="Published versions")
@public_cache(300)
def code_versions(
    request: HttpRequest,
    org: str,
    response: HttpResponse,
    cursor: str | None = CURSOR,
    limit: int = LIMIT,
):
    organization = body_or_404(org)
    current = selectors.current_version(organization)
    versions = page(
        request, response, list(selectors.published_versions(organization)), cursor, limit
    )
    return [_version_out(v, current) for v in versions]


def _provision_url(
    request: HttpRequest, org: str, version: CodeVersion, provision: Provision
) -> str:
    from django.urls import reverse

    return request.build_absolute_uri(
        reverse(
            "codes:version_provision",
            kwargs={"org": org, "label": version.label, "anchor": provision.anchor},
        )
    )


@router.get(
    "/bodies/{org}/code/provisions/{citation}",
    response=ProvisionDetailOut,
    summary="One provision by citation (in force, or in ?version=)",
)
@public_cache(300)
def provision_detail(
    request: HttpRequest, org: str, citation: str, version: str | None = VERSION_LABEL
):
    found, _current = _published(org, version)
    provision = selectors.provision_by_anchor(found, citation)
    if provision is None:
        raise Http404(f"No provision {citation!r}")
    return {
        "citation": provision.citation,
        "cite_as": cite(found.code, provision.citation),
        "anchor": provision.anchor,
        "heading": provision.heading,
        "text": provision.text,
        "full_text": provision.full_text,
        "modality": provision.modality or None,
        "duties": provision.duties or [],
        "subject": provision.subject or None,
        "version": found.label,
        "url": _provision_url(request, org, found, provision),
    }


@router.get(
    "/bodies/{org}/code/search",
    response=list[HitOut],
    summary="Provisions of the codes in force matching every word, best first",
)
@public_cache(60)
def code_search(
    request: HttpRequest,
    response: HttpResponse,
    org: str,
    q: str = Query(..., max_length=200, pattern=NO_NUL),
    limit: int = Query(20, ge=1, le=50, description="How many results a page holds, at most."),
    cursor: str | None = CURSOR,
):
    organization = body_or_404(org)
    # Ranked, so the page after `cursor` is read from the best `offset + limit + 1`.
    upto = min(cursor_decode(cursor), 10_000) + limit + 1
    hits = page(
        request, response, selectors.provision_search(organization, q, limit=upto), cursor, limit
    )
    return [
        {
            "citation": h.provision.citation,
            "cite_as": cite(organization, h.provision.citation),
            "heading": h.provision.heading,
            "full_text": h.provision.full_text,
            "score": round(h.score, 3),
            "url": _provision_url(request, org, h.provision.version, h.provision),
        }
        for h in hits
    ]


@router.get("/bodies/{org}/code/diff", response=DiffOut, summary="Differences between two versions")
@public_cache(300)
def code_diff(
    request: HttpRequest,
    org: str,
    from_: str = Query(..., alias="from", max_length=50, pattern=NO_NUL),
    to: str = Query(..., max_length=50, pattern=NO_NUL),
):
    organization = body_or_404(org)
    old = _version_or_404(organization, from_)
    new = _version_or_404(organization, to)
    return exports.diff_to_dict(selectors.versions_diff(old, new))


def _version_or_404(organization, label: str):
    version = selectors.version_get(organization, label)
    if version is None:
        raise Http404(f"No version {label!r}")
    return version
