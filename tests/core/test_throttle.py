"""The public register's rate limits count in the database (`RateCount`): one atomic increment per
request, shared by every thread, process and machine, so that parallel requests are all counted."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from ombuds.cases.models import BodyProcedure, Case
from ombuds.core import throttle
from ombuds.core.models import RateCount
from ombuds.register import public
from ombuds.register.models import Credential, CredentialProgram, Person

API = "/api/v1/bodies"
WINDOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def credential(body) -> Credential:
    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )
    holder = Person.objects.create(organization=body, given_name="Ann", family_name="Smith")
    return Credential.objects.create(
        program=program, holder=holder, number="CGP-0001", status="active"
    )


# --- counting -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_increment_is_counted_exactly():
    counts = [throttle.rate_count_increment("search:192.0.2.1", WINDOW) for _ in range(25)]
    assert counts == list(range(1, 26))
    (row,) = RateCount.objects.all()
    assert (row.key, row.window_start, row.count) == ("search:192.0.2.1", WINDOW, 25)


@pytest.mark.django_db
def test_keys_and_windows_are_counted_apart_when_interleaved():
    later = WINDOW + dt.timedelta(minutes=1)
    seen = {("a", WINDOW): 0, ("b", WINDOW): 0, ("a", later): 0}
    for n in range(30):
        key, window = list(seen)[n % 3]
        seen[key, window] = throttle.rate_count_increment(key, window)
    assert seen == {("a", WINDOW): 10, ("b", WINDOW): 10, ("a", later): 10}
    assert sorted(RateCount.objects.values_list("key", "count")) == [
        ("a", 10),
        ("a", 10),
        ("b", 10),
    ]


@pytest.mark.django_db
def test_a_window_created_by_a_parallel_request_is_counted_on(monkeypatch):
    """Between our UPDATE (no row yet) and our INSERT, another request creates the window's row: the
    unique constraint refuses ours, and the increment is made on theirs."""
    real_update = QuerySet.update
    parallel = []

    def update_while_another_request_creates_the_row(self, **fields):
        updated = real_update(self, **fields)
        if self.model is RateCount and not parallel:
            parallel.append(RateCount.objects.create(key="lookup:x", window_start=WINDOW, count=1))
        return updated

    monkeypatch.setattr(QuerySet, "update", update_while_another_request_creates_the_row)
    assert throttle.rate_count_increment("lookup:x", WINDOW) == 2
    assert parallel and RateCount.objects.get().count == 2
    # The refused INSERT left the transaction the caller is in usable.
    assert throttle.rate_count_increment("lookup:x", WINDOW) == 3


@pytest.mark.django_db(transaction=True)
def test_increments_from_parallel_threads_are_all_counted():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads share SQLite's in-memory test database through its shared cache, where a busy
        # table fails at once ("database table is locked") instead of waiting its turn.
        pytest.skip("needs a database that lets threads wait for a lock (PostgreSQL)")
    threads, each = 8, 25
    start = threading.Barrier(threads)

    def work(_n: int) -> list[int]:
        try:
            start.wait()
            return [throttle.rate_count_increment("search:192.0.2.9", WINDOW) for _ in range(each)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(threads) as pool:
        seen = [c for counts in pool.map(work, range(threads)) for c in counts]
    assert RateCount.objects.get(key="search:192.0.2.9").count == threads * each
    # Each increment read back its own count: none lost, none seen twice.
    assert sorted(seen) == list(range(1, threads * each + 1))


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_get_no_more_than_the_limit(credential, settings):
    """Through the page, with the file cache the site runs on by default: of 40 parallel look-ups
    with a limit of 10, exactly 10 are answered."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a database that lets threads wait for a lock (PostgreSQL)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(settings.DATA_DIR / "cache"),
        }
    }
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 10
    requests = 40
    start = threading.Barrier(requests)

    def look_up(_n: int) -> int:
        try:
            start.wait()
            return Client().get("/guild/register/CGP-0001/").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(requests) as pool:
        statuses = list(pool.map(look_up, range(requests)))
    assert statuses.count(200) == 10
    assert statuses.count(429) == 30


# --- what a client sees -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_counts_are_kept_in_the_database_not_the_cache(client, credential, settings):
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 2
    for _ in range(2):
        assert client.get("/guild/register/CGP-0001/").status_code == 200
        cache.clear()  # a cache culling or losing its entries does not reset the count
    assert client.get("/guild/register/CGP-0001/").status_code == 429
    (row,) = RateCount.objects.all()
    assert row.key == throttle.client_key("lookup", "127.0.0.1", row.window_start)
    assert row.count == 3


@pytest.mark.django_db
def test_a_request_over_the_limit_gets_429_with_retry_after(
    client, credential, settings, monkeypatch
):
    settings.OMBUDS_REGISTER_LOOKUPS_PER_MINUTE = 3
    settings.OMBUDS_REGISTER_SEARCHES_PER_MINUTE = 3
    # 45 seconds into a minute: the next request is allowed in 15 seconds, said as 16.
    monkeypatch.setattr(throttle.time, "time", lambda: WINDOW.timestamp() + 45)
    pages = ["/guild/register/CGP-0001/", "/guild/register/CGP-0001/certificate"]
    api = f"{API}/guild/register/credentials/CGP-0001"
    assert [client.get(url).status_code for url in [*pages, api]] == [200, 200, 200]
    for url in [*pages, api, "/guild/register/members/GOE-1/"]:
        response = client.get(url)
        assert response.status_code == 429, url
        assert response["Retry-After"] == "16", url
    assert "Try again in 16 seconds" in client.get(pages[0]).content.decode()
    assert client.get(api).json()["detail"] == "Too many requests; try again in 16 seconds."
    # Searches have their own count; the count is per window.
    assert client.get("/guild/register/", {"q": "Smith"}).status_code == 200
    key = throttle.client_key("lookup", "127.0.0.1", WINDOW)
    assert RateCount.objects.get(key=key, window_start=WINDOW).count == 9
    monkeypatch.setattr(throttle.time, "time", lambda: WINDOW.timestamp() + 60)
    assert client.get(pages[0]).status_code == 200


@pytest.mark.django_db
def test_bulk_uploads_are_counted_by_the_hour(client, body, settings, monkeypatch):
    settings.OMBUDS_REGISTER_BULK_UPLOADS_PER_HOUR = 1
    monkeypatch.setattr(throttle.time, "time", lambda: WINDOW.timestamp() + 600)
    assert client.post("/guild/register/bulk/", {}).status_code == 400  # no file, but counted
    response = client.post("/guild/register/bulk/", {})
    assert response.status_code == 429
    assert response["Retry-After"] == str(3600 - 600 + 1)
    assert RateCount.objects.get().window_start == WINDOW


# --- keeping the table small ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_windows_row_deletes_the_rows_of_windows_long_over():
    now = timezone.now()
    old = RateCount.objects.create(
        key="search:a", window_start=now - dt.timedelta(hours=3), count=5
    )
    last_hour = RateCount.objects.create(
        key="bulk:a", window_start=now - dt.timedelta(minutes=59), count=1
    )
    recent = now.replace(second=0, microsecond=0)
    throttle.rate_count_increment("search:b", recent)
    assert set(RateCount.objects.values_list("pk", flat=True)) == {
        last_hour.pk,
        RateCount.objects.get(key="search:b").pk,
    }
    assert not RateCount.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_rate_counts_purge_keeps_two_hours():
    now = timezone.now()
    for minutes in (60, 119, 121, 600):
        RateCount.objects.create(
            key=f"k{minutes}", window_start=now - dt.timedelta(minutes=minutes), count=1
        )
    assert throttle.rate_counts_purge(now) == 2
    assert sorted(RateCount.objects.values_list("key", flat=True)) == ["k119", "k60"]


@pytest.mark.django_db
def test_counting_takes_a_few_queries(django_assert_num_queries):
    # Within a test's transaction, each transaction is a savepoint: SAVEPOINT and RELEASE.
    with django_assert_num_queries(7):  # and UPDATE, SAVEPOINT, INSERT, RELEASE, DELETE old windows
        throttle.rate_count_increment("search:192.0.2.1", WINDOW)
    with django_assert_num_queries(4):  # and UPDATE, SELECT the count
        throttle.rate_count_increment("search:192.0.2.1", WINDOW)


# --- no record of the client's address -----------------------------------------------------------


def test_a_clients_key_is_a_keyed_hash_that_changes_every_day(settings):
    key = throttle.client_key("complaint", "192.0.2.7", WINDOW)
    scope, _, digest = key.partition(":")
    assert scope == "complaint" and len(digest) == 64 and "192.0.2.7" not in key
    # Every window of one day counts the client under one key; the next day, under another.
    same_day = WINDOW.replace(hour=23, minute=59)
    assert throttle.client_key("complaint", "192.0.2.7", same_day) == key
    next_day = WINDOW + dt.timedelta(days=1)
    assert throttle.client_key("complaint", "192.0.2.7", next_day) != key
    # Another client, another scope: another key.
    assert throttle.client_key("complaint", "192.0.2.8", WINDOW) != key
    assert throttle.client_key("followup", "192.0.2.7", WINDOW).split(":")[1] != digest
    # Keyed: without the secret key the hash of the address cannot be recomputed.
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert throttle.client_key("complaint", "192.0.2.7", WINDOW) != key


def _rate_table_text() -> str:
    """Every column of every row of the rate table, as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {RateCount._meta.db_table}")
        return repr(cursor.fetchall())


@pytest.mark.django_db
def test_a_throttled_complaint_leaves_no_address_in_the_rate_table(client, body, settings):
    """A complaint over the limit, from the page and from the API, behind a proxy: no row or column
    of the rate table holds the client's address."""
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    settings.OMBUDS_COMPLAINTS_PER_HOUR = 1
    settings.OMBUDS_TRUSTED_PROXIES = 1
    address = "203.0.113.45"
    page = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": address}
    assert client.post("/guild/complain/", {}, **page).status_code == 400  # counted
    assert client.post("/guild/complain/", {}, **page).status_code == 429
    anonymous = {
        "what_happened": "They shouted at me on the phone.",
        "respondent_name": "Acme Recovery",
        "anonymous": True,
        "passphrase": "correct horse battery",
    }
    api = client.post(
        "/api/v1/bodies/guild/complaints", anonymous, content_type="application/json", **page
    )
    assert api.status_code == 429
    text = _rate_table_text()
    assert address not in text and "203.0.113" not in text and "10.0.0.1" not in text
    (row,) = RateCount.objects.all()
    assert (row.key, row.count) == (throttle.client_key("complaint", address, row.window_start), 3)
    assert not Case.objects.exists()


def test_the_throttle_cache_setting_is_gone():
    assert "OMBUDS_REGISTER_THROTTLE_CACHE" not in (public.__doc__ or "")
    assert "caches" not in vars(public)
