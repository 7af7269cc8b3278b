"""A complaint as JSON: the shape the public complaint API takes (`ComplaintIn`) and the command line
reads from a file (`ombuds cases file`), checked in one place so that both doors accept and refuse
the same things. `complaint_read` turns it into the `Complaint` that `case_file` files, listing every
problem of the request at once; `complaint_parse` first checks a raw JSON object against the shape
(what the API's schema refuses with 422)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import ValidationError as ShapeError

from ombuds.bodies.models import Organization
from ombuds.cases.complaint import Complaint
from ombuds.cases.models import Case
from ombuds.cases.rules import CaseRefused
from ombuds.cases.services import respondent_lookup
from ombuds.codes.models import Provision
from ombuds.codes.selectors import current_version
from ombuds.core.limits import (
    DETAILS,
    LIST_ITEMS,
    NARRATIVE,
    OUTCOME,
    PASSPHRASE,
    column,
    column_item,
    text,
)
from ombuds.register.models import Credential

Citation = column_item(Provision, "citation")


class ComplaintIn(Schema):
    what_happened: str = text(NARRATIVE)
    respondent_name: str = column(Case, "respondent_name")
    respondent_kind: Literal["agency", "person"] = Field(
        "agency", description="An agency's exact name links it to the register; a person's does not"
    )
    respondent_number: str = column(
        Credential, "number", "", description="A credential or membership number, if known"
    )
    respondent_details: str = text(DETAILS, "")
    anonymous: bool = False
    complainant_name: str = column(Case, "complainant_name", "")
    complainant_email: str = column(Case, "complainant_email", "")
    complainant_phone: str = column(Case, "complainant_phone", "")
    complainant_relation: str = column(
        Case, "complainant_relation", "public", description=", ".join(Case.Relation.values)
    )
    consent_to_share: bool = False
    passphrase: str = text(
        PASSPHRASE, "", description="Anonymous complaints: at least 10 characters"
    )
    happened_on: dt.date | None = None
    happened_until: dt.date | None = None
    outcome_sought: str = text(OUTCOME, "")
    provisions: list[Citation] = Field(
        [], max_length=LIST_ITEMS, description="Citations in the code in force, e.g. 1.2(c)"
    )
    submission_key: str = column(
        Case,
        "submission_key",
        "",
        description="Send the same key again to this body and the first case is returned; "
        "keys are this body's and this door's own (another body or a staff token may use the "
        "same key for another case), and only a keyed hash of the key is kept",
    )
    first_tier_link: str = text(
        500,
        "",
        description="The personal link of the complaint made to a member agency first: it is "
        "the proof of efforts to resolve (CSEC Article 5), and its agency the respondent",
    )


def complaint_parse(data: Any) -> ComplaintIn:
    """A JSON value checked against the complaint's shape; CaseRefused listing every field that is
    missing, of the wrong type or past its limit (the API answers these with 422)."""
    if not isinstance(data, dict):
        raise CaseRefused("The complaint must be a JSON object.")
    try:
        return ComplaintIn.model_validate(data)
    except ShapeError as exc:
        raise CaseRefused(
            [
                f"{'.'.join(str(part) for part in e['loc']) or 'complaint'}: {e['msg']}."
                for e in exc.errors()
            ]
        ) from None


def complaint_read(
    organization: Organization, payload: ComplaintIn, *, channel: str = Case.Channel.WEB
) -> Complaint:
    """The complaint the request describes, its respondent and provisions looked up in the body's
    register and code; CaseRefused listing every problem of the request (the service checks the
    rest when it files it)."""
    problems = []
    person, agency, problem = respondent_lookup(
        organization,
        {
            "respondent_number": payload.respondent_number,
            "respondent_kind": payload.respondent_kind,
            "respondent_name": payload.respondent_name,
        },
    )
    if problem:
        problems.append(problem)
    if payload.complainant_email.strip() and not payload.anonymous:
        try:
            validate_email(payload.complainant_email.strip())
        except ValidationError:
            problems.append(f"{payload.complainant_email!r} is not an email address.")
    provisions = []
    if payload.provisions:
        version = current_version(organization)
        found = {
            p.citation: p
            for p in (version.provisions.filter(citation__in=payload.provisions) if version else [])
        }
        unknown = [c for c in payload.provisions if c not in found]
        if unknown:
            problems.append(f"Not in the code in force: {', '.join(unknown)}.")
        provisions = list(
            {found[c].pk: found[c] for c in payload.provisions if c in found}.values()
        )
    if problems:
        raise CaseRefused(problems)
    return Complaint(
        what_happened=payload.what_happened,
        respondent_name=payload.respondent_name,
        respondent_person=person,
        respondent_agency=agency,
        respondent_details=payload.respondent_details,
        anonymous=payload.anonymous,
        complainant_name=payload.complainant_name,
        complainant_email=payload.complainant_email,
        complainant_phone=payload.complainant_phone,
        complainant_relation=payload.complainant_relation,
        consent_to_share=payload.consent_to_share,
        passphrase=payload.passphrase,
        happened_on=payload.happened_on,
        happened_until=payload.happened_until,
        outcome_sought=payload.outcome_sought,
        provisions=provisions,
        channel=channel,
        submission_key=payload.submission_key,
        first_tier_link=payload.first_tier_link,
    )
