"""The register search's statements, written by hand: the body's programmes, then one statement
reading the first by name of each kind's matches (credentials, people's memberships, agencies'
memberships), where the ORM compiled four queries with subqueries and windows on every search.

Of each kind, the first `scan` matches the engine finds (unordered, in a subquery with that
LIMIT, so that it stops there), then the first `limit` + 1 of them by name (then number, then the
row's id: a number is unique in its programme only), with a window count of the matches read
(`scan` read: the results are a sample). The three kinds are three branches of one
``UNION ALL``, each with its own order and limit. PostgreSQL finds the matches by the word
tables or the GIN index (`fulltext`), SQLite by FTS5. Through the word tables, the credentials
found carry their holder's sort keys from the rows that found them, and agencies' memberships are
read once with their agency's name: the first by name are chosen from those keys, and only they
are then read with the columns shown (the same rows and order as reading every match again).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from ombuds.bodies.models import Organization
from ombuds.bodies.selectors import (
    ORGANIZATION_WIDTH,
    organization_columns,
    organization_from_row,
)
from ombuds.register import fulltext
from ombuds.register.models import (
    Agency,
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)
from ombuds.register.raw_sql import json_value, placeholders

_T = {
    m.__name__: m._meta.db_table
    for m in (Agency, Credential, CredentialProgram, Membership, MembershipType, Person)
}
_PROGRAMS_SQL = (
    f"SELECT id, name, abbreviation, public_fields FROM {_T['CredentialProgram']} "
    "WHERE organization_id = %s"
)


def programs_of(organization_id: int) -> dict[int, CredentialProgram]:
    """The body's credential programmes by id, with the columns a search reads (unordered: their
    order matters to no result)."""
    with connection.cursor() as cursor:
        cursor.execute(_PROGRAMS_SQL, [organization_id])
        rows = cursor.fetchall()
    return _programs(rows)


def _programs(rows) -> dict[int, CredentialProgram]:
    return {
        pk: CredentialProgram(
            pk=pk,
            name=name,
            abbreviation=abbreviation,
            public_fields=json_value(CredentialProgram, "public_fields", public_fields),
        )
        for pk, name, abbreviation, public_fields in rows
        if pk is not None
    }


# The search page's body and its programmes in one statement: a row per programme, the body's
# columns first (a body without programmes is one row of nulls after its own columns).
_BODY_AND_PROGRAMS_SQL = (
    f"SELECT {organization_columns('o')}, p.id, p.name, p.abbreviation, p.public_fields "
    f"FROM {connection.ops.quote_name(Organization._meta.db_table)} o "
    f"LEFT JOIN {_T['CredentialProgram']} p ON (p.organization_id = o.id) WHERE o.slug = %s"
)


def body_and_programs(slug: str) -> tuple[Organization | None, dict[int, CredentialProgram]]:
    """(the body with this slug or None, its programmes as `programs_of` gives them), by one query:
    the search page's reads before its search."""
    with connection.cursor() as cursor:
        cursor.execute(_BODY_AND_PROGRAMS_SQL, [slug])
        rows = cursor.fetchall()
    if not rows:
        return None, {}
    body = organization_from_row(rows[0][:ORGANIZATION_WIDTH])
    return body, _programs(row[ORGANIZATION_WIDTH:] for row in rows)


# Every branch has the same columns in one order; a column a kind has not is a typed null.
_NULL_INT, _NULL_TEXT = "CAST(NULL AS bigint)", "CAST(NULL AS text)"
_CREDENTIALS = (
    f"SELECT 0 AS kind, c.number, c.status, c.expires_on AS shown_date, c.program_id, "
    f"{_NULL_INT} AS agency_id, {_NULL_TEXT} AS type_name, h.given_name, h.family_name, "
    f"{_NULL_TEXT} AS legal_name, {_NULL_TEXT} AS trade_names, h.city, h.region, h.country, "
    f"COUNT(c.id) OVER () AS matches_read FROM {_T['Credential']} c "
    f"INNER JOIN {_T['Person']} h ON (c.holder_id = h.id) "
    "WHERE (c.program_id IN ({programs}) AND {match}) "
    "ORDER BY LOWER(h.family_name) ASC, LOWER(h.given_name) ASC, c.number ASC, c.id ASC "
    "LIMIT {limit}"
)
# The same rows and order from the word tables (PostgreSQL, `fulltext.pg_words_usable`): the first
# `scan` found carry their holder's sort keys, so the first `limit` + 1 by name are taken from them
# (with the count of those read) before the credentials and people shown are read, by key.
_CREDENTIALS_BY_KEYS = (
    f"SELECT 0 AS kind, c.number, c.status, c.expires_on AS shown_date, c.program_id, "
    f"{_NULL_INT} AS agency_id, {_NULL_TEXT} AS type_name, h.given_name, h.family_name, "
    f"{_NULL_TEXT} AS legal_name, {_NULL_TEXT} AS trade_names, h.city, h.region, h.country, "
    "s.matches_read FROM (SELECT f.id, f.number, f.family, f.given, COUNT(*) OVER () AS "
    "matches_read FROM ({found}) f ORDER BY f.family, f.given, f.number, f.id LIMIT {limit}) s "
    f"INNER JOIN {_T['Credential']} c ON (c.id = s.id) "
    f"INNER JOIN {_T['Person']} h ON (c.holder_id = h.id) "
    "ORDER BY s.family, s.given, s.number, s.id"
)
_MEMBERSHIP_COLUMNS = (
    f"m.number, m.status, m.renewal_date AS shown_date, {_NULL_INT} AS program_id, m.agency_id, "
    "t.name AS type_name"
)
_PUBLIC = "m.organization_id = {organization} AND NOT (t.kind = {board})"
_PEOPLE = (
    f"SELECT 1 AS kind, {_MEMBERSHIP_COLUMNS}, h.given_name, h.family_name, "
    f"{_NULL_TEXT} AS legal_name, {_NULL_TEXT} AS trade_names, {_NULL_TEXT} AS city, "
    f"{_NULL_TEXT} AS region, {_NULL_TEXT} AS country, COUNT(m.id) OVER () AS matches_read "
    f"FROM {_T['Membership']} m "
    f"INNER JOIN {_T['MembershipType']} t ON (m.membership_type_id = t.id) "
    f"INNER JOIN {_T['Person']} h ON (m.person_id = h.id) "
    f"WHERE ({_PUBLIC} AND m.person_id IS NOT NULL AND {{match}}) "
    "ORDER BY LOWER(h.family_name) ASC, LOWER(h.given_name) ASC, m.number ASC, m.id ASC "
    "LIMIT {limit}"
)
# Agencies' memberships: the first `limit` + 1 by name are taken from the `scan` found, read once
# with their agency's name (the key, `_AGENCY_KEYS`), before the rows shown are read with every
# column.
_AGENCIES = (
    f"SELECT 2 AS kind, {_MEMBERSHIP_COLUMNS}, {_NULL_TEXT} AS given_name, "
    f"{_NULL_TEXT} AS family_name, a.legal_name, CAST(a.trade_names AS text) AS trade_names, "
    f"a.city, a.region, {_NULL_TEXT} AS country, s.matches_read "
    "FROM ({keys}) s "
    f"INNER JOIN {_T['Membership']} m ON (m.id = s.id) "
    f"INNER JOIN {_T['MembershipType']} t ON (m.membership_type_id = t.id) "
    f"INNER JOIN {_T['Agency']} a ON (m.agency_id = a.id) "
    "ORDER BY s.legal_key ASC, s.number ASC, s.id ASC"
)
_AGENCY_KEYS = (
    "SELECT f.id, f.number, LOWER(fa.legal_name) AS legal_key, COUNT(*) OVER () AS "
    f"matches_read FROM ({{first}}) f INNER JOIN {_T['Agency']} fa ON (f.agency_id = fa.id) "
    "ORDER BY legal_key ASC, f.number ASC, f.id ASC LIMIT {limit}"
)
# PostgreSQL: the agencies found by the GIN index are read once, their ids and keys kept (``fa``,
# an InitPlan's query as before: the words unknown when planning, `fulltext`); the first `scan`
# memberships are found among those ids as before (the same plan, the same first ones), then take
# their key from the rows kept by a hash join, where each was read again by key (one index
# look-up and one heap row a membership, up to `scan`).
_AGENCY_KEYS_FOUND = (
    "WITH fa AS MATERIALIZED (SELECT id, LOWER(legal_name) AS legal_key "
    f"FROM {_T['Agency']} WHERE search_tsv @@ (SELECT ombuds_tsquery(%s))) "
    "SELECT f.id, f.number, fa.legal_key, COUNT(*) OVER () AS matches_read "
    "FROM ({first}) f INNER JOIN fa ON (f.agency_id = fa.id) "
    "ORDER BY fa.legal_key ASC, f.number ASC, f.id ASC LIMIT {limit}"
)
# The first `scan` matches of a kind, unordered; u and t2 are the kind's rows and their type.
_FIRST_CREDENTIALS = (
    f"SELECT u.id FROM {_T['Credential']} u {{join}}"
    "WHERE (u.program_id IN ({programs}) AND ({found})) LIMIT {scan}"
)
_FIRST_MEMBERSHIPS = (
    f"SELECT {{columns}} FROM {_T['Membership']} u "
    f"INNER JOIN {_T['MembershipType']} t2 ON (u.membership_type_id = t2.id) {{join}}"
    "WHERE (u.organization_id = {organization} AND NOT (t2.kind = {board}) "
    "AND u.{holder} IS NOT NULL "
    "AND {found}) LIMIT {scan}"
)


def _credentials_found(
    words: list[str], programs: list[int], city_programs: list[int], scan: int
) -> tuple[str, list]:
    """The first `scan` credentials found whose holder's name, or city where the programme
    publishes it, has words starting with every word (by the GIN index or FTS5; the word tables'
    branch is `_CREDENTIALS_BY_KEYS`)."""
    params: list = [*programs]
    if connection.vendor == "postgresql":
        join = f"INNER JOIN {_T['Person']} u2 ON (u.holder_id = u2.id) "
        found = 'u2."search_tsv" @@ ombuds_tsquery(%s)'
        params.append(fulltext.tsquery(words, fulltext.NAME))
        if city_programs:
            found = f'({found}) OR ((u2."search_tsv" @@ ombuds_tsquery(%s)) AND u.program_id IN ({placeholders(city_programs)}))'
            params += [fulltext.tsquery(words, fulltext.CITY), *city_programs]
    else:
        join = ""
        found, found_params = fulltext.fts_ids(
            "register_person_fts", f"names : ({fulltext.fts_phrase(words)})"
        )
        found = f"u.holder_id IN ({found})"
        params += found_params
        if city_programs:
            city, city_params = fulltext.fts_ids(
                "register_person_fts", f"city : ({fulltext.fts_phrase(words)})"
            )
            found = f"{found} OR (u.holder_id IN ({city}) AND u.program_id IN ({placeholders(city_programs)}))"
            params += [*city_params, *city_programs]
    sql = _FIRST_CREDENTIALS.format(
        join=join, programs=placeholders(programs), found=found, scan=int(scan)
    )
    return sql, params


def _people_found(words: list[str]) -> tuple[str, str, list]:
    """(join, condition, parameters): the membership's person has every word in their names."""
    if fulltext.pg_words_usable(words):
        sql, params = fulltext.pg_person_ids(words)
        return "", f"u.person_id IN ({sql})", params
    if connection.vendor == "postgresql":
        join = f"INNER JOIN {_T['Person']} u3 ON (u.person_id = u3.id) "
        return (
            join,
            '(u3."search_tsv" @@ ombuds_tsquery(%s))',
            [fulltext.tsquery(words, fulltext.NAME)],
        )
    sql, params = fulltext.fts_ids("register_person_fts", f"names : ({fulltext.fts_phrase(words)})")
    return "", f"u.person_id IN ({sql})", params


def _agencies_found(words: list[str]) -> tuple[str, list]:
    """The membership's agency has every word in its legal name, trade names or city: on
    PostgreSQL, it is one of `_AGENCY_KEYS_FOUND`'s ``fa`` (whose query is the parameter)."""
    if connection.vendor == "postgresql":
        return fulltext.any_of("u.agency_id", "SELECT id FROM fa"), [fulltext.tsquery(words)]
    sql, params = fulltext.fts_ids("register_agency_fts", fulltext.fts_phrase(words))
    return f"u.agency_id IN ({sql})", params


def search_rows(
    organization_id: int,
    programs: list[int],
    city_programs: list[int],
    words: list[str],
    limit: int,
    scan: int,
) -> tuple[list[dict], list[dict], bool]:
    """(credentials, memberships, sampled): of each kind, the first `limit` + 1 by name of the
    first `scan` matches found, each a dict of the columns `public_entries` reads, and whether a
    kind had `scan` matches. One statement."""
    # The numbers, the body and the board kind are written into the statement, not sent as
    # parameters, and the words are values the planner cannot see (`fulltext`): a plan made for
    # one search is then the plan made for every search of the body and shape (a generic plan),
    # which PostgreSQL keeps once the statement is prepared instead of planning each search, and
    # which reads the same first matches as the plans before it on the connection.
    scan, shown = int(scan), int(limit) + 1
    board = MembershipType.Kind.BOARD.value
    assert board.isalnum()
    public = {"organization": int(organization_id), "board": f"'{board}'"}
    branches: list[str] = []
    params: list = []
    if programs and fulltext.pg_words_usable(words):
        found, found_params = fulltext.pg_credential_ids(words, programs, city_programs, scan)
        branches.append(_CREDENTIALS_BY_KEYS.format(found=found, limit=shown))
        params += found_params
    elif programs:
        found, found_params = _credentials_found(words, programs, city_programs, scan)
        branches.append(
            _CREDENTIALS.format(
                programs=placeholders(programs),
                match=fulltext.any_of("c.id", found),
                limit=shown,
            )
        )
        params += [*programs, *found_params]
    join, found, found_params = _people_found(words)
    first = _FIRST_MEMBERSHIPS.format(
        columns="u.id", join=join, holder="person_id", found=found, scan=scan, **public
    )
    branches.append(_PEOPLE.format(match=fulltext.any_of("m.id", first), limit=shown, **public))
    params += found_params
    found, found_params = _agencies_found(words)
    first = _FIRST_MEMBERSHIPS.format(
        columns="u.id, u.number, u.agency_id",
        join="",
        holder="agency_id",
        found=found,
        scan=scan,
        **public,
    )
    keys = _AGENCY_KEYS_FOUND if connection.vendor == "postgresql" else _AGENCY_KEYS
    branches.append(_AGENCIES.format(keys=keys.format(first=first, limit=shown)))
    params += found_params
    sql = " UNION ALL ".join(f"SELECT * FROM ({b}) k{n}" for n, b in enumerate(branches))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # The engine hands each branch's rows in its order; kept within a kind (a stable sort).
    rows.sort(key=lambda row: row[0])
    credentials: list[dict] = []
    memberships: list[dict] = []
    sampled = False
    for row in rows:
        sampled = sampled or row[-1] >= scan
        (credentials if row[0] == 0 else memberships).append(_entry_row(row))
    return credentials, memberships, sampled


def _entry_row(row: tuple) -> dict:
    """A row of the statement as the dict of its kind's columns that `public_entries` reads."""
    (kind, number, status, shown, program_id, agency_id, type_name, given, family) = row[:9]
    legal_name, trade_names, city, region, country, _read = row[9:]
    shown = dt.date.fromisoformat(shown) if isinstance(shown, str) else shown
    if kind == 0:
        return {
            "number": number,
            "status": status,
            "expires_on": shown,
            "program_id": program_id,
            "holder__given_name": given,
            "holder__family_name": family,
            "holder__city": city,
            "holder__region": region,
            "holder__country": country,
        }
    found = {
        "number": number,
        "status": status,
        "renewal_date": shown,
        "membership_type__name": type_name,
        "agency_id": agency_id,
    }
    if kind == 1:
        return {**found, "person__given_name": given, "person__family_name": family}
    return {
        **found,
        "agency__legal_name": legal_name,
        "agency__trade_names": json_value(Agency, "trade_names", trade_names),
        "agency__city": city,
        "agency__region": region,
    }
