"""A transaction's audit events wait on its connection and are linked into the chain as it commits
(`ombuds.audit.backends`): what the chain guarantees stays as it was, and no transaction holds the
chain head through the rest of its work.

These tests commit for real (`transactional_db`) with the tests' early linking turned off, as a
deployment runs; the last ones test the tests' own mode, linking at each savepoint's release.
"""

from __future__ import annotations

import os
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.utils import ConnectionHandler
from django.test.utils import CaptureQueriesContext

from ombuds.audit import checks, services
from ombuds.audit.models import ChainHead, Event


@pytest.fixture
def at_commit(transactional_db, settings):
    settings.AUDIT_LINK_AT_ONCE = False


def _record(n: int) -> Event:
    return services.record(action="case.step", subject_type="case", subject_id=n, data={"n": n})


def _committed() -> list[tuple[int, str]]:
    return list(Event.objects.order_by("seq").values_list("seq", "subject_id"))


def test_an_event_is_linked_as_its_transaction_commits(at_commit):
    with transaction.atomic():
        first, second = _record(1), _record(2)
        assert first.seq is None and second.hash == ""  # waiting, not yet in the chain
        assert connection.audit_waiting == [first, second]
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert _committed() == [(1, "1"), (2, "2")]
    head = ChainHead.objects.get()
    assert (head.last_seq, head.last_hash, head.count) == (2, second.hash, 2)
    assert services.verify().ok
    assert connection.audit_waiting == []


def test_outside_a_transaction_an_event_is_linked_before_record_returns(at_commit):
    event = _record(1)
    assert event.seq == 1 and _committed() == [(1, "1")]


def test_a_rolled_back_transaction_leaves_no_event(at_commit):
    _record(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        _record(2)
        raise RuntimeError("the change failed")
    assert connection.audit_waiting == []
    assert _committed() == [(1, "1")]
    assert ChainHead.objects.get().last_seq == 1


def test_a_savepoint_rolled_back_forgets_only_its_own_events_and_the_order_is_kept(at_commit):
    with transaction.atomic():
        _record(1)
        try:
            with transaction.atomic():
                _record(2)
                with transaction.atomic():
                    _record(3)
                raise RuntimeError
        except RuntimeError:
            pass
        _record(4)
        with transaction.atomic():
            _record(5)  # released: it stays
    assert _committed() == [(1, "1"), (2, "4"), (3, "5")]
    assert services.verify().ok


@pytest.mark.parametrize("read", ["the log", "the keys", "link_now"])
def test_a_savepoint_rolled_back_after_a_read_keeps_the_events_recorded_before_it(at_commit, read):
    """A read of the log links the waiting events inside the innermost savepoint; rolling that
    savepoint back undoes their writes, so they wait again (review r6, F1)."""
    with transaction.atomic():
        User.objects.create(username="changed")  # the change event 1 records
        _record(1)
        try:
            with transaction.atomic():
                _record(2)
                if read == "the log":
                    Event.objects.filter(subject_type="case").exists()
                elif read == "the keys":
                    services.refs_of(labels=["someone"])
                else:
                    services.link_now()
                raise RuntimeError("the inner step is refused")
        except RuntimeError:
            pass
        assert [e.subject_id for e in connection.audit_waiting] == ["1"]
        _record(3)
    assert User.objects.filter(username="changed").exists()
    assert _committed() == [(1, "1"), (2, "3")]
    assert services.verify().ok


def test_a_commit_refused_inside_an_atomic_block_links_nothing(at_commit):
    """Django refuses `commit()` inside an atomic block; the events are not linked or forgotten
    first, so a savepoint rolled back afterwards loses nothing (review r7)."""
    with transaction.atomic():
        User.objects.create(username="changed")
        _record(1)
        try:
            with transaction.atomic():
                with pytest.raises(transaction.TransactionManagementError):
                    transaction.commit()
                raise RuntimeError
        except RuntimeError:
            pass
        assert [e.subject_id for e in connection.audit_waiting] == ["1"]
    assert _committed() == [(1, "1")] and services.verify().ok


def test_the_details_are_sealed_as_recorded_not_while_the_head_is_held(at_commit, body):
    commit = CaptureQueriesContext(connection)
    with transaction.atomic():
        event = services.record(
            action="case.step", subject_type="case", subject_id=1, data={"a": 1}, organization=body
        )
        commit.__enter__()
    commit.__exit__(None, None, None)
    statements = " ".join(query["sql"] for query in commit.captured_queries)
    assert "audit_event" in statements and "bodykey" not in statements
    assert Event.objects.get(seq=event.seq).data == {"a": 1}


def test_a_query_made_before_the_event_was_recorded_reads_it(at_commit):
    with transaction.atomic():
        query = Event.objects.filter(subject_type="case")
        _record(1)
        assert query.count() == 1 and [e.subject_id for e in query] == ["1"]


def test_turning_autocommit_on_commits_the_events_with_their_change(at_commit):
    """On SQLite turning autocommit on commits the open transaction (PostgreSQL refuses)."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refuses to turn autocommit on inside a transaction")
    transaction.set_autocommit(False)
    try:
        User.objects.create(username="changed")
        _record(1)
    finally:
        transaction.set_autocommit(True)
    assert connection.audit_waiting == []
    assert _committed() == [(1, "1")] and services.verify().ok


def test_a_backend_that_does_not_link_is_an_error_of_the_checks(monkeypatch):
    assert checks.audit_backend(None) == []
    monkeypatch.setattr(checks, "connections", {"default": ConnectionHandler({})["default"]})
    assert [error.id for error in checks.audit_backend(None)] == ["ombuds.audit.E001"]


def test_reading_the_log_inside_the_transaction_reads_its_own_events(at_commit):
    with transaction.atomic():
        _record(1)
        assert Event.objects.filter(subject_type="case").count() == 1  # linked on reading
        assert connection.audit_waiting == []
        _record(2)
    assert _committed() == [(1, "1"), (2, "2")]


def test_an_event_that_cannot_be_linked_rolls_its_whole_change_back(at_commit, settings):
    _record(1)
    kept = settings.OMBUDS_AUDIT_KEY, settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES
    settings.OMBUDS_AUDIT_KEY = "another-key-than-the-chain-head-names-0123"
    settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = ""
    with pytest.raises(services.AuditKeyMissing), transaction.atomic():
        ChainHead.objects.filter(key=1).update(count=99)  # the change this event records
        _record(2)
    assert ChainHead.objects.get().count == 1  # the change went with its event
    assert connection.audit_waiting == []
    with transaction.atomic():  # and the connection is usable
        assert _committed() == [(1, "1")]
    # With its key back, the chain verifies (at the test's end): nothing of the refused change.
    settings.OMBUDS_AUDIT_KEY, settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = kept


def test_a_closed_connection_forgets_its_waiting_events(at_commit):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database")
    transaction.set_autocommit(False)
    try:
        _record(1)
        assert len(connection.audit_waiting) == 1
        connection.close()
        assert connection.audit_waiting == []
    finally:
        connection.connect()
        transaction.set_autocommit(True)
    assert _committed() == []


def test_a_transaction_does_not_hold_the_head_through_its_work(at_commit):
    """Two transactions append; the first still works (uncommitted) while the second commits: the
    second is not kept waiting, and the chain has them in the order of their commits."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes one transaction at a time whatever the chain does")
    appended, finish, failures = threading.Event(), threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                _record(1)
                appended.set()
                if not finish.wait(10):
                    failures.append("the second append did not finish while the first worked")
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    def second() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
            with transaction.atomic():
                _record(2)
            finish.set()
        except Exception as exc:
            failures.append(repr(exc))
            finish.set()
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert appended.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(15)
    one.join(15)
    assert failures == []
    assert _committed() == [(1, "2"), (2, "1")]
    assert services.verify().ok


# -- the tests' own mode: each event linked as it is recorded -----------------------------------


@pytest.mark.django_db
def test_in_the_tests_mode_an_event_is_linked_as_it_is_recorded():
    with transaction.atomic():
        event = _record(1)
        assert event.seq == 1 and connection.audit_waiting == []


@pytest.mark.django_db
def test_an_event_that_cannot_be_linked_at_once_is_refused_and_nothing_else_is_lost(settings):
    with transaction.atomic():
        _record(1)  # the head now names the tests' key
    with transaction.atomic():
        settings.AUDIT_LINK_AT_ONCE = False
        waiting = _record(2)
        settings.AUDIT_LINK_AT_ONCE = True
        settings.OMBUDS_AUDIT_KEY = "another-key-than-the-chain-head-names-0123"
        with pytest.raises(services.AuditKeyMissing):
            _record(3)
        assert connection.audit_waiting == [waiting]  # the refused event is not kept
        with pytest.raises(services.AuditKeyMissing):
            services.link_now()
        settings.OMBUDS_AUDIT_KEY = "audit-key-for-tests-0123456789abcdef"
        services.link_now()
    assert waiting.seq == 2
    assert [e.subject_id for e in Event.objects.order_by("seq")] == ["1", "2"]


@pytest.mark.django_db(transaction=True)
def test_a_test_that_commits_links_as_a_deployment_does(settings):
    """The harness (tests/conftest.py): a test whose database commits (transactional, or a
    browser's live server) links events as they commit, and its chain is verified at its end."""
    if os.environ.get("OMBUDS_TEST_AUDIT_AT_COMMIT") != "1":
        assert settings.AUDIT_LINK_AT_ONCE is False
    services.record(action="harness.checked", subject_type="test", subject_id="1")
    assert connection.audit_waiting == []  # autocommit: linked and committed at once
    assert ChainHead.objects.get().count == 1


def test_a_test_that_never_commits_links_as_it_records(db, settings):
    if os.environ.get("OMBUDS_TEST_AUDIT_AT_COMMIT") != "1":
        assert settings.AUDIT_LINK_AT_ONCE is True
