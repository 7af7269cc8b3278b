"""A line of the public register search: what a search reads of each record it found (plain rows,
not model instances with every column of three joined tables) and the entry it shows of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ombuds.register.models import Credential, CredentialProgram, Membership

# Of a holder's fields, those a program may publish (CredentialProgram.public_fields); contact details
# are never shown, whatever the program says.
PUBLISHABLE_HOLDER_FIELDS = ("city", "region", "country")

# How a status is shown: "ok" in good standing, "bad" when a sanction or a lapse stands in the way.
_GOOD = {"active", "grace"}
_BAD = {"suspended", "revoked", "expelled", "lapsed"}


def status_tone(status: str) -> str:
    if status in _GOOD:
        return "ok"
    return "bad" if status in _BAD else "neutral"


@dataclass(frozen=True)
class RegisterEntry:
    """One line of a search result: a credential, or a membership."""

    kind: str  # "credential" or "membership"
    number: str
    holder: str
    place: str
    entry: str  # the credential's or the membership type's name
    status: str
    status_display: str
    expires_on: dt.date | None  # a credential's expiry, a membership's renewal date
    also_known_as: list[str] = field(default_factory=list)

    @property
    def tone(self) -> str:
        return status_tone(self.status)


# What a search reads of each result: plain rows (`values()`), not model instances with every
# column of three joined tables. The names are those the entries below read.
CREDENTIAL_ROW = (
    "number",
    "status",
    "expires_on",
    "program_id",
    "holder__given_name",
    "holder__family_name",
    *(f"holder__{f}" for f in PUBLISHABLE_HOLDER_FIELDS),
)
MEMBERSHIP_ROW = ("number", "status", "renewal_date", "membership_type__name", "agency_id")
PERSON_MEMBERSHIP_ROW = (*MEMBERSHIP_ROW, "person__given_name", "person__family_name")
AGENCY_MEMBERSHIP_ROW = (
    *MEMBERSHIP_ROW,
    "agency__legal_name",
    "agency__trade_names",
    "agency__city",
    "agency__region",
)
# A status as `get_status_display()` shows it.
_CREDENTIAL_STATUS = dict(Credential.Status.choices)
_MEMBERSHIP_STATUS = dict(Membership.Status.choices)


def _full_name(given: str, family: str) -> str:
    return f"{given} {family}".strip()  # Person.full_name


def credential_entry(c: dict, program: CredentialProgram) -> RegisterEntry:
    fields = program.public_fields or []
    return RegisterEntry(
        kind="credential",
        number=c["number"],
        holder=_full_name(c["holder__given_name"], c["holder__family_name"]),
        place=", ".join(
            c[f"holder__{f}"]
            for f in PUBLISHABLE_HOLDER_FIELDS
            if f in fields and c[f"holder__{f}"]
        ),  # as `public_verify` makes a holder's place
        entry=program.name,
        status=c["status"],
        status_display=_CREDENTIAL_STATUS.get(c["status"], c["status"]),
        expires_on=c["expires_on"],
    )


def membership_entry(m: dict) -> RegisterEntry:
    # As `public_verify` tells them: an agency's place is public, a member person's is not.
    if m["agency_id"]:
        name = m["agency__legal_name"]
        trade_names = list(m["agency__trade_names"] or [])
        place = ", ".join(v for v in (m["agency__city"], m["agency__region"]) if v)
    else:
        name = _full_name(m["person__given_name"], m["person__family_name"])
        trade_names, place = [], ""
    return RegisterEntry(
        kind="membership",
        number=m["number"],
        holder=name,
        place=place,
        entry=m["membership_type__name"],
        status=m["status"],
        status_display=_MEMBERSHIP_STATUS.get(m["status"], m["status"]),
        expires_on=m["renewal_date"],
        also_known_as=trade_names,
    )


def merged_by_name(
    programs: dict, credentials: list[dict], memberships: list[dict]
) -> list[RegisterEntry]:
    """Each list comes sorted by name; merged, their first `limit` are the first `limit` of all."""
    keyed = [
        (
            (c["holder__family_name"].lower(), c["holder__given_name"].lower(), c["number"]),
            credential_entry(c, programs[c["program_id"]]),
        )
        for c in credentials
    ] + [
        (
            (m["agency__legal_name"].lower(), "", m["number"])
            if m["agency_id"]
            else (m["person__family_name"].lower(), m["person__given_name"].lower(), m["number"]),
            membership_entry(m),
        )
        for m in memberships
    ]
    keyed.sort(key=lambda row: row[0])
    return [entry for _key, entry in keyed]
