"""Each event keeps the exact text its hash was taken of (`Event.link`), and `verify` hashes those
stored bytes: an edit to any field, to the stored text, a removal, an insertion or a reorder is
still found."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ombuds.audit import services
from ombuds.audit.models import Event
from tests.audit.tampering import chain, owner_sql

pytestmark = pytest.mark.django_db


def _verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return 1, str(exc)
    return 0, out.getvalue().strip()


def test_the_stored_text_is_what_was_hashed(body):
    [event] = chain(1, organization=body)
    stored = Event.objects.get(seq=event.seq)
    assert stored.link == services.link_of(stored)
    assert services._mac(services.keys.chain_key(), stored.link) == stored.hash
    assert f'"organization":{body.pk}' in stored.link and '"seq":1' in stored.link


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "case.dismissed"),
        ("subject_type", "credential"),
        ("subject_id", "99"),
        ("occurred_at", "2020-02-02 02:02:02"),
        ("data_hash", "f" * 64),
        ("scheme", 3),
    ],
)
def test_a_field_changed_alone_is_found_though_its_stored_text_still_hashes(column, value):
    chain(4)
    with owner_sql() as cursor:
        cursor.execute(f"UPDATE audit_event SET {column} = %s WHERE seq = 3", [value])
    code, message = _verify()
    assert code == 1 and message.startswith("audit chain broken at event #3:"), message


def test_the_body_changed_alone_is_found(body, other_body):
    chain(3, organization=body)
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET organization_id = %s WHERE seq = 2", [other_body.pk])
    assert _verify() == (1, "audit chain broken at event #2: it was altered")


def test_the_stored_text_changed_alone_is_found():
    chain(4)
    link = Event.objects.get(seq=2).link
    with owner_sql() as cursor:
        cursor.execute(
            "UPDATE audit_event SET link = %s WHERE seq = 2",
            [link.replace("case.transition", "case.dismissed")],
        )
    assert _verify() == (1, "audit chain broken at event #2: it was altered")


def test_the_stored_text_removed_is_found():
    chain(3)
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET link = '' WHERE seq = 2")
    assert _verify() == (
        1,
        "audit chain broken at event #2: the text its hash was taken of is missing",
    )


def test_two_events_swapped_are_found():
    chain(4)
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET seq = 100 WHERE seq = 2")
        cursor.execute("UPDATE audit_event SET seq = 2 WHERE seq = 3")
        cursor.execute("UPDATE audit_event SET seq = 3 WHERE seq = 100")
    code, message = _verify()
    assert code == 1 and message.startswith("audit chain broken at event #2: it does not follow")


def test_an_event_renumbered_with_its_text_and_hash_rewritten_breaks_the_next_link():
    chain(4)
    event = Event.objects.get(seq=3)
    event.action = "case.dismissed"
    with owner_sql() as cursor:
        cursor.execute(
            "UPDATE audit_event SET action = %s, link = %s, hash = %s WHERE seq = 3",
            [event.action, services.link_of(event), services.event_hash(event)],
        )
    code, message = _verify()
    assert code == 1 and message.startswith("audit chain broken at event #4: it does not follow")


def test_details_in_a_non_canonical_text_are_read_and_still_verify():
    """Details stored before sealing may not be in the canonical text: read and hashed as values."""
    [event] = chain(1)
    with owner_sql() as cursor:
        spaced = '{"on": "2026-01-01",  "to": "state-0"}'
        cursor.execute("UPDATE audit_event SET data = %s WHERE seq = %s", [spaced, event.seq])
    assert _verify() == (0, "audit chain intact: 1 events")
