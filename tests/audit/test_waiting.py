"""Appends that find the chain head held by another transaction (PostgreSQL): the event waits, its
row sealed and under a MAC, and its writer links it right after its commit, waiting for the head
whether its holder commits or rolls back; each event is linked once, in its transaction's order, and
the chain verifies. A waiting row written without the key, or copied, is never linked and `verify`
reports it; the database refuses to change a waiting row, and its linking function builds the event
from the row itself. SQLite takes one writer at a time: nothing waits there."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from ombuds.audit import keys, services, waiting
from ombuds.audit.models import ChainHead, Event, WaitingEvent
from tests.audit.conftest import AUDIT_KEY

pytestmark = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SKIP LOCKED is PostgreSQL's: on SQLite the head is never held by another writer",
)


def other_connection() -> psycopg.Connection:
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
    """Another session holding the chain head's row lock until it rolls back (or the block ends)."""
    ChainHead.objects.get_or_create(key=1)  # a transactional test's flush empties the table
    other = other_connection()
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


def _left_waiting(n: int, **extra) -> None:
    """An event committed to wait and never settled, as a process that stopped between its commit
    and its settle leaves it."""
    with held_head() as other, transaction.atomic():
        assert _step(n, **extra).seq is None
        connection.run_on_commit.clear()
        other.rollback()


def _raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


@pytest.mark.django_db(transaction=True)
def test_an_event_written_while_the_head_is_held_waits_sealed_under_a_mac_and_is_linked_on_commit():
    _step(1)
    with held_head() as other, transaction.atomic():
        event = _step(2, secret="only sealed")
        assert event.seq is None  # not in the chain yet
        [row] = waiting.read()
        assert "only sealed" not in row.data  # sealed at rest while it waits
        assert waiting.mac_ok(keys.chain_key(), row) and row.key_id == keys.key_id()
        other.rollback()  # the head is free by the time this commits
    assert WaitingEvent.objects.count() == 0  # the commit linked it
    linked = Event.objects.get(seq=2)
    assert (linked.subject_id, linked.data) == ("2", {"n": 2, "secret": "only sealed"})
    assert linked.occurred_at == event.occurred_at and linked.data_hash == row.data_hash
    assert ChainHead.objects.get().last_seq == 2
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_holder_rolled_back_leaves_nothing_waiting_its_writer_links_it_before_going_on():
    """The writer's commit finds the head held: it waits for the head and links its event as soon
    as the holder rolls back, not at the next append."""
    held, roll_back = threading.Event(), threading.Event()

    def holder():
        try:
            with contextlib.suppress(RuntimeError), transaction.atomic():
                assert _step(1).seq == 1  # the head was free: linked at once, held to the end
                held.set()
                assert roll_back.wait(30)
                raise RuntimeError("the holder's change failed")
        finally:
            connection.close()

    ChainHead.objects.get_or_create(key=1)
    with ThreadPoolExecutor(2) as pool:
        done = pool.submit(holder)
        assert held.wait(30)
        pool.submit(lambda: time.sleep(0.5) or roll_back.set())
        started = time.monotonic()
        assert _step(2).seq is None  # written to wait; its commit's settle waits for the head
        waited = time.monotonic() - started
        done.result(timeout=30)
    assert waited >= 0.4  # it returned only after the holder had rolled back
    assert WaitingEvent.objects.count() == 0
    assert list(Event.objects.values_list("seq", "subject_id")) == [(1, "2")]
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_writer_rolled_back_leaves_nothing_waiting_and_no_gap():
    with held_head(), contextlib.suppress(RuntimeError), transaction.atomic():
        _step(1)
        assert _raw("SELECT count(*) FROM audit_waitingevent") == [(1,)]
        raise RuntimeError("the change failed")
    assert WaitingEvent.objects.count() == 0 and Event.objects.count() == 0
    assert _step(2).seq == 1
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_the_events_of_one_transaction_keep_their_order_when_the_head_frees_between_them():
    with held_head() as other, transaction.atomic():
        first = _step(1)
        other.rollback()  # the head is free again, inside this transaction
        second = _step(2)
        assert first.seq is None and second.seq == 2  # the waiting one was linked before it
    assert list(Event.objects.values_list("seq", "subject_id")) == [(1, "1"), (2, "2")]
    assert WaitingEvent.objects.count() == 0
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_verify_only_reads_it_shows_what_waits_and_links_it_only_when_asked():
    _step(1)
    _left_waiting(2)
    head = ChainHead.objects.values_list("last_seq", "last_hash").get()
    verdict = services.verify()
    assert verdict.ok and (verdict.checked, verdict.waiting) == (1, 1), str(verdict)
    assert str(verdict) == "audit chain intact: 1 events, 1 waiting to be linked"
    assert WaitingEvent.objects.count() == 1  # nothing was written
    assert ChainHead.objects.values_list("last_seq", "last_hash").get() == head
    verdict = services.verify(settle=True)
    assert verdict.ok and (verdict.checked, verdict.waiting) == (2, 0), str(verdict)


@pytest.mark.django_db(transaction=True)
def test_an_event_left_waiting_is_linked_by_the_next_append_or_the_workers_recovery():
    from ombuds.operations.recovery import recover

    _left_waiting(1)
    _step(2)
    assert list(Event.objects.values_list("subject_id", flat=True)) == ["1", "2"]
    _left_waiting(3)
    assert recover()["audit events linked"] == 1
    verdict = services.verify()
    assert verdict.ok and (verdict.checked, verdict.waiting) == (3, 0), str(verdict)


@pytest.mark.django_db(transaction=True)
def test_a_case_page_and_an_erasure_see_an_event_still_waiting():
    _step(7)
    _left_waiting(7, name="Pat Complainant")
    timeline = services.events_for("case", 7)
    assert [(e.seq, e.data.get("name")) for e in timeline] == [(1, None), (None, "Pat Complainant")]
    waits = services.waiting_events("case", 7, action="case.step")
    assert [e.data["n"] for e in waits] == [7]


@pytest.mark.django_db(transaction=True)
def test_a_purge_of_a_record_reaches_its_events_still_waiting():
    _left_waiting(7, name="Pat Complainant")
    purged = services.purge_subject(subject_type="case", subject_id=7, reason="erased on request")
    assert purged == 1
    assert Event.objects.get(subject_id="7", action="case.step").data == {}
    assert WaitingEvent.objects.count() == 0
    assert services.verify().ok


@pytest.mark.django_db(transaction=True)
def test_an_event_waiting_across_a_key_rotation_is_hashed_again_under_the_new_key(
    settings, tmp_path
):
    new_key = "the-audit-key-after-the-rotation-0123456789"
    old_file = tmp_path / "old-key"
    old_file.write_text(AUDIT_KEY + "\n")
    old_id = keys.key_id()
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
        assert [row.key_id for row in waiting.read()] == []  # not committed: unseen here
        other.rollback()
        assert services.chain_key_rotate(new_key=keys.chain_key_from(new_key))
        settings.OMBUDS_AUDIT_KEY = new_key
        settings.OMBUDS_AUDIT_KEY_PREVIOUS_FILES = str(old_file)
        commit.set()
        done.result(timeout=30)
    actions = list(Event.objects.values_list("action", "subject_id"))
    assert actions[1][0] == services.ROTATED and actions[2] == ("case.step", "2")
    assert ChainHead.objects.get().key_id != old_id
    verdict = services.verify()
    assert verdict.ok and verdict.checked == 3, str(verdict)


def _forge(**changes) -> int:
    """A waiting row written straight into the table as anyone who can write the database can: a
    copy of the last linked event's fields under a fresh id, with `changes`; its MAC is whatever
    `changes` says (none that verifies: the key is not in the database)."""
    [row] = _raw(
        "SELECT occurred_at, organization_id, actor_id, actor_label, actor_ref, action, "
        "subject_type, subject_id, data, data_hash FROM audit_event ORDER BY seq DESC LIMIT 1"
    )
    [(new_id,)] = _raw("SELECT nextval(pg_get_serial_sequence('audit_waitingevent', 'id'))")
    values = dict(zip(waiting.COLUMNS[1:11], row, strict=True))
    values |= {"id": new_id, "key_id": keys.key_id(), "mac": "0" * 64, **changes}
    _raw(
        f"INSERT INTO audit_waitingevent ({', '.join(waiting.COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(waiting.COLUMNS))})",
        [values[name] for name in waiting.COLUMNS],
    )
    return new_id


@pytest.mark.django_db(transaction=True)
def test_a_forged_waiting_row_is_never_linked_and_verify_reports_it(caplog):
    _step(1, action="close the case")
    forged = _forge(subject_id="99")
    with caplog.at_level(logging.ERROR, logger="ombuds.audit"):
        assert _step(2).seq == 2  # the holder links what waits first: not the forged row
        assert services.settle() == 0
    assert "does not carry a valid MAC" in caplog.text and f"#{forged}" in caplog.text
    assert list(Event.objects.values_list("subject_id", flat=True)) == ["1", "2"]
    verdict = services.verify(settle=True)
    assert not verdict.ok and verdict.waiting == 1
    assert f"the event waiting as #{forged} (case.step case:99) does not carry a valid MAC" in str(
        verdict
    )
    assert WaitingEvent.objects.filter(pk=forged).exists()  # left for the operator to look at


@pytest.mark.django_db(transaction=True)
def test_a_waiting_row_copied_under_a_new_id_or_written_again_under_its_own_is_refused():
    _step(0)
    _left_waiting(1)
    [genuine] = waiting.read()
    copy = _forge(**{name: getattr(genuine, name) for name in waiting.COLUMNS[1:]})
    assert services.settle() == 1  # the genuine one; the copy's MAC names another id
    assert list(Event.objects.values_list("subject_id", flat=True)) == ["0", "1"]
    assert list(WaitingEvent.objects.values_list("pk", flat=True)) == [copy]
    # Written again under the id it was linked under: the database refuses an id its sequence
    # did not just give.
    values = [getattr(genuine, name) for name in waiting.COLUMNS]
    refused = pytest.raises(Exception, match="takes the number its sequence just gave")
    with refused, transaction.atomic():
        _raw(
            f"INSERT INTO audit_waitingevent ({', '.join(waiting.COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(waiting.COLUMNS))})",
            values,
        )


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_change_a_waiting_row_and_links_only_the_rows_own_fields():
    _step(1)
    _left_waiting(2)
    [row] = waiting.read()
    refused = pytest.raises(Exception, match="waiting events are never changed")
    with refused, transaction.atomic():
        _raw("UPDATE audit_waitingevent SET subject_id = '99'")
    # The function numbers from the head and refuses details other than the row's.
    head = ChainHead.objects.get()
    for first_seq, data_hash, message in (
        (head.last_seq + 5, row.data_hash, "linking at #6 but the chain head is at #1"),
        (head.last_seq + 1, "f" * 64, "linked with details it does not have"),
    ):
        with pytest.raises(Exception, match=message), transaction.atomic():
            waiting.link(first_seq, [(row.id, data_hash, "a" * 64, "{}")])
    # Called with a hash made up (no key), it still links the row's own fields: verify names it.
    with transaction.atomic():
        waiting.link(head.last_seq + 1, [(row.id, row.data_hash, "a" * 64, "{}")])
    event = Event.objects.get(seq=2)
    assert (event.subject_id, event.occurred_at, event.prev_hash) == (
        "2",
        row.occurred_at,
        head.last_hash,
    )
    verdict = services.verify()
    assert not verdict.ok and verdict.seq == 2, str(verdict)


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
    leftover = []

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
                # Its commit linked its events before it went on.
                leftover.extend(waiting.read("subject_id = %s", [str(w)]))
        finally:
            connection.close()

    ChainHead.objects.get_or_create(key=1)
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(append, range(writers)))
    assert waited, "no append found the head held: the test raced nothing"
    assert leftover == [] and WaitingEvent.objects.count() == 0
    for w in range(writers):
        mine = Event.objects.filter(subject_id=str(w)).order_by("seq")
        assert [(e.action, e.data["n"]) for e in mine] == [
            (action, n) for n in range(each) for action in ("case.step", "case.note")
        ]
    verdict = services.verify()
    assert verdict.ok and verdict.checked == writers * each * 2, str(verdict)
    assert ChainHead.objects.get().count == writers * each * 2
