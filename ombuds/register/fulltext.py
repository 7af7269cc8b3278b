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

The functions here return SQL conditions and subqueries, so that the search's statements
(`public_search`) keep their own joins, order and limits.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata

from django.db import DatabaseError, connection

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


def tsquery(tokens_: list[str], weight: str = "") -> str:
    """The text `ombuds_tsquery` makes a query of: every token as a prefix, of a weight if given
    ("A" a person's names, "B" their city)."""
    return " & ".join(f"{t}:*{weight}" for t in tokens_)


def fts_phrase(tokens_: list[str]) -> str:
    """An FTS5 query: every token as a prefix."""
    return " AND ".join('"{}" *'.format(t.replace('"', '""')) for t in tokens_)


def fts_ids(table: str, match: str) -> tuple[str, list]:
    """``SELECT rowid`` of the rows of an FTS5 table matching a query, with its parameters."""
    return f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [match]


def any_of(column: str, subquery: str) -> str:
    """``column`` is one of the values of a subquery. On PostgreSQL ``column = ANY(ARRAY(…))``:
    the subquery is run once, then the column is looked up in its index for each value, where
    with ``IN (subquery)`` the planner reads a whole table of a few thousand rows to join it with
    a few hundred."""
    if connection.vendor == "postgresql":
        return f"({column} = ANY(ARRAY({subquery})))"
    return f"{column} IN ({subquery})"


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


# --- PostgreSQL: the word tables ------------------------------------------------------------------
# A GIN index answers a prefix ('yuki':*) by reading the posting list of every word starting with it
# into a bitmap: the cost follows the people having the word, not the rows a search reads. So the
# database also keeps, for each person, the words of the same vector as rows (`register_person_word`:
# the person, the kind "A" of a name's word or "B" of a city's, the word, and the person's previous
# word of that kind in byte order) and every ordered pair of two different words of one kind
# (`register_person_word_pair`), with btrees on (kind, word, …). A prefix is then a range of a btree
# that the engine stops reading at the search's cap. A person is found once: by the first of their
# words in the range (whose previous word is before the prefix), so a person having "Yuki" and
# "Yukiko" is not counted twice. Two words are one range of the pairs for each word starting with
# the longer (`_pg_words_sql`); a third is checked person by person.

WORD_TABLE = "register_person_word"
PAIR_TABLE = "register_person_word_pair"
NAME, CITY = "A", "B"


def pg_words_usable(tokens_: list[str]) -> bool:
    """Whether the word tables answer these tokens exactly as the vector does: on PostgreSQL, when
    each token is made of Latin letters (accents allowed) and digits, which `ombuds_fold` turns into
    the one word that ``to_tsquery`` would make of it. Other scripts keep the GIN index."""
    return connection.vendor == "postgresql" and all(
        _plain(t).isascii() and _plain(t).isalnum() for t in tokens_
    )


def _plain(token: str) -> str:
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _needed(tokens_: list[str]) -> list[str]:
    """The tokens whose matches are not implied by another's, longest first: a word starting with
    "smith" starts with "smi", so "smi smith" asks for "smith" only. What remains are tokens no
    word starts with two of, so that two of them are two different words of a person. (Compared
    folded as `pg_words_usable` allows, which is what `ombuds_fold` makes of such tokens.)"""
    kept: dict[str, str] = {}
    for token in sorted(tokens_, key=lambda t: len(_plain(t)), reverse=True):
        plain = _plain(token)
        if not any(other.startswith(plain) for other in kept):
            kept[plain] = token
    return list(kept.values())


# A folded token (parameter), computed once a statement (an InitPlan): as a function of the
# parameter in a row's condition it would be computed again for every row read.
_FOLD = "(SELECT ombuds_search_fold(%s))"


def _range(column: str) -> str:
    """`column` starts with the folded token (parameter, twice): a range of the btree that a plan
    made without the token can read (``LIKE`` needs the token when planning)."""
    return f"{column} >= {_FOLD} AND {column} < (SELECT ombuds_search_fold_next(%s))"


_FIRST = "({0}.prev IS NULL OR {0}.prev < " + _FOLD + ")"


def _pg_words_sql(tokens_: list[str], kind: str, *, keys: bool = False) -> tuple[str, list]:
    """``SELECT person_id`` of the people whose words of `kind` start with every token, each once,
    in the order of the btree, so that a LIMIT stops the reading; with `keys`, also their names'
    sort keys (``family``, ``given``) carried by the rows read."""
    assert kind in (NAME, CITY)  # written into the statement
    first, *rest = _needed(tokens_)
    if not rest:
        sql = (
            f"SELECT w.person_id{_KEYS.format('w') if keys else ''} FROM {WORD_TABLE} w "
            f"WHERE w.kind = '{kind}' AND {_range('w.word')} "
            f"AND {_FIRST.format('w')}"
        )
        return sql, [first, first, first]
    second, *others = rest
    # The words starting with `first`, one index look-up each (min() reads the btree's next entry).
    words = (
        f"WITH RECURSIVE f(word) AS ((SELECT min(w.word) FROM {WORD_TABLE} w WHERE w.kind = '{kind}' "
        f"AND {_range('w.word')}) UNION ALL SELECT (SELECT min(w.word) FROM {WORD_TABLE} w "
        f"WHERE w.kind = '{kind}' AND w.word > f.word AND {_range('w.word')}) FROM f "
        "WHERE f.word IS NOT NULL) SELECT f.word FROM f WHERE f.word IS NOT NULL"
    )
    sql = (
        f"SELECT p.person_id{_KEYS.format('p') if keys else ''} FROM ({words}) f JOIN {PAIR_TABLE} p "
        f"ON p.kind = '{kind}' "
        f"AND p.word = f.word AND {_range('p.other')} AND {_FIRST.format('p')} "
        f"AND (p.other_prev IS NULL OR p.other_prev < {_FOLD})"
    )
    params = [first, first, first, first, second, second, first, second]
    for token in others:
        sql += f" AND {_pg_has_sql('p.person_id', kind)}"
        params += [token, token]
    return sql, params


_KEYS = ", {0}.family, {0}.given"


def _pg_has_sql(person: str, kind: str, *, row_by_row: bool = False, gate: str = "") -> str:
    """The person has a word of `kind` starting with a token (parameter). With
    `row_by_row`, asked of each row as it comes (``OFFSET 0`` keeps it a correlated subplan rather
    than a join), which also keeps the statement out of parallel workers (see
    `pg_credential_ids`). With a `gate` (a condition of no row, its parameters before the
    token's), nothing is looked up while the gate is false (a one-time filter)."""
    return (
        f"EXISTS (SELECT FROM {WORD_TABLE} x WHERE {gate + ' AND ' if gate else ''}"
        f"x.person_id = {person} AND x.kind = '{kind}' "
        f"AND {_range('x.word')}{' OFFSET 0' if row_by_row else ''})"
    )


def pg_person_ids(tokens_: list[str]) -> tuple[str, list]:
    """``SELECT person_id`` of the people whose name words start with every token, with its
    parameters."""
    return _pg_words_sql(tokens_, NAME)


def pg_credential_ids(
    tokens_: list[str], programs: list[int], city_programs: list[int], scan: int
) -> tuple[str, list]:
    """``SELECT id, number, family, given`` of the first `scan` credentials found, of the
    `programs`, whose holder's name words start with every token, or whose holder's city words do
    where the programme is one of `city_programs`: first those found by name, then by city those
    whose holder is not found by name, so that each credential comes once. Unordered: the engine
    stops at the `scan`-th. ``family`` and ``given`` are the holder's sort keys, read from the word
    rows, so that the first by name come without reading the people.

    Which `scan` come first is the plan's order: the names' range then the cities', each in the
    btree's order. PostgreSQL would otherwise read the two in parallel workers at a million people
    (a Parallel Append, cities' range first, rows in whichever order the workers hand them): a
    different sample from one run to the next, and slower. The word tables are never scanned in
    parallel (``parallel_workers = 0``) and the cities' check of each row is a correlated subplan,
    which keeps the union out of parallel plans."""
    names, params = _pg_words_sql(tokens_, NAME, keys=True)
    found = f"SELECT n.person_id, n.family, n.given, true AS by_name FROM ({names}) n"
    if city_programs:
        cities, city_params = _pg_words_sql(tokens_, CITY, keys=True)
        needed = _needed(tokens_)
        # Whether anybody has a name word starting with the first token (which everybody found
        # by name has) is asked once, as the gate of the first check (an InitPlan, one step of
        # the btree): when nobody has, as for most cities, no row of the cities is looked up in
        # the names (was: one look-up each, up to `scan`). The same rows either way. The plans'
        # costs change by that one step only, so the planner keeps its plans and they read the
        # same first matches: the gate written as the whole names query (two words: a recursive
        # CTE) was priced into every row's check and turned a join of a 1,000-person register
        # into another, whose first 30 were others.
        gate = (
            f"(SELECT EXISTS (SELECT FROM {WORD_TABLE} g WHERE g.kind = '{NAME}' "
            f"AND {_range('g.word')}))"
        )
        anybody_params = [needed[0], needed[0]]
        by_name = " AND ".join(
            _pg_has_sql("b.person_id", NAME, row_by_row=True, gate=gate if n == 0 else "")
            for n in range(len(needed))
        )
        found += (
            f" UNION ALL SELECT b.person_id, b.family, b.given, false FROM ({cities}) b "
            f"WHERE NOT ({by_name})"
        )
        params += city_params + anybody_params + [v for token in needed for v in (token, token)]
    sql = (
        f"SELECT c.id, c.number, m.family, m.given FROM ({found}) m "
        "JOIN register_credential c ON c.holder_id = m.person_id "
        f"WHERE c.program_id = ANY({_ints(programs)}) "
        f"AND (m.by_name OR c.program_id = ANY({_ints(city_programs)})) LIMIT {int(scan)}"
    )
    return sql, params


def _ints(values: list[int]) -> str:
    """An array of whole numbers written into the statement (the body's programmes: known when
    planning, as the words are not, so a plan for one search serves every search of the body)."""
    return f"ARRAY[{', '.join(str(int(v)) for v in values)}]::bigint[]"


# The rows of one person: their vector's words of each weight, with the previous one in byte order.
_WORDS_FUNCTION = """
CREATE OR REPLACE FUNCTION {q}ombuds_person_words(tsvector)
RETURNS TABLE (kind "char", word text, prev text) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT s.kind, s.word, lag(s.word) OVER (PARTITION BY s.kind ORDER BY s.word)
FROM (SELECT DISTINCT w.weight::"char" AS kind, u.lexeme COLLATE "C" AS word
      FROM unnest($1) AS u, unnest(u.weights) AS w(weight)) AS s $$
"""
# A token folded as `ombuds_fold` folds it, and the end of the range of the words starting with it:
# its last character's successor (in byte order, "C", which is the code points' order): "smi" ->
# "smj", so that ``word >= 'smi' AND word < 'smj'`` is exactly the words starting with "smi".
# PL/pgSQL and STABLE, so that the planner never folds them into constants: a plan made for one
# search's words is then costed as the plan made for every search of the shape (a generic plan),
# which PostgreSQL therefore keeps after five runs of a prepared statement, and the words do not
# change the plan (nor which matches a capped search reads first). Each is run once a statement.
# PARALLEL UNSAFE: a statement using them is planned without workers, whatever its tables, so the
# first matches a search reads (its `sampled` results) are the same from one run to the next.
_SEARCH_FOLD_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION {q}ombuds_search_fold(text) RETURNS text LANGUAGE plpgsql STABLE
PARALLEL UNSAFE STRICT AS $$ BEGIN RETURN {q}ombuds_fold($1); END $$
""",
    """
CREATE OR REPLACE FUNCTION {q}ombuds_search_fold_next(text) RETURNS text LANGUAGE plpgsql STABLE
PARALLEL UNSAFE STRICT AS $$ DECLARE folded text := {q}ombuds_fold($1);
BEGIN RETURN left(folded, -1) || chr(ascii(right(folded, 1)) + 1); END $$
""",
)
# Both tables' rows for the people of a set (a trigger's transition table, or register_person),
# each with the person's sort keys as the search orders by them (lower case, the database's
# collation): what `public_search` sorts the matches by without reading the people.
_ADD_WORDS = """
INSERT INTO {q}{words} (person_id, kind, word, prev, family, given)
SELECT n.id, w.kind, w.word, w.prev, lower(n.family_name), lower(n.given_name)
FROM {rows} AS n, {q}ombuds_person_words(n.search_tsv) AS w;
INSERT INTO {q}{pairs} (person_id, kind, word, other, prev, other_prev, family, given)
SELECT n.id, a.kind, a.word, b.word, a.prev, b.prev, lower(n.family_name), lower(n.given_name)
FROM {rows} AS n,
    {q}ombuds_person_words(n.search_tsv) AS a, {q}ombuds_person_words(n.search_tsv) AS b
WHERE b.kind = a.kind AND b.word <> a.word;
"""
_DROP_WORDS = """
DELETE FROM {q}{words} WHERE person_id IN (SELECT r.id FROM {rows} AS r);
DELETE FROM {q}{pairs} WHERE person_id IN (SELECT r.id FROM {rows} AS r);
"""


def _trigger_functions(q: str) -> dict[str, str]:
    """The triggers' bodies, by event: statement triggers reading transition tables, so a bulk write
    is one set-based pass; an update rewrites only the people whose vector or names changed (the
    rows carry the names' sort keys). Each statement is run by EXECUTE, so planned for the rows at
    hand: PL/pgSQL would otherwise keep the plan made for the first write of the session (a bulk
    import's hash joins and JIT, 300 ms, for every later one-person write)."""
    names = {"q": q, "words": WORD_TABLE, "pairs": PAIR_TABLE}
    columns = "id, search_tsv, family_name, given_name"
    changed_old = f"(SELECT {columns} FROM old_rows EXCEPT SELECT {columns} FROM new_rows)"
    changed_new = f"(SELECT {columns} FROM new_rows EXCEPT SELECT {columns} FROM old_rows)"
    bodies = {
        "INSERT": _ADD_WORDS.format(rows="new_rows", **names),
        "UPDATE": _DROP_WORDS.format(rows=changed_old, **names)
        + _ADD_WORDS.format(rows=changed_new, **names),
        "DELETE": _DROP_WORDS.format(rows="old_rows", **names),
        "TRUNCATE": f"TRUNCATE {q}{WORD_TABLE}, {q}{PAIR_TABLE};",
    }
    return {
        event: " ".join(
            f"EXECUTE $sql${statement.strip()}$sql$;"
            for statement in body.split(";")
            if statement.strip()
        )
        for event, body in bodies.items()
    }


def _transition(event: str) -> str:
    return {
        "INSERT": "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT",
        "DELETE": "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
        "TRUNCATE": "FOR EACH STATEMENT",
    }[event]


WORD_INDEXES = {
    "person_word_range": f"{WORD_TABLE} (kind, word, person_id) INCLUDE (prev, family, given)",
    "person_word_person": f"{WORD_TABLE} (person_id, kind, word)",
    "person_word_pair_range": (
        f"{PAIR_TABLE} (kind, word, other, person_id) INCLUDE (prev, other_prev, family, given)"
    ),
    "person_word_pair_person": f"{PAIR_TABLE} (person_id)",
}


_WORD_COLUMNS = (
    'person_id bigint NOT NULL, kind "char" NOT NULL, word text COLLATE "C" NOT NULL, '
    'prev text COLLATE "C", family text NOT NULL, given text NOT NULL'
)
_PAIR_COLUMNS = (
    'person_id bigint NOT NULL, kind "char" NOT NULL, word text COLLATE "C" NOT NULL, '
    'other text COLLATE "C" NOT NULL, prev text COLLATE "C", other_prev text COLLATE "C", '
    "family text NOT NULL, given text NOT NULL"
)


def postgresql_create_words(conn) -> None:
    """The word tables, their triggers on register_person and their rows for the people there
    already, written while the people are locked against writes (so that none is missed or added
    twice), with their btrees, in one transaction; then VACUUM ANALYZE. Needs
    `postgresql_create`'s functions and vector.

    Tables of the older shape (migration 0020 before the sort keys) are kept, given the keys'
    columns, emptied and filled again, rather than dropped: the grants an operator gave the
    application's role on them stay (docs/deployment.md, "Database roles"). The btrees are built
    in the transaction, so no search ever reads the tables without them; searches wait for the
    transaction instead (the refill took 59 s at a million people;
    the btrees come on top)."""
    from django.db import transaction

    with conn.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        q = f'"{cursor.fetchone()[0]}".'
        with transaction.atomic(using=conn.alias):
            cursor.execute('LOCK TABLE "register_person" IN SHARE ROW EXCLUSIVE MODE')
            cursor.execute(_WORDS_FUNCTION.format(q=q))
            for function in _SEARCH_FOLD_FUNCTIONS:
                cursor.execute(function.format(q=q))
            # Never scanned in parallel: a search reads a few hundred rows of a range in the
            # btree's order, and workers would both cost more than that and make which rows come
            # first (the `sampled` results) differ from one run to the next.
            for table, columns in ((WORD_TABLE, _WORD_COLUMNS), (PAIR_TABLE, _PAIR_COLUMNS)):
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {q}{table} ({columns})")
                cursor.execute(
                    f"ALTER TABLE {q}{table} ADD COLUMN IF NOT EXISTS family text NOT NULL "
                    "DEFAULT '', ADD COLUMN IF NOT EXISTS given text NOT NULL DEFAULT '', "
                    "SET (parallel_workers = 0)"
                )
                cursor.execute(
                    f"ALTER TABLE {q}{table} ALTER family DROP DEFAULT, ALTER given DROP DEFAULT"
                )
            for name in WORD_INDEXES:  # an older INCLUDE list: made again below
                cursor.execute(f'DROP INDEX IF EXISTS {q}"{name}"')
            cursor.execute(f"TRUNCATE {q}{WORD_TABLE}, {q}{PAIR_TABLE}")
            for event, body in _trigger_functions(q).items():
                name = f"ombuds_person_words_{event.lower()}"
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {q}{name}() RETURNS trigger LANGUAGE plpgsql "
                    f"SET jit = off AS $$ BEGIN {body} RETURN NULL; END $$"
                )
                cursor.execute(f'DROP TRIGGER IF EXISTS {name} ON "register_person"')
                cursor.execute(
                    f'CREATE TRIGGER {name} AFTER {event} ON "register_person" '
                    f"{_transition(event)} EXECUTE FUNCTION {q}{name}()"
                )
            names = {"q": q, "words": WORD_TABLE, "pairs": PAIR_TABLE}
            cursor.execute(_ADD_WORDS.format(rows='"register_person"', **names))
            for name, target in WORD_INDEXES.items():
                cursor.execute(f'CREATE INDEX "{name}" ON {q}{target}')
            cursor.execute(f"ANALYZE {q}{WORD_TABLE}, {q}{PAIR_TABLE}")
        # Outside the transaction: index-only scans need the visibility map.
        cursor.execute(f"VACUUM {q}{WORD_TABLE}, {q}{PAIR_TABLE}")


def words_have_sort_keys(conn) -> bool:
    """Whether the word tables exist with the sort keys' columns (made by this code's 0020)."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s AND column_name = 'family'",
            [WORD_TABLE],
        )
        return cursor.fetchone() is not None


def postgresql_create_word_indexes(cursor) -> None:
    """The word tables' btrees (outside a transaction), then VACUUM ANALYZE, so that the planner
    knows them and reads the btrees alone (index-only scans need the visibility map)."""
    for name, target in WORD_INDEXES.items():
        cursor.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON {target}')
    cursor.execute(f"VACUUM ANALYZE {WORD_TABLE}, {PAIR_TABLE}")


def postgresql_drop_words(cursor) -> None:
    for event in ("INSERT", "UPDATE", "DELETE", "TRUNCATE"):
        name = f"ombuds_person_words_{event.lower()}"
        cursor.execute(f'DROP TRIGGER IF EXISTS {name} ON "register_person"')
        cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    cursor.execute(f"DROP TABLE IF EXISTS {WORD_TABLE}, {PAIR_TABLE}")
    cursor.execute("DROP FUNCTION IF EXISTS ombuds_person_words(tsvector)")
    cursor.execute("DROP FUNCTION IF EXISTS ombuds_search_fold(text)")
    cursor.execute("DROP FUNCTION IF EXISTS ombuds_search_fold_next(text)")
