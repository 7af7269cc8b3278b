"""The public register's search by the database engine: words of names and cities, by prefix.

On PostgreSQL, a `search_tsv` column that the database computes on every write (a stored generated
column, by the SQL functions `ombuds_person_tsv` and `ombuds_agency_tsv`) with a GIN index: a
person's names (weight A) and city (weight B), an agency's legal name, trade names and city
('simple' configuration, accents folded by `unaccent` when the extension is there, else lower case
only), created by migration 0019; "smi" is asked as ``'smi':*A``. The vector is stored, not an
index expression, so that checking the thousands of rows a common name matches reads it instead of
computing it again (15 µs a row with unaccent). On SQLite, FTS5 tables (`register_person_fts`,
`register_agency_fts`, tokenizer unicode61 without diacritics) kept in step by triggers, asked by
``names : ("smi" *)``. Either way a word of the query matches a word of the name that starts with
it: "Cruz" finds "de la Cruz" and "Ruiz-Cruz", "mith" finds nobody.

The functions here return conditions (`Q`) on a person or agency reached through ``prefix``, so the
callers keep their own joins, order and limits.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata

from django.db import DatabaseError, connection
from django.db.models import BooleanField, F, Func, Q, TextField, Value
from django.db.models.expressions import RawSQL

# The letters and digits of a word; a word of one character ("O" of "O'Brien") is left out, as the
# engines' parsers split at the apostrophe and a one-letter prefix would find everyone.
_TOKEN = re.compile(r"[^\W_]+")
TOKEN_MIN_CHARS = 2


def tokens(terms: list[str]) -> list[str]:
    """The words the engine is asked for: each term's letters and digits, split where the engines'
    parsers split names (hyphens, apostrophes, dots), words of one character left out."""
    found: list[str] = []
    for term in terms:
        for token in _TOKEN.findall(unicodedata.normalize("NFKC", term)):
            if len(token) >= TOKEN_MIN_CHARS and token.lower() not in found:
                found.append(token.lower())
    return found


class _Matches(Func):
    """``vector @@ query``."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()
    conditional = True


class _StoredVector(Func):
    """The `search_tsv` column of the table a field is reached in ("holder__given_name" gives the
    holder's): a column PostgreSQL computes on every write (not in the models, which SQLite shares)."""

    output_field = TextField()

    def __init__(self, field_path: str) -> None:
        super().__init__(F(field_path))

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        table = sql.rsplit(".", 1)[0]  # '"T4"."given_name"' -> '"T4"'
        return f'{table}."search_tsv"', params


def _tsquery(tokens_: list[str], weight: str = "") -> str:
    return " & ".join(f"{t}:*{weight}" for t in tokens_)


def _pg_match(vector: Func, query: str) -> Q:
    return Q(
        _Matches(vector, Func(Value(query), function="ombuds_tsquery", output_field=TextField()))
    )


def _fts_phrase(tokens_: list[str]) -> str:
    return " AND ".join('"{}" *'.format(t.replace('"', '""')) for t in tokens_)


def _fts_ids(table: str, match: str) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [match])


def person_match(prefix: str, tokens_: list[str]) -> Q:
    """The person (at ``prefix``, e.g. "holder__") has a given or family name word starting with
    every token."""
    if connection.vendor == "postgresql":
        return _pg_match(_StoredVector(f"{prefix}given_name"), _tsquery(tokens_, "A"))
    match = f"names : ({_fts_phrase(tokens_)})"
    return Q(**{f"{prefix}id__in": _fts_ids("register_person_fts", match)})


def person_city_match(prefix: str, tokens_: list[str]) -> Q:
    """The person (at ``prefix``) has a city whose words start with every token. Asked apart from
    the names (not as one query "names | city"): the index then finds the rows having every token,
    where a query with an "or" of its own makes it read every row having any of them."""
    if connection.vendor == "postgresql":
        return _pg_match(_StoredVector(f"{prefix}given_name"), _tsquery(tokens_, "B"))
    match = f"city : ({_fts_phrase(tokens_)})"
    return Q(**{f"{prefix}id__in": _fts_ids("register_person_fts", match)})


def agency_match(prefix: str, tokens_: list[str]) -> Q:
    """The agency (at ``prefix``) has words starting with every token in its legal name, trade
    names or city."""
    if connection.vendor == "postgresql":
        vector = _StoredVector(f"{prefix}legal_name")
        return _pg_match(vector, _tsquery(tokens_))
    return Q(**{f"{prefix}id__in": _fts_ids("register_agency_fts", _fts_phrase(tokens_))})


# --- the schema -----------------------------------------------------------------------------------
# Created by migration 0019 on the engine in use; SQLite's triggers are created again after every
# migrate (`sqlite_ensure`), since SQLite rebuilds a table to alter it and its triggers go with it.

_FTS_SOURCES = {
    "register_person_fts": (
        "register_person",
        "new.given_name || ' ' || new.family_name",
        "new.city",
        ("given_name", "family_name", "city"),
    ),
    "register_agency_fts": (
        "register_agency",
        "new.legal_name || ' ' || coalesce("
        "(SELECT group_concat(value, ' ') FROM json_each(new.trade_names)), '')",
        "new.city",
        ("legal_name", "trade_names", "city"),
    ),
}


def sqlite_ensure(cursor, *, rebuild: bool = False) -> None:
    """The FTS5 tables and their triggers on SQLite, refilled when a trigger was missing."""
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    existing = {row[0] for row in cursor.fetchall()}
    for fts, (table, names, city, columns) in _FTS_SOURCES.items():
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(names, city, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        triggers = {
            f"{fts}_ai": f"AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, names, city) VALUES (new.id, {names}, {city}); END",
            f"{fts}_ad": f"AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; END",
            f"{fts}_au": f"AFTER UPDATE OF {', '.join(columns)} ON {table} BEGIN "
            f"UPDATE {fts} SET names = {names}, city = {city} WHERE rowid = new.id; END",
        }
        missing = [name for name in triggers if name not in existing]
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {triggers[name]}")
        if rebuild or missing:
            cursor.execute(f"DELETE FROM {fts}")
            row = names.replace("new.", "t.")
            cursor.execute(
                f"INSERT INTO {fts}(rowid, names, city) "
                f"SELECT t.id, {row}, {city.replace('new.', 't.')} FROM {table} AS t"
            )


def sqlite_drop(cursor) -> None:
    for fts in _FTS_SOURCES:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        cursor.execute(f"DROP TABLE IF EXISTS {fts}")


def postgresql_create(cursor) -> None:
    """The SQL functions and GIN indexes the PostgreSQL search uses (outside a transaction: the
    indexes are built CONCURRENTLY, so a large register stays writable)."""
    cursor.execute("SELECT current_schema()")
    schema = cursor.fetchone()[0]
    fold = "lower($1)"
    # Not installed, or not allowed: lower case only.
    with contextlib.suppress(DatabaseError):
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    cursor.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'unaccent'"
    )
    found = cursor.fetchone()
    if found:
        fold = f'lower("{found[0]}".unaccent(\'"{found[0]}".unaccent\'::regdictionary, $1))'
    q = f'"{schema}".'
    for statement in (
        f"CREATE OR REPLACE FUNCTION {q}ombuds_fold(text) RETURNS text LANGUAGE sql IMMUTABLE "
        f"PARALLEL SAFE STRICT AS $$ SELECT {fold} $$",
        f"CREATE OR REPLACE FUNCTION {q}ombuds_person_tsv(text, text, text) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
        f"setweight(to_tsvector('pg_catalog.simple', {q}ombuds_fold("
        "coalesce($1, '') || ' ' || coalesce($2, ''))), 'A') || "
        f"setweight(to_tsvector('pg_catalog.simple', {q}ombuds_fold(coalesce($3, ''))), 'B') $$",
        f"CREATE OR REPLACE FUNCTION {q}ombuds_agency_tsv(text, jsonb, text) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
        f"to_tsvector('pg_catalog.simple', {q}ombuds_fold(coalesce($1, '') || ' ' || "
        "coalesce($2::text, '') || ' ' || coalesce($3, ''))) $$",
        f"CREATE OR REPLACE FUNCTION {q}ombuds_tsquery(text) RETURNS tsquery LANGUAGE sql "
        f"IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT to_tsquery('pg_catalog.simple', "
        f"{q}ombuds_fold($1)) $$",
        'ALTER TABLE "register_person" ADD COLUMN IF NOT EXISTS "search_tsv" tsvector '
        'GENERATED ALWAYS AS (ombuds_person_tsv("given_name", "family_name", "city")) STORED',
        'ALTER TABLE "register_agency" ADD COLUMN IF NOT EXISTS "search_tsv" tsvector '
        'GENERATED ALWAYS AS (ombuds_agency_tsv("legal_name", "trade_names", "city")) STORED',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "person_search_tsv" ON "register_person" '
        'USING gin ("search_tsv")',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "agency_search_tsv" ON "register_agency" '
        'USING gin ("search_tsv")',
    ):
        cursor.execute(statement)


def postgresql_drop(cursor) -> None:
    for statement in (
        'DROP INDEX CONCURRENTLY IF EXISTS "person_search_tsv"',
        'DROP INDEX CONCURRENTLY IF EXISTS "agency_search_tsv"',
        'ALTER TABLE "register_person" DROP COLUMN IF EXISTS "search_tsv"',
        'ALTER TABLE "register_agency" DROP COLUMN IF EXISTS "search_tsv"',
        "DROP FUNCTION IF EXISTS ombuds_tsquery(text)",
        "DROP FUNCTION IF EXISTS ombuds_agency_tsv(text, jsonb, text)",
        "DROP FUNCTION IF EXISTS ombuds_person_tsv(text, text, text)",
        "DROP FUNCTION IF EXISTS ombuds_fold(text)",
    ):
        cursor.execute(statement)
