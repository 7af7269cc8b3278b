"""The public search on PostgreSQL by the word tables (`register_person_word` and its pairs, kept by
triggers on register_person): they follow every write of a person, and a search through them
finds exactly what the GIN index of the vector finds."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection

from ombuds.register import fulltext, public
from ombuds.register.models import (
    Credential,
    CredentialProgram,
    Membership,
    MembershipType,
    Person,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's word tables"),
]


def words_of(person: Person) -> set[tuple[str, str, str | None]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, word, prev FROM register_person_word WHERE person_id = %s",
            [person.pk],
        )
        return set(cursor.fetchall())


def pairs_of(person: Person) -> set[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, word, other FROM register_person_word_pair WHERE person_id = %s",
            [person.pk],
        )
        return set(cursor.fetchall())


def test_the_word_tables_follow_a_persons_writes(body):
    ann = Person.objects.create(
        organization=body, given_name="Ann-Marie", family_name="Smith", city="Salt Lake City"
    )
    assert words_of(ann) == {
        ("A", "ann", None),
        ("A", "ann-marie", "ann"),
        ("A", "marie", "ann-marie"),
        ("A", "smith", "marie"),
        ("B", "city", None),
        ("B", "lake", "city"),
        ("B", "salt", "lake"),
    }
    assert ("A", "smith", "marie") in pairs_of(ann) and ("B", "salt", "city") in pairs_of(ann)
    assert len(pairs_of(ann)) == 4 * 3 + 3 * 2  # every ordered pair of two words of one kind

    ann.family_name, ann.city = "Smythé", "Austin"
    ann.save()
    assert words_of(ann) == {
        ("A", "ann", None),
        ("A", "ann-marie", "ann"),
        ("A", "marie", "ann-marie"),
        ("A", "smythe", "marie"),
        ("B", "austin", None),
    }
    assert ("A", "smith", "marie") not in pairs_of(ann)

    # A write that leaves the names and city alone leaves the words as they are; a bulk one too.
    ann.email = "ann@example.org"
    ann.save()
    Person.objects.filter(pk=ann.pk).update(given_name="Zoë")
    assert words_of(ann) == {("A", "smythe", None), ("A", "zoe", "smythe"), ("B", "austin", None)}
    assert pairs_of(ann) == {("A", "smythe", "zoe"), ("A", "zoe", "smythe")}

    kept = Person.objects.create(organization=body, given_name="Bo", family_name="Smythe")
    ann.delete()
    assert words_of(ann) == set() and pairs_of(ann) == set()
    assert words_of(kept) == {("A", "bo", None), ("A", "smythe", "bo")}


def keys_of(person: Person) -> set[tuple[str, str]]:
    """The sort keys the person's rows of both tables carry."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT family, given FROM register_person_word WHERE person_id = %s UNION "
            "SELECT family, given FROM register_person_word_pair WHERE person_id = %s",
            [person.pk, person.pk],
        )
        return set(cursor.fetchall())


def lower(text: str) -> str:
    """The database's lower case of a text (its LC_CTYPE decides what "Í" becomes, as it decides
    the order the search sorts by)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT lower(%s)", [text])
        return cursor.fetchone()[0]


def test_the_word_rows_carry_the_persons_sort_keys_through_every_write(body):
    """Each row carries the lower-case family and given names the search sorts by, also after a
    change that leaves the words alone (accents and case: "José" and "Jose" are one word)."""
    jose = Person.objects.create(organization=body, given_name="José", family_name="GARCÍA")
    assert keys_of(jose) == {(lower("GARCÍA"), lower("José"))}
    words = words_of(jose)
    jose.given_name, jose.family_name = "Jose", "Garcia"
    jose.save()
    assert words_of(jose) == words and keys_of(jose) == {("garcia", "jose")}
    Person.objects.filter(pk=jose.pk).update(family_name="García-López")
    assert keys_of(jose) == {(lower("García-López"), "jose")}
    jose.refresh_from_db()
    jose.email = "jose@example.org"
    jose.save()
    assert keys_of(jose) == {(lower("García-López"), "jose")}


@pytest.fixture
def register(body):
    """People whose names and cities make prefixes meet: shared beginnings, a word twice, a name
    that is a city, accents, hyphens, apostrophes, several words; with credentials of a programme
    that publishes the city and of one that does not, and people's and agencies' memberships."""
    cities = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified", abbreviation="CGP", public_fields=["city"]
    )
    hidden = CredentialProgram.objects.create(
        organization=body, code="hid", name="Hidden city", abbreviation="HID", public_fields=[]
    )
    person_type = MembershipType.objects.create(organization=body, code="m", name="Member")
    numbers = itertools.count(1)
    people = [
        ("Yuki", "Novak", "Springfield"),
        ("Yukiko", "Novakova", "Austin"),
        ("Yuki", "Yukimura", "Yuma"),
        ("Austin", "Austin", "Austin"),
        ("Springfield", "Jones", "Portland"),
        ("José", "García", "San José"),
        ("Jose", "Garcia-Novak", "Salt Lake City"),
        ("Seán", "O'Brien", "Lake Forest"),
        ("Maria", "de la Cruz", "Santa Cruz"),
        ("Ann", "Smith", "Smithville"),
        ("Anna", "Smithson", "Springfield"),
        ("Ann Marie", "Smith-Jones", "Springfield"),
        ("Wei", "Nguyen", "Columbus"),
        ("Olu", "Okafor", "Yukon"),
        ("Novak", "Novak", "Novak"),
        # Two words of one person in the range of "ben", before another person's: found once.
        ("Ben", "Benson", "Bentonville"),
        ("Bento", "Box", "Lake"),
    ]
    for n, (given, family, city) in enumerate(people):
        person = Person.objects.create(
            organization=body, given_name=given, family_name=family, city=city
        )
        for program in (cities, hidden) if n % 3 else (cities,):
            Credential.objects.create(
                program=program,
                holder=person,
                number=f"{program.abbreviation}-{next(numbers):04d}",
                status="active",
                issued_on=dt.date(2023, 1, 1),
            )
        if n % 4 == 0:
            Membership.objects.create(
                organization=body, membership_type=person_type, person=person, number=f"M-{n}"
            )
    return body


QUERIES = [
    "yuki",
    "yuk",
    "yuki novak",
    "novak yuki",
    "yu nov",
    "novak novak",
    "nov novak",
    "yuki yukimura",
    "austin",
    "aus austin",
    "springfield",
    "spring jones",
    "jose",
    "josé garcía",
    "garcia novak",
    "salt lake",
    "lake",
    "san jose",
    "o'brien",
    "brien sean",
    "de la cruz",
    "cruz",
    "santa cruz maria",
    "smith",
    "smi",
    "smith ann",
    "ann smith jones",
    "ann marie smith",
    "smithville ann",
    "springfield ann",
    "wei nguyen columbus",
    "yukon",
    "ben",
    "nobody",
]


def _everything(org, query, limit=100):
    found = public.register_search(org, query, limit=limit)
    return found.outcome, [r.number for r in found.results], found.truncated, found.sampled


def test_the_word_tables_find_what_the_vector_finds(register, monkeypatch):
    """Every query gives the same entries, in the same order, with the same messages, through the
    word tables as through the GIN index."""
    by_words = {q: _everything(register, q) for q in QUERIES}
    monkeypatch.setattr(fulltext, "pg_words_usable", lambda tokens: False)
    assert by_words == {q: _everything(register, q) for q in QUERIES}
    assert sum(1 for outcome, *_ in by_words.values() if outcome == "found") >= 25


def test_the_word_tables_read_some_matches_when_more_match_than_a_search_reads(
    register, settings, monkeypatch
):
    """With a search reading 2 matches of each kind (and showing 1), both ways say alike whether
    they read only some; below that, they show the same entry."""
    settings.OMBUDS_REGISTER_SEARCH_SCAN = 2
    by_words = {q: _everything(register, q, limit=1) for q in QUERIES}
    all_matches = {q: _everything(register, q)[1] for q in QUERIES}
    monkeypatch.setattr(fulltext, "pg_words_usable", lambda tokens: False)
    by_vector = {q: _everything(register, q, limit=1) for q in QUERIES}
    assert sum(1 for *_, sampled in by_words.values() if sampled) >= 10
    for query, (outcome, numbers, truncated, sampled) in by_words.items():
        vector_outcome, vector_numbers, vector_truncated, vector_sampled = by_vector[query]
        assert (outcome, truncated, sampled) == (vector_outcome, vector_truncated, vector_sampled)
        if not sampled:
            assert numbers == vector_numbers, query
        else:  # one of the matches
            assert set(numbers) <= set(all_matches[query]), query


def test_a_generic_plan_finds_what_a_plan_for_the_words_finds(register, settings):
    """The statement is prepared after a few runs and PostgreSQL may then keep one plan for every
    search of its shape, made without the words: forced to, it gives the same entries, order and
    `sampled`, at a scan that samples and at one that does not."""
    for scan in (2, 500):
        settings.OMBUDS_REGISTER_SEARCH_SCAN = scan
        custom = {q: _everything(register, q, limit=1 if scan == 2 else 100) for q in QUERIES}
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            for _ in range(6):  # prepared from the fifth run (DB_PREPARE_THRESHOLD)
                generic = {
                    q: _everything(register, q, limit=1 if scan == 2 else 100) for q in QUERIES
                }
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET plan_cache_mode")
        assert generic == custom


def test_the_search_is_never_read_by_parallel_workers(register):
    """Which matches a capped search reads first is the plan's order (names, then cities, each in
    the btree's order); parallel workers would hand them in any order (at a million people
    PostgreSQL chose a Parallel Append of the two, cities first). Even where it is told that
    workers cost nothing, the word tables are read by the statement's own process, in order."""
    from django.db.backends import utils

    captured = []
    execute = utils.CursorWrapper.execute

    def capture(self, sql, params=None):
        captured.append((sql, params))
        return execute(self, sql, params)

    with connection.cursor() as cursor:
        for setting in (
            "parallel_setup_cost = 0",
            "parallel_tuple_cost = 0",
            "min_parallel_table_scan_size = 0",
            "min_parallel_index_scan_size = 0",
            "max_parallel_workers_per_gather = 2",
        ):
            cursor.execute(f"SET {setting}")
        try:
            for query in ("smith", "springfield", "yuki novak"):
                captured.clear()
                utils.CursorWrapper.execute = capture
                try:
                    public.register_search(register, query)
                finally:
                    utils.CursorWrapper.execute = execute
                sql, params = captured[-1]
                assert "register_person_word" in sql
                cursor.execute(f"EXPLAIN {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                parallel = [line for line in plan.splitlines() if "Parallel" in line]
                assert not [line for line in parallel if "Append" in line or "_word" in line], plan
        finally:
            cursor.execute("RESET ALL")


def test_tokens_the_word_tables_cannot_fold_as_the_vector_does_keep_the_vector():
    assert fulltext.pg_words_usable(["smith", "garcía", "müller", "o", "2024"])
    assert not fulltext.pg_words_usable(["smith", "øster"])  # "ø" has no accent to take off
    assert not fulltext.pg_words_usable(["иван"])


def test_a_prefix_of_another_word_of_the_query_asks_nothing_more():
    assert fulltext._needed(["smi", "smith", "ann"]) == ["smith", "ann"]
    assert fulltext._needed(["josé", "jose"]) == ["josé"]


def _plan_of_search(register, query: str) -> str:
    """The search statement's plan as run (EXPLAIN ANALYZE) for a query."""
    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        public.register_search(register, query)
    sql, params = captured[-1]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_city_nobody_is_named_after_checks_no_row_against_the_names(register):
    """The holders found by city are checked against the names (each is shown once) only when
    somebody is found by name at all: "Yukon" names nobody, so none of its rows is looked up;
    "Springfield" names Springfield Jones, so its rows are (the results are compared with the
    GIN query's above)."""

    def name_checks(plan: str) -> list[str]:
        return [line for line in plan.splitlines() if "register_person_word x" in line]

    yukon, springfield = (
        _plan_of_search(register, "yukon"),
        _plan_of_search(register, "springfield"),
    )
    assert name_checks(yukon) and all("never executed" in x for x in name_checks(yukon)), yukon
    assert any("never executed" not in x for x in name_checks(springfield)), springfield
