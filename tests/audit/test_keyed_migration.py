"""The migration to the keyed chain keeps the events written before it as they were (scheme 1), and
the chain goes on keyed from there: `verify` checks each by its scheme."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ombuds.audit import services
from ombuds.audit.models import Event

BEFORE = [("audit", "0003_organization_in_bodies")]


def _migrate(target=None) -> None:
    """To `target`, or back to the newest migrations of every app."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target or executor.loader.graph.leaf_nodes())


def _empty_log() -> None:
    """Start from an empty log, whatever an earlier test on this worker committed."""
    with connection.cursor() as cursor:
        # The append-only trigger refuses DELETE on PostgreSQL; TRUNCATE is the owner's.
        verb = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
        cursor.execute(f"{verb} audit_event")
        # A transactional test before this one may have flushed the head's row too.
        cursor.execute("DELETE FROM audit_chainhead")
        cursor.execute(
            "INSERT INTO audit_chainhead (key, last_seq, last_hash, count) VALUES (1, 0, %s, 0)",
            [services.GENESIS],
        )


@pytest.mark.django_db(transaction=True)
def test_events_from_before_the_migration_keep_their_scheme_and_still_verify():
    _migrate(BEFORE)
    try:
        _empty_log()
        prev = services.GENESIS
        with connection.cursor() as cursor:
            for seq in (1, 2, 3):
                moment = dt.datetime(2026, 1, seq, tzinfo=dt.UTC)
                data = services.canonical({"step": seq})
                data_hash = services.details_hash({"step": seq}, scheme=1)
                text = services.link_text(
                    scheme=1,
                    seq=seq,
                    occurred_at=moment,
                    organization_id=None,
                    actor_id=None,
                    actor_label="Pat Complainant (complainant)",
                    actor_ref="",
                    action="case.filed",
                    subject_type="case",
                    subject_id="7",
                    data_hash=data_hash,
                    prev_hash=prev,
                )
                digest = services._sha256(text)
                cursor.execute(
                    "INSERT INTO audit_event (seq, occurred_at, actor_label, action, subject_type,"
                    " subject_id, data, data_hash, prev_hash, hash) VALUES"
                    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        seq,
                        moment,
                        "Pat Complainant (complainant)",
                        "case.filed",
                        "case",
                        "7",
                        data,
                        data_hash,
                        prev,
                        digest,
                    ],
                )
                prev = digest
            cursor.execute(
                "UPDATE audit_chainhead SET last_seq = 3, last_hash = %s, count = 3 WHERE key = 1",
                [prev],
            )
    finally:
        _migrate()
    assert list(Event.objects.values_list("scheme", flat=True)) == [1, 1, 1]
    services.record(action="case.step", subject_type="case", subject_id=7)
    assert services.verify() == services.Verdict(True, 4)
    new = Event.objects.get(seq=4)
    assert (new.scheme, new.prev_hash) == (2, prev)
    # The old events' names are inside their hashes: an erasure leaves them (docs say so).
    refs = services.refs_of(labels=["Pat Complainant (complainant)"])
    assert services.labels_purge(refs, reason="erasure") == 0
    assert services.verify().ok
    # The details written in clear before are sealed at rest since, and still read as they were.
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM audit_event WHERE seq = 1")
        assert cursor.fetchone()[0].startswith("enc1:")
    assert Event.objects.get(seq=1).data == {"step": 1}
