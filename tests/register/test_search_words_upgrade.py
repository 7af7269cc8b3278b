"""Migration register 0021 on a database whose word tables have the older shape (0020 before the
sort keys): the tables are kept with the grants an operator gave on them, given the keys' columns
and filled again, each person's rows carrying the keys; the btrees are made again with the keys in
them; the triggers keep the new columns; and run again, it does nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from ombuds.register import fulltext, public
from ombuds.register.models import Credential, CredentialProgram, Person

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's word tables"),
    pytest.mark.django_db(transaction=True),
]

MIGRATION = ("register", "0021_search_words_sort_keys")
TABLES = (fulltext.WORD_TABLE, fulltext.PAIR_TABLE)
QUERIES = ["smith", "smi", "ann smith", "springfield", "garcía", "jose garcia", "lake", "nobody"]


def _rows(cursor) -> dict[str, set[tuple]]:
    cursor.execute(f"SELECT person_id, kind, word, prev, family, given FROM {fulltext.WORD_TABLE}")
    words = set(cursor.fetchall())
    cursor.execute(f"SELECT person_id, kind, word, other, family, given FROM {fulltext.PAIR_TABLE}")
    return {"words": words, "pairs": set(cursor.fetchall())}


def _searches(body) -> dict[str, tuple]:
    return {
        q: (found.outcome, [r.number for r in found.results])
        for q in QUERIES
        for found in [public.register_search(body, q)]
    }


def _make_older_shape(cursor) -> None:
    """The tables as 0020 made them before the keys: no keys' columns, btrees without them, and
    triggers writing rows without them; and a grant an operator gave."""
    for name in fulltext.WORD_INDEXES:
        cursor.execute(f'DROP INDEX "{name}"')
    for table in TABLES:
        cursor.execute(f"ALTER TABLE {table} DROP COLUMN family, DROP COLUMN given")
        cursor.execute(f"GRANT SELECT ON {table} TO PUBLIC")
    cursor.execute(
        f'CREATE INDEX "person_word_range" ON {fulltext.WORD_TABLE} (kind, word, person_id) '
        "INCLUDE (prev)"
    )
    cursor.execute(
        "CREATE OR REPLACE FUNCTION ombuds_person_words_insert() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {fulltext.WORD_TABLE} (person_id, kind, word, prev) "
        "SELECT n.id, w.kind, w.word, w.prev FROM new_rows AS n, "
        "ombuds_person_words(n.search_tsv) AS w; RETURN NULL; END $$"
    )


def _relfilenodes(cursor) -> list[int]:
    cursor.execute(
        "SELECT relfilenode FROM pg_class WHERE relname = ANY(%s) ORDER BY relname", [list(TABLES)]
    )
    return [row[0] for row in cursor.fetchall()]


def _apply_0021_again() -> None:
    MigrationRecorder(connection).record_unapplied(*MIGRATION)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([MIGRATION])


def test_0021_upgrades_the_older_word_tables_in_place(body):
    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified", abbreviation="CGP", public_fields=["city"]
    )
    for n, (given, family, city) in enumerate(
        [
            ("Ann", "Smith", "Springfield"),
            ("Anna", "Smithson", "Lake Forest"),
            ("José", "García", "Salt Lake City"),
            ("Jose", "Garcia-Smith", "Springfield"),
        ]
    ):
        person = Person.objects.create(
            organization=body, given_name=given, family_name=family, city=city
        )
        Credential.objects.create(
            program=program, holder=person, number=f"CGP-{n}", status="active"
        )
    with connection.cursor() as cursor:
        expected_rows = _rows(cursor)
    expected_searches = _searches(body)
    assert expected_searches["smith"][0] == "found" and len(expected_searches["smith"][1]) == 3

    with connection.cursor() as cursor:
        _make_older_shape(cursor)
    try:
        assert not fulltext.words_have_sort_keys(connection)
        _apply_0021_again()
        assert fulltext.words_have_sort_keys(connection)
        with connection.cursor() as cursor:
            assert _rows(cursor) == expected_rows
            for table in TABLES:  # the operator's grant is kept
                cursor.execute("SELECT has_table_privilege('public', %s, 'SELECT')", [table])
                assert cursor.fetchone()[0] is True, table
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
                [list(fulltext.WORD_INDEXES)],
            )
            indexes = dict(cursor.fetchall())
        assert set(indexes) == set(fulltext.WORD_INDEXES)
        assert "family, given" in indexes["person_word_range"]
        assert _searches(body) == expected_searches

        # The triggers are this code's: a new person's rows carry the keys.
        added = Person.objects.create(organization=body, given_name="Zoë", family_name="SMITH")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT family, given FROM {fulltext.WORD_TABLE} WHERE person_id = %s",
                [added.pk],
            )
            assert cursor.fetchall() == [("smith", "zoë")]
            # Run again on tables that have the keys, it leaves them alone (no refill).
            before = _relfilenodes(cursor)
        _apply_0021_again()
        with connection.cursor() as cursor:
            assert _relfilenodes(cursor) == before
    finally:
        if not fulltext.words_have_sort_keys(connection):
            fulltext.postgresql_create_words(connection)
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"REVOKE SELECT ON {table} FROM PUBLIC")
