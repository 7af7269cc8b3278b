"""Audit details sealed at rest (`ombuds.audit.sealing`): the database holds no plaintext of an
event's details, the chain still verifies (its details hash is of the plaintext, checked after
opening), a swapped sealed value is found, a data key rotation re-seals them, a purge still empties
them, and the pages that read a record's events still see them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from ombuds.audit import services
from ombuds.audit.models import Event
from ombuds.bodies import keys
from ombuds.bodies.models import BodyKey
from ombuds.core import crypto
from tests.audit.tampering import owner_sql

pytestmark = pytest.mark.django_db

PG = connection.vendor == "postgresql"
OLD_TEXT = "Ottoline kept the support payment of Zelda Quartermaine"


def _raw(seq: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM audit_event WHERE seq = %s", [seq])
        return cursor.fetchone()[0]


def _edit(body, subject_id: int = 1, text: str = OLD_TEXT) -> Event:
    return services.record(
        action="allegation.edited",
        subject_type="allegation",
        subject_id=subject_id,
        data={"old": text, "new": "A payment was withheld."},
        organization=body,
    )


def test_details_are_sealed_with_the_body_s_key_and_read_back(body):
    event = _edit(body)
    system = services.record(
        action="audit.checkpoint", subject_type="x", subject_id=1, data={"a": 1}
    )
    raw = _raw(event.seq)
    assert "Quartermaine" not in raw and raw.startswith("enc1:")
    body_key = BodyKey.objects.get(organization=body, retired_at__isnull=True)
    assert crypto.sealed_key_id(crypto.text_decode(raw)) == body_key.pk
    deployment = BodyKey.objects.get(organization=None, retired_at__isnull=True)
    assert crypto.sealed_key_id(crypto.text_decode(_raw(system.seq))) == deployment.pk
    assert Event.objects.get(seq=event.seq).data["old"] == OLD_TEXT
    assert [e.data["old"] for e in services.events_for("allegation", 1)] == [OLD_TEXT]
    assert services.verify() == services.Verdict(True, 2)


def test_details_swapped_for_another_event_s_are_found(body):
    first, second = _edit(body, 1), _edit(body, 2, text="Something else entirely")
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET data = %s WHERE seq = %s", [_raw(second.seq), 1])
    assert Event.objects.get(seq=first.seq).data["old"] == "Something else entirely"
    verdict = services.verify()
    assert (verdict.seq, verdict.problem) == (1, "its details were altered")


def test_a_data_key_rotation_re_seals_the_details_and_the_chain_still_verifies(body):
    event = _edit(body)
    before = _raw(event.seq)
    keys.keys_rotate(grace=dt.timedelta(0))
    keys.KEYRING.forget()
    assert _raw(event.seq) != before
    assert Event.objects.get(seq=event.seq).data["old"] == OLD_TEXT
    assert services.verify().ok


def test_a_purge_still_empties_sealed_details(body):
    one, two = _edit(body, 1), _edit(body, 2)
    services.purge(event=one, reason="retention ended")
    assert (
        services.purge_subject(
            subject_type="allegation", subject_id=2, reason="retention ended", organization=body
        )
        == 1
    )
    assert _raw(one.seq) == _raw(two.seq) == "{}"
    assert Event.objects.get(seq=one.seq).data == {}
    assert services.verify().ok


@pytest.mark.skipif(not PG, reason="the trigger is PostgreSQL's")
def test_postgresql_lets_details_be_re_sealed_but_not_written_in_clear(body):
    event = _edit(body)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_event SET data = '{\"x\": 1}' WHERE seq = %s", [event.seq])
    keys.keys_rotate(grace=dt.timedelta(0))  # re-sealing is an UPDATE the trigger lets through
    assert services.verify().ok
