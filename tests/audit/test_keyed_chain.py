"""The keyed chain: links are HMACs under a key kept outside the database, events name who acted by a
pseudonymous id, and the readable label is outside the hash, so it can be erased."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from ombuds.audit import keys, services
from ombuds.audit.models import ChainHead, Event
from tests.audit.tampering import chain, owner_sql, rewrite_from

pytestmark = pytest.mark.django_db

PG = connection.vendor == "postgresql"


def _verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return 1, str(exc)
    return 0, out.getvalue().strip()


def test_new_events_are_linked_by_an_hmac_under_the_audit_key():
    [event] = chain(1)
    assert event.scheme == Event.Scheme.HMAC
    text = services.link_text(
        scheme=2,
        seq=1,
        occurred_at=event.occurred_at,
        organization_id=None,
        actor_id=None,
        actor_label="system",
        actor_ref=event.actor_ref,
        action=event.action,
        subject_type="case",
        subject_id="0",
        data_hash=event.data_hash,
        prev_hash=services.GENESIS,
    )
    # Not the plain SHA-256 of the fields any more: only the key's holder can compute it.
    assert event.hash != hashlib.sha256(text.encode()).hexdigest()
    assert event.hash == services._mac(keys.chain_key(), text)
    assert ChainHead.objects.get().key_id == keys.key_id()


def test_an_edit_with_every_later_hash_recomputed_unkeyed_is_found():
    """The reproduction: event 20 edited and the chain recomputed with SHA-256, as anyone with the
    database could, passed `ombuds audit verify` before the chain was keyed."""
    chain(30)
    rewrite_from(20, scheme=Event.Scheme.SHA256)
    assert _verify() == (
        1,
        "audit chain broken at event #20: it claims the unkeyed scheme after the chain became "
        "keyed (a forgery)",
    )


def test_an_edit_recomputed_without_the_audit_key_is_found_at_the_edited_event():
    chain(30)
    rewrite_from(20, key=b"the attacker's guess of the key.")
    assert _verify() == (1, "audit chain broken at event #20: its details were altered")


def test_a_chain_rewritten_whole_without_the_key_is_found_at_its_first_event():
    chain(10)
    rewrite_from(5, key=b"the attacker's guess of the key.", start=1)
    code, message = _verify()
    assert code == 1 and message.startswith("audit chain broken at event #1:")


def test_a_changed_key_is_named_as_such_not_as_tampering(settings):
    chain(3)
    old = keys.key_id()
    settings.OMBUDS_AUDIT_KEY = "another key entirely"
    code, message = _verify()
    assert code == 1
    assert message == (
        f"audit chain not verified: the events from #1 are linked with the audit key {old}, which"
        f" is not in the keyring (the key configured is {keys.key_id()}, from the audit key): add"
        " the key it was written with to OMBUDS_AUDIT_KEY_PREVIOUS_FILES"
    )


def test_the_key_is_the_audit_key_or_derived_from_the_master_key_or_the_secret_key(settings):
    settings.OMBUDS_AUDIT_KEY = "k1"
    from_audit = keys.chain_key()
    settings.OMBUDS_AUDIT_KEY = ""
    settings.OMBUDS_MASTER_KEY = "bWFzdGVyIGtleSBtYXN0ZXIga2V5IG1hc3RlciBrZXkh"
    from_master = keys.chain_key()
    assert keys.key_source() == "master key"
    settings.OMBUDS_MASTER_KEY = ""
    assert keys.key_source() == "secret key"
    assert len({from_audit, from_master, keys.chain_key()}) == 3
    assert keys.pseudonym_key() != keys.chain_key()  # a separate key for the pseudonyms


def test_events_written_before_the_keyed_chain_still_verify_by_their_scheme():
    """Events of scheme 1 (the migration keeps them as they were) verify by SHA-256, and the
    chain goes on keyed after them."""
    old = []
    prev = services.GENESIS
    for seq in (1, 2):
        event = Event(
            scheme=Event.Scheme.SHA256,
            seq=seq,
            occurred_at=dt.datetime(2026, 1, seq, tzinfo=dt.UTC),
            actor_label="Pat Complainant (complainant)",
            action="case.filed",
            subject_type="case",
            subject_id="1",
            data={"n": seq},
        )
        event.data_hash = services._sha256(services.canonical(event.data))
        event.prev_hash, event.hash = prev, ""
        event.hash, event.link = services.event_hash(event), services.link_of(event)
        assert (
            event.hash == hashlib.sha256(services.link_text(**_fields(event)).encode()).hexdigest()
        )
        event.save(force_insert=True)
        prev = event.hash
        old.append(event)
    ChainHead.objects.update_or_create(
        key=1, defaults={"last_seq": 2, "last_hash": prev, "count": 2}
    )
    chain(3)
    assert _verify() == (0, "audit chain intact: 5 events")
    with owner_sql() as cursor:  # a scheme-1 label is inside its hash: changing it shows
        cursor.execute("UPDATE audit_event SET actor_label = 'someone' WHERE seq = 2")
    assert _verify() == (1, "audit chain broken at event #2: it was altered")


def _fields(event: Event) -> dict:
    return {
        "scheme": event.scheme,
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "organization_id": event.organization_id,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "actor_ref": event.actor_ref,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "data_hash": event.data_hash,
        "prev_hash": event.prev_hash,
    }


# --- pseudonymous actors, erasable labels --------------------------------------------------------


def test_an_event_names_who_acted_by_a_stable_pseudonymous_id(django_user_model):
    ana = django_user_model.objects.create_user("ana")
    events = chain(2, actor=ana) + chain(1, actor_label="Pat Complainant (complainant)")
    assert events[0].actor_ref == events[1].actor_ref == services.actor_ref(user=ana)
    assert events[2].actor_ref == services.actor_ref(label="Pat Complainant (complainant)")
    assert events[0].actor_ref != events[2].actor_ref and len(events[0].actor_ref) == 32
    assert "Pat" not in services.link_text(**_fields(events[2]))  # the label is not hashed
    assert (events[0].actor_label, events[2].actor_label) == (
        "ana",
        "Pat Complainant (complainant)",
    )


def test_a_complainant_s_label_is_erased_and_the_chain_still_verifies(django_user_model):
    """The reproduction: the label was inside the event hash, so it could never be purged."""
    ana = django_user_model.objects.create_user("ana")
    chain(2, actor_label="Pat Complainant (complainant)")
    chain(1, actor=ana)
    chain(1, actor_label="anonymous complainant")
    refs = services.refs_of(users=[ana], labels=["Pat Complainant (complainant)"])
    erased = services.labels_purge(refs, reason="erasure on request")
    assert erased == 3
    rows = list(Event.objects.order_by("seq").values_list("actor_label", "actor_id"))
    assert rows[:4] == [(services.ERASED, None)] * 3 + [("anonymous complainant", None)]
    assert rows[4] == ("system", None)  # the erasure itself, on the chain
    assert Event.objects.get(seq=5).action == "audit.labels_erased"
    assert Event.objects.get(seq=5).data == {"reason": "erasure on request", "events": 3}
    assert not Event.objects.filter(actor_label__contains="Pat").exists()
    assert _verify() == (0, "audit chain intact: 5 events")
    # Erasing again changes nothing more; the id still says the same person acted.
    assert services.pseudonym_forget(refs[1], reason="again") == 0
    assert Event.objects.get(seq=1).actor_ref == refs[1]
    with pytest.raises(ValueError, match="needs a reason"):
        services.labels_purge(refs, reason=" ")


def test_a_label_swapped_for_another_name_is_found():
    chain(3, actor_label="Pat Complainant (complainant)")
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET actor_label = 'Sam Other' WHERE seq = 2")
    assert _verify() == (
        1,
        "audit chain broken at event #2: who acted was altered (the label does not match its "
        "pseudonymous id)",
    )


def test_an_account_swapped_for_another_is_found(django_user_model):
    ana = django_user_model.objects.create_user("ana")
    bob = django_user_model.objects.create_user("bob")
    chain(2, actor=ana)
    with owner_sql() as cursor:
        cursor.execute("UPDATE audit_event SET actor_id = %s WHERE seq = 1", [bob.pk])
    code, message = _verify()
    assert code == 1 and "event #1: who acted was altered (the account" in message


@pytest.mark.skipif(not PG, reason="the trigger is PostgreSQL's")
def test_postgresql_lets_a_label_be_erased_and_nothing_else_be_changed():
    chain(2, actor_label="Pat Complainant (complainant)")
    for sql in (
        "UPDATE audit_event SET actor_label = 'Sam Other' WHERE seq = 1",
        "UPDATE audit_event SET actor_ref = 'x' WHERE seq = 1",
        "UPDATE audit_event SET scheme = 1 WHERE seq = 1",
        "UPDATE audit_event SET data = '{\"x\": 1}' WHERE seq = 1",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    refs = services.refs_of(labels=["Pat Complainant (complainant)"])
    assert services.labels_purge(refs, reason="erasure") == 2
    assert services.verify().ok
