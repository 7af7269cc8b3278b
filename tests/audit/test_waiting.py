"""Appends that find the chain head held by another transaction (PostgreSQL): the event waits, fully
hashed and sealed, and is linked right after its transaction commits, in the order it was written,
exactly once; the chain verifies. SQLite takes one writer at a time, so nothing waits there."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from ombuds.audit import keys, services
from ombuds.audit.models import ChainHead, Event, WaitingEvent
from tests.audit.conftest import AUDIT_KEY

pytestmark = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SKIP LOCKED is PostgreSQL's: on SQLite the head is never held by another writer",
)


def _other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )


@contextlib.contextmanager
def held_head():
    """Another session holding the chain head's row lock until the block ends (or its rollback)."""
    ChainHead.objects.get_or_create(key=1)  # a transactional test's flush empties the table
    other = _other_connection()
    other.execute("SELECT 1 FROM audit_chainhead WHERE key = 1 FOR UPDATE")
    try:
        yield other
    finally:
        other.rollback()
        other.close()


def _step(n: int, **extra) -> Event:
    return services.record(
        action="case.step", subject_type="case", subject_id=n, data={"n": n, **extra}
    )


@pytest.mark.django_db(transaction=True)
def test_an_event_written_while_the_head_is_held_waits_sealed_and_is_linked_by_its_commit():
    _step(1)
    with held_head() as other, transaction.atomic():
        event = _step(2, secret="only sealed")
        assert event.seq is None  # not in the chain yet
        assert WaitingEvent.objects.count() == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT data FROM audit_waitingevent")
            assert "only sealed" not in cursor.fetchone()[0]  # sealed at rest while it waits
        other.rollback()  # the head is free by the time this commits
    assert WaitingEvent.objects.count() == 0  # the commit linked it
    linked = Event.objects.get(seq=2)
    assert (linked.subject_id, linked.data) == ("2", {"n": 2, "secret": "only sealed"})
    assert ChainHead.objects.get().last_seq == 2
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_whoever_holds_the_head_links_after_its_commit_what_found_it_held():
    """The writer's commit finds the head held and leaves its event waiting; the holder, an append
    of another process, links it after its own commit."""
    held, commit = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                assert _step(1).seq == 1  # the head was free: linked at once, held to commit
                held.set()
                assert commit.wait(30)
        finally:
            connection.close()

    ChainHead.objects.get_or_create(key=1)  # a transactional test's flush empties the table
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(holder)
        assert held.wait(30)
        assert _step(2).seq is None  # committed, its settle found the head held
        assert WaitingEvent.objects.count() == 1
        commit.set()
        done.result(timeout=30)
    assert WaitingEvent.objects.count() == 0
    assert list(Event.objects.values_list("seq", "subject_id")) == [(1, "1"), (2, "2")]
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_the_events_of_one_transaction_keep_their_order_when_the_head_frees_between_them():
    with held_head() as other, transaction.atomic():
        first = _step(1)
        other.rollback()  # the head is free again, inside this transaction
        second = _step(2)
        assert first.seq is None and second.seq == 2  # the waiting one was linked before it
    assert list(Event.objects.values_list("subject_id", flat=True)) == ["1", "2"]
    assert WaitingEvent.objects.count() == 0
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_transaction_rolled_back_leaves_nothing_waiting():
    with held_head(), contextlib.suppress(RuntimeError), transaction.atomic():
        _step(1)
        raise RuntimeError("the change failed")
    assert WaitingEvent.objects.count() == 0 and Event.objects.count() == 0
    _step(2)
    assert Event.objects.get().seq == 1


@pytest.mark.django_db(transaction=True)
def test_an_event_left_waiting_is_linked_by_the_next_append_or_by_verify():
    """A process that dies between its commit and the linking leaves its event waiting: the next
    append links it first; so does `verify` (and `ombuds audit verify`)."""
    with held_head() as other, transaction.atomic():
        _step(1)
        connection.run_on_commit.clear()  # as if the process died right after the commit
        other.rollback()
    assert WaitingEvent.objects.count() == 1
    _step(2)
    assert list(Event.objects.values_list("subject_id", flat=True)) == ["1", "2"]
    with held_head() as other, transaction.atomic():
        _step(3)
        connection.run_on_commit.clear()
        other.rollback()
    verdict = services.verify()
    assert verdict.ok and verdict.checked == 3, str(verdict)
    assert WaitingEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_purge_of_a_record_reaches_its_events_still_waiting():
    with held_head() as other, transaction.atomic():
        _step(7, name="Pat Complainant")
        connection.run_on_commit.clear()
        other.rollback()
    purged = services.purge_subject(subject_type="case", subject_id=7, reason="erased on request")
    assert purged == 1
    assert Event.objects.get(subject_id="7", action="case.step").data == {}
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_an_event_waiting_across_a_key_rotation_is_hashed_again_under_the_new_key(
    settings, tmp_path
):
    new_key = "the-audit-key-after-the-rotation-0123456789"
    old_file = tmp_path / "old-key"
    old_file.write_text(AUDIT_KEY + "\n")
    _step(1)
    written, commit = threading.Event(), threading.Event()

    def writer():  # hashes its event under the old key, and commits after the rotation
        try:
            with transaction.atomic():
                assert _step(2).seq is None
                written.set()
                assert commit.wait(30)
        finally:
            connection.close()

    with held_head() as other, ThreadPoolExecutor(1) as pool:
        done = pool.submit(writer)
        assert written.wait(30)
        other.rollback()
        assert services.chain_key_rotate(new_key=keys.chain_key_from(new_key))
        settings.OMBUDS_AUDIT_KEY = new_key
        settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = str(old_file)
        commit.set()
        done.result(timeout=30)
    actions = list(Event.objects.values_list("action", "subject_id"))
    assert actions[1][0] == services.ROTATED and actions[2] == ("case.step", "2")
    verdict = services.verify()
    assert verdict.ok and verdict.checked == 3, str(verdict)


@pytest.mark.django_db(transaction=True)
def test_appends_from_many_connections_at_once_are_each_linked_once_in_each_writers_order(
    monkeypatch,
):
    writers, each = 12, 15
    waited = []
    real = services._wait_to_be_linked
    monkeypatch.setattr(
        services, "_wait_to_be_linked", lambda *args: waited.append(1) or real(*args)
    )
    start = threading.Barrier(writers)

    def append(w: int) -> None:
        try:
            start.wait(timeout=30)
            for n in range(each):
                with transaction.atomic():
                    services.record(
                        action="case.step", subject_type="writer", subject_id=w, data={"n": n}
                    )
                    services.record(
                        action="case.note", subject_type="writer", subject_id=w, data={"n": n}
                    )
        finally:
            connection.close()

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(append, range(writers)))
    assert waited, "no append found the head held: the test raced nothing"
    assert WaitingEvent.objects.count() == 0
    for w in range(writers):
        mine = Event.objects.filter(subject_id=str(w)).order_by("seq")
        assert [(e.action, e.data["n"]) for e in mine] == [
            (action, n) for n in range(each) for action in ("case.step", "case.note")
        ]
    verdict = services.verify()
    assert verdict.ok and verdict.checked == writers * each * 2, str(verdict)
    assert ChainHead.objects.get().count == writers * each * 2
