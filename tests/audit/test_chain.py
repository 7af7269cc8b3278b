"""The audit log: append-only, hash-chained, and `ombuds audit verify` finds any tampering."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from ombuds.audit import services
from ombuds.audit.models import ChainHead, Event

pytestmark = pytest.mark.django_db


@contextmanager
def tampering():
    """What someone with direct database access could do: on PostgreSQL, past the trigger too."""
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if pg:
            cursor.execute("SET session_replication_role = replica")  # triggers off (superuser)
        try:
            yield cursor
        finally:
            if pg:
                cursor.execute("SET session_replication_role = DEFAULT")


def _chain(n: int = 5, body=None, user=None) -> list[Event]:
    return [
        services.record(
            action="case.transition",
            subject_type="case",
            subject_id=n % 2,
            data={"to": f"state-{i}", "units": Decimal("1.5"), "on": dt.date(2026, 1, i + 1)},
            organization=body,
            actor=user,
        )
        for i in range(n)
    ]


def _verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return 1, str(exc)
    return 0, out.getvalue().strip()


def test_events_are_numbered_and_chained_from_the_genesis(body, django_user_model):
    user = django_user_model.objects.create_user("ana")
    events = _chain(3, body, user)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == services.GENESIS
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert events[0].actor_label == "ana"
    # What is stored is what was hashed: dates and decimals are kept as the text that was hashed.
    stored = Event.objects.get(seq=1)
    assert stored.data == {"to": "state-0", "units": "1.5", "on": "2026-01-01"}
    assert services.event_hash(stored) == stored.hash
    head = ChainHead.objects.get()
    assert (head.last_seq, head.last_hash, head.count) == (3, events[2].hash, 3)


def test_who_acted_without_an_account_is_named_and_otherwise_the_system():
    anonymous = services.record(
        action="case.filed", subject_type="case", subject_id=1, actor_label="anonymous complainant"
    )
    task = services.record(action="case.deadline_passed", subject_type="case", subject_id=1)
    assert (anonymous.actor_label, task.actor_label) == ("anonymous complainant", "system")


def test_an_intact_chain_verifies_and_the_command_exits_0():
    _chain(4)
    assert services.verify() == services.Verdict(True, 4)
    assert _verify() == (0, "audit chain intact: 4 events")


def test_an_empty_log_verifies():
    assert _verify() == (0, "audit chain intact: 0 events")


def test_altered_details_are_found(tmp_path):
    _chain(5)
    with tampering() as cursor:
        cursor.execute("UPDATE audit_event SET data = %s WHERE seq = 3", ['{"to": "dismissed"}'])
    assert _verify() == (1, "audit chain broken at event #3: its details were altered")


def test_details_altered_together_with_their_hash_are_found():
    _chain(5)
    forged = {"to": "dismissed"}
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_event SET data = %s, data_hash = %s WHERE seq = 2",
            [services.canonical(forged), services.details_hash(forged)],
        )
    # With the audit key the details' hash can be forged, but not without changing the link.
    assert _verify() == (1, "audit chain broken at event #2: it was altered")


def test_a_rehashed_event_breaks_the_link_to_the_next_one():
    _chain(5)
    event = Event.objects.get(seq=2)
    event.action = "case.dismissed"
    new_hash = services.event_hash(event)  # recomputed with the audit key
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_event SET action = %s, hash = %s, link = %s WHERE seq = 2",
            ["case.dismissed", new_hash, services.link_of(event)],
        )
    code, message = _verify()
    assert code == 1 and message.startswith("audit chain broken at event #3: it does not follow")


def test_a_removed_event_is_found():
    _chain(5)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq = 3")
    assert _verify() == (1, "audit chain broken at event #3: events #3 to #3 are missing")


def test_removing_the_newest_events_is_found_against_the_head():
    _chain(5)
    with tampering() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE seq >= 4")
    code, message = _verify()
    assert code == 1 and "the newest events were removed" in message


def test_an_inserted_event_is_found():
    events = _chain(3)
    with tampering() as cursor:
        # Renumber to make room, then slip an event in with a plausible hash of its own.
        cursor.execute("UPDATE audit_event SET seq = seq + 10 WHERE seq >= 2")
        cursor.execute("UPDATE audit_event SET seq = seq - 9 WHERE seq >= 12")
        fake = Event(
            seq=2,
            occurred_at=events[0].occurred_at,
            actor_label="system",
            actor_ref=services.actor_ref(label="system"),
            action="case.dismissed",
            subject_type="case",
            subject_id="1",
            data={},
            data_hash=services.details_hash({}),
            prev_hash=events[0].hash,
        )
        fake.link, fake.hash = services.link_of(fake), services.event_hash(fake)
        fake.save(force_insert=True)
    code, message = _verify()
    assert code == 1 and message.startswith("audit chain broken at event #3")


def test_a_purge_empties_the_details_the_chain_still_verifies_and_the_purge_is_recorded(body):
    events = _chain(3, body)
    purge = services.purge(event=events[1], reason="retention period ended")
    purged = Event.objects.get(seq=2)
    assert purged.data == {} and purged.purged_at is not None
    assert (purge.action, purge.subject_id, purge.data["reason"]) == (
        "audit.purged",
        "2",
        "retention period ended",
    )
    assert _verify() == (0, "audit chain intact: 4 events")
    with pytest.raises(ValueError, match="needs a reason"):
        services.purge(event=events[0], reason=" ")


def test_an_event_is_written_with_the_change_or_not_at_all():
    _chain(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(action="case.transition", subject_type="case", subject_id=9)
        raise RuntimeError("the change failed")
    assert Event.objects.count() == 2 and ChainHead.objects.get().last_seq == 2
    assert services.record(action="x.y", subject_type="case", subject_id=9).seq == 3
    assert services.verify().ok


def test_a_timeline_reads_one_subjects_events_in_order():
    for n in range(6):
        services.record(action=f"step-{n}", subject_type="case", subject_id=n % 2)
    services.record(action="other", subject_type="credential", subject_id=0)
    assert [e.action for e in services.events_for("case", 0)] == ["step-0", "step-2", "step-4"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_change_or_delete_an_event():
    _chain(2)
    for sql in (
        "UPDATE audit_event SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
    ):
        with (
            pytest.raises(DatabaseError, match=r"append-only|never deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert services.verify().ok


def test_register_changes_are_on_the_audit_log_and_a_csv_import_is_one_event(body):
    import datetime as dt

    from ombuds.register.csv import import_csv
    from ombuds.register.models import Credential, CredentialProgram, Person
    from ombuds.register.services import credential_transition

    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )
    holder = Person.objects.create(organization=body, given_name="Ines", family_name="Varga")
    credential = Credential.objects.create(
        program=program, holder=holder, number="CGP-1", status="candidate"
    )
    credential_transition(
        credential=credential,
        to_status="active",
        effective_date=dt.date(2025, 1, 2),
        reason="Passed the exam",
    )
    [event] = Event.objects.filter(action="register.credential_status")
    assert (event.subject_type, event.subject_id, event.organization_id) == (
        "credential",
        str(credential.pk),
        body.pk,
    )
    assert event.data["from"] == "candidate" and event.data["to"] == "active"

    data = "external_id,given_name,family_name\n" + "".join(
        f"P-{n},Given{n},Family{n}\n" for n in range(50)
    )
    report = import_csv(organization=body, data=data.encode(), dry_run=False)
    assert report.ok and report.created == 50
    [imported] = Event.objects.filter(action="register.imported")
    assert imported.data["created"] == 50 and imported.data["kind"] == "people"
    assert services.verify().ok


def test_details_forged_on_an_event_marked_purged_are_found():
    _chain(3)
    with tampering() as cursor:
        cursor.execute(
            "UPDATE audit_event SET data = %s, purged_at = %s WHERE seq = 2",
            ['{"to": "dismissed"}', "2026-01-01 00:00:00+00:00"],
        )
    assert _verify() == (1, "audit chain broken at event #2: it is marked purged but has details")
