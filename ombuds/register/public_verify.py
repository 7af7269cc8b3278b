"""A credential's or a membership's public facts, by its number: what its verification page, the
API and `ombuds register verify` show (`credential_verify`, `membership_verify`; a record's page
reads its body with it, `credential_in_body` then `credential_shown`, and likewise for a membership).

A lookup is the register's busiest page, and the database answers it in well under a millisecond:
building the query is what costs. So each record is read by one hand-written query of portable SQL
(SQLite and PostgreSQL alike) that reads the few columns shown, with its holder, programme or
membership type, and whether it has any sanction at all. Only a record with sanctions then has them
read by the ORM, as the publication policy selects them (`public_sanctions`): most records have
none. A record's page then costs one query with its body, where three or four were built before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import (
    ORGANIZATION_WIDTH,
    organization_columns,
    organization_from_row,
    organization_get,
)
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
    Sanction,
)
from ombuds.register.public_entries import PUBLISHABLE_HOLDER_FIELDS, status_tone
from ombuds.register.public_sanctions import (
    PublicSanction,
    Standing,
    public_only,
    public_sanction,
    public_sanctions,
    standing_of,
)
from ombuds.register.raw_sql import json_value, placeholders

# What each status means, in the words the public pages use.
CREDENTIAL_STATUS_MEANING = {
    "candidate": "Has applied for this credential and does not hold it yet.",
    "active": "Holds this credential in good standing.",
    "expired": "The credential has passed its expiry date without renewal; it may still be renewed.",
    "lapsed": "The credential lapsed after its grace period and is no longer held.",
    "inactive": "The holder has made the credential inactive and may not practise under it.",
    "suspended": "The credential is suspended and may not be used while the suspension lasts.",
    "revoked": "The credential was revoked.",
    "surrendered": "The holder surrendered the credential.",
}
MEMBERSHIP_STATUS_MEANING = {
    "applicant": "Has applied for membership and is not a member yet.",
    "active": "A member in good standing.",
    "grace": "A member whose renewal is due; still a member during the grace period.",
    "lapsed": "Membership lapsed without renewal.",
    "suspended": "Membership is suspended while the suspension lasts.",
    "expelled": "Expelled from membership.",
    "resigned": "Resigned from membership.",
}


class _Shown:
    """The tone and the words a verification page gives a record's status: its standing's when it
    has one (a suspension, conditions in force), else its status's."""

    status: str
    standing: Standing | None
    _kind: ClassVar[str]
    _meanings: ClassVar[dict[str, str]]

    @property
    def tone(self) -> str:
        return self.standing.tone if self.standing else status_tone(self.status)

    @property
    def meaning(self) -> str:
        default = self._meanings.get(self.status, "")
        return self.standing.meaning_or(default, self._kind) if self.standing else default


@dataclass(frozen=True)
class VerifiedCredential(_Shown):
    number: str
    holder: str
    body: str
    body_slug: str
    credential: str
    status: str
    status_display: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    suspended_until: dt.date | None
    conditions: str
    sanctions: list[PublicSanction] = field(default_factory=list)
    credential_abbreviation: str = ""
    # The holder's place, as far as the program publishes it ("Springfield, Illinois").
    holder_place: str = ""
    standing: Standing | None = None

    _kind: ClassVar[str] = "credential"
    _meanings: ClassVar[dict[str, str]] = CREDENTIAL_STATUS_MEANING


@dataclass(frozen=True)
class VerifiedMembership(_Shown):
    number: str
    holder: str
    holder_kind: str  # "person" or "agency"
    also_known_as: list[str]  # an agency's trade names
    place: str
    body: str
    body_slug: str
    membership_type: str
    status: str
    status_display: str
    start_date: dt.date | None
    renewal_date: dt.date | None
    suspended_until: dt.date | None
    sanctions: list[PublicSanction] = field(default_factory=list)
    # An agency's register id: its clients complain to it first through its own public form.
    agency_id: int | None = None
    conditions: str = ""
    standing: Standing | None = None

    _kind: ClassVar[str] = "membership"
    _meanings: ClassVar[dict[str, str]] = MEMBERSHIP_STATUS_MEANING


def number_variants(typed: str) -> list[str]:
    """The stored forms a number typed by a person may have: "cgp 1234" is "CGP1234" or "CGP-1234"
    as printed. A member number may have kept its case, so the form as typed is tried too."""
    words = typed.split()
    if not words:
        return []
    return list(dict.fromkeys(["".join(words).upper(), "-".join(words).upper(), "".join(words)]))


def _first_by_variant(rows: list[dict], variants: list[str]) -> dict | None:
    """Of rows found by number among `variants`, the one whose number is the earliest variant (the
    form as typed, upper-cased, before the hyphenated one), then the oldest."""
    rank = {v: i for i, v in enumerate(variants)}
    return min(rows, key=lambda r: (rank.get(r["number"], len(rank)), r["id"]), default=None)


# The column names of each statement text, read from the first answer's description: describing
# a result makes an object per column each time, a sixth of a lookup's own work. A text's names
# never change, and there are a few texts (a query by the number of forms a number may take).
_NAMES: dict[str, list[str]] = {}


def _names(cursor, sql: str) -> list[str]:
    names = _NAMES.get(sql)
    if names is None:
        names = _NAMES[sql] = [column[0] for column in cursor.description]
    return names


def _rows(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = _names(cursor, sql)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


_MODELS = (Agency, Credential, CredentialProgram, Membership, MembershipType, Organization, Person)
_T = {m.__name__: m._meta.db_table for m in (*_MODELS, Sanction)}

# A credential with its holder and programme, and whether any sanction names it.
_CREDENTIAL_COLUMNS = f"""c.id, c.number, c.status, c.issued_on, c.expires_on, c.suspended_until,
  c.conditions, h.given_name, h.family_name, h.city, h.region, h.country,
  p.name AS program_name, p.abbreviation, p.public_fields,
  EXISTS (SELECT 1 FROM {_T["Sanction"]} s WHERE s.credential_id = c.id) AS sanctioned"""
_CREDENTIAL_SQL = f"""
SELECT {_CREDENTIAL_COLUMNS}, o.name AS body_name, o.slug
FROM {_T["Credential"]} c
JOIN {_T["CredentialProgram"]} p ON p.id = c.program_id
JOIN {_T["Organization"]} o ON o.id = p.organization_id
JOIN {_T["Person"]} h ON h.id = c.holder_id
WHERE c.number IN ({{numbers}})"""
# The body by its slug and, in the same query, its credential with this number if it has one: the
# verification page's one query (a body without it is one row of nulls after the body's columns).
_CREDENTIAL_IN_BODY_SQL = f"""
SELECT {organization_columns("o")}, {_CREDENTIAL_COLUMNS}
FROM {_T["Organization"]} o
LEFT JOIN ({_T["Credential"]} c
  JOIN {_T["CredentialProgram"]} p ON p.id = c.program_id
  JOIN {_T["Person"]} h ON h.id = c.holder_id)
ON p.organization_id = o.id AND c.number IN ({{numbers}})
WHERE o.slug = %s"""

_CREDENTIAL_STATUS = dict(Credential.Status.choices)
_MEMBERSHIP_STATUS = dict(Membership.Status.choices)


def credential_verify(
    number: str, *, organization: Organization | None = None, today: dt.date | None = None
) -> VerifiedCredential | None:
    """The public facts of the credential with this number, or None. The number is read as search
    and bulk verification read it (`number_variants`): case ignored, and a space standing for
    nothing or a hyphen, so "cgp 1234" finds CGP1234 or CGP-1234."""
    variants = number_variants(number)
    if not variants:
        return None
    # An exact match on a few stored forms uses the index on number.
    sql, params = _CREDENTIAL_SQL.format(numbers=placeholders(variants)), list(variants)
    if organization is not None:
        sql, params = f"{sql} AND p.organization_id = %s", [*params, organization.pk]
    c = _first_by_variant(_rows(sql, params), variants)
    return None if c is None else _verified_credential(c, today or timezone.localdate())


def credential_in_body(slug: str, number: str) -> tuple[Organization | None, dict | None]:
    """(the body with this slug, the row of its credential with this number as `credential_verify`
    finds it), read by one query; None for either that is not there. The row is made into what
    the page shows by `credential_shown`, after the caller's rate limit: a refused visitor costs
    one query, whatever the record."""
    variants = number_variants(number)
    if not variants:
        return organization_get(slug), None
    sql = _CREDENTIAL_IN_BODY_SQL.format(numbers=placeholders(variants))
    return _body_and_record(sql, [*variants, slug], variants)


def _body_and_record(
    sql: str, params: list, variants: list[str]
) -> tuple[Organization | None, dict | None]:
    # The body's columns, then the record's: a body without the record is one row of nulls after
    # its own columns; several rows are the record's stored forms of the number.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = _names(cursor, sql)[ORGANIZATION_WIDTH:]
        rows = cursor.fetchall()
    if not rows:
        return None, None
    found = [
        dict(zip(names, row[ORGANIZATION_WIDTH:], strict=True))
        for row in rows
        if row[ORGANIZATION_WIDTH] is not None
    ]
    return organization_from_row(rows[0][:ORGANIZATION_WIDTH]), _first_by_variant(found, variants)


def _body_today(organization: Organization) -> dt.date:
    zone = ZoneInfo(organization.time_zone) if organization.time_zone else None
    return timezone.localdate(timezone=zone)


def credential_shown(organization: Organization, row: dict) -> VerifiedCredential:
    """The public facts of a credential `credential_in_body` read, its standing as of today in
    the body's time zone, where its page shows it."""
    row = {**row, "body_name": organization.name, "slug": organization.slug}
    return _verified_credential(row, _body_today(organization))


def _verified_credential(c: dict, today: dt.date) -> VerifiedCredential:
    loaded = list(public_sanctions(today).filter(credential_id=c["id"])) if c["sanctioned"] else []
    standing = standing_of(c["conditions"], loaded, today)
    fields = json_value(CredentialProgram, "public_fields", c["public_fields"]) or []
    return VerifiedCredential(
        number=c["number"],
        holder=f"{c['given_name']} {c['family_name']}".strip(),  # Person.full_name
        body=c["body_name"],
        body_slug=c["slug"],
        credential=c["program_name"],
        status=c["status"],
        status_display=_CREDENTIAL_STATUS.get(c["status"], c["status"]),
        issued_on=c["issued_on"],
        expires_on=c["expires_on"],
        suspended_until=c["suspended_until"],
        conditions=standing.conditions,
        sanctions=[public_sanction(s) for s in public_only(loaded, today)],
        standing=standing,
        credential_abbreviation=c["abbreviation"],
        holder_place=", ".join(
            c[f] for f in PUBLISHABLE_HOLDER_FIELDS if f in fields and c[f]
        ),  # contact details never, whatever the programme lists
    )


# A body's membership with its type and holder (a person or an agency), and whether any sanction
# names it. Board seats are listed on the body's home page, not in the register.
# (An agency's place named: SQLite names a nested join's "city" "city:1".)
_MEMBERSHIP_COLUMNS = f"""m.id, m.number, m.status, m.start_date, m.renewal_date,
  m.suspended_until, m.conditions, m.agency_id, t.name AS type_name, h.given_name, h.family_name,
  a.legal_name, a.trade_names, a.city AS city, a.region AS region,
  EXISTS (SELECT 1 FROM {_T["Sanction"]} s WHERE s.membership_id = m.id) AS sanctioned"""
_MEMBERSHIP_SQL = f"""
SELECT {_MEMBERSHIP_COLUMNS}
FROM {_T["Membership"]} m
JOIN {_T["MembershipType"]} t ON t.id = m.membership_type_id
LEFT JOIN {_T["Person"]} h ON h.id = m.person_id
LEFT JOIN {_T["Agency"]} a ON a.id = m.agency_id
WHERE m.organization_id = %s AND t.kind <> %s AND m.number IN ({{numbers}})"""
# The body by its slug and its membership with this number, as `_CREDENTIAL_IN_BODY_SQL` reads a
# credential: the membership's verification page in one query.
_MEMBERSHIP_IN_BODY_SQL = f"""
SELECT {organization_columns("o")}, {_MEMBERSHIP_COLUMNS}
FROM {_T["Organization"]} o
LEFT JOIN ({_T["Membership"]} m
  JOIN {_T["MembershipType"]} t ON t.id = m.membership_type_id
  LEFT JOIN {_T["Person"]} h ON h.id = m.person_id
  LEFT JOIN {_T["Agency"]} a ON a.id = m.agency_id)
ON m.organization_id = o.id AND t.kind <> %s AND m.number IN ({{numbers}})
WHERE o.slug = %s"""


def _membership_holder(m: dict) -> tuple[str, str, list[str], str]:
    """(name, kind, trade names, place). An agency's place is public, as an organisation's address
    is; a person's never is through a membership (a program's `public_fields` decide it for a
    credential, and no such policy covers memberships)."""
    if m["agency_id"]:
        place = ", ".join(v for v in (m["city"], m["region"]) if v)
        trade_names = list(json_value(Agency, "trade_names", m["trade_names"]) or [])
        return m["legal_name"], "agency", trade_names, place
    return f"{m['given_name']} {m['family_name']}".strip(), "person", [], ""


def membership_verify(
    number: str, *, organization: Organization, today: dt.date | None = None
) -> VerifiedMembership | None:
    """The public facts of the body's membership with this number (read as `number_variants`
    reads it), or None."""
    variants = number_variants(number)
    if not variants:
        return None
    m = _first_by_variant(
        _rows(
            _MEMBERSHIP_SQL.format(numbers=placeholders(variants)),
            [organization.pk, MembershipType.Kind.BOARD.value, *variants],
        ),
        variants,
    )
    return None if m is None else _verified_membership(m, organization, today)


def membership_in_body(slug: str, number: str) -> tuple[Organization | None, dict | None]:
    """(the body with this slug, the row of its membership with this number as
    `membership_verify` finds it), read by one query, as `credential_in_body` reads a credential;
    the row is made into what the page shows by `membership_shown`, after the rate limit."""
    variants = number_variants(number)
    if not variants:
        return organization_get(slug), None
    sql = _MEMBERSHIP_IN_BODY_SQL.format(numbers=placeholders(variants))
    return _body_and_record(sql, [MembershipType.Kind.BOARD.value, *variants, slug], variants)


def membership_shown(organization: Organization, row: dict) -> VerifiedMembership:
    """The public facts of a membership `membership_in_body` read, its standing as of today in
    the body's time zone."""
    return _verified_membership(row, organization, _body_today(organization))


def _verified_membership(
    m: dict, organization: Organization, today: dt.date | None
) -> VerifiedMembership:
    today = today or timezone.localdate()
    loaded = list(public_sanctions(today).filter(membership_id=m["id"])) if m["sanctioned"] else []
    name, kind, trade_names, place = _membership_holder(m)
    standing = standing_of(m["conditions"], loaded, today)
    return VerifiedMembership(
        number=m["number"],
        holder=name,
        holder_kind=kind,
        also_known_as=trade_names,
        place=place,
        body=organization.name,
        body_slug=organization.slug,
        membership_type=m["type_name"],
        status=m["status"],
        status_display=_MEMBERSHIP_STATUS.get(m["status"], m["status"]),
        start_date=m["start_date"],
        renewal_date=m["renewal_date"],
        suspended_until=m["suspended_until"],
        sanctions=[public_sanction(s) for s in public_only(loaded, today)],
        agency_id=m["agency_id"],
        conditions=standing.conditions,
        standing=standing,
    )
