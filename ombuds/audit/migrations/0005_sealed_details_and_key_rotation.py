"""Sealed details and a rotatable chain key.

- The events' details become text sealed with the data key of the event's body (the deployment's
  own for an event of no body): the details written before are sealed here, in batches. Their
  `data_hash` is of the plaintext, so no hash changes and the chain verifies as before.
- The chain head keeps the pseudonym key, sealed by the current chain key, so that the pseudonymous
  ids stay the same when the chain key rotates (filled by the first event appended after this).
- On PostgreSQL the append-only trigger now also lets the details be sealed or re-sealed (a data key
  rotation): only to a sealed value, and never on a purged event. Whoever swaps a sealed value is
  caught by `ombuds audit verify`, which opens the details and checks their hash."""

import json

from django.db import migrations, models

import ombuds.audit.sealing

CREATE = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are never deleted';
    END IF;
    IF NEW.seq IS DISTINCT FROM OLD.seq
       OR NEW.scheme IS DISTINCT FROM OLD.scheme
       OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id
       OR NEW.actor_ref IS DISTINCT FROM OLD.actor_ref
       OR NEW.action IS DISTINCT FROM OLD.action
       OR NEW.subject_type IS DISTINCT FROM OLD.subject_type
       OR NEW.subject_id IS DISTINCT FROM OLD.subject_id
       OR NEW.data_hash IS DISTINCT FROM OLD.data_hash
       OR NEW.prev_hash IS DISTINCT FROM OLD.prev_hash
       OR NEW.hash IS DISTINCT FROM OLD.hash THEN
        RAISE EXCEPTION 'audit events are append-only: only a purge of the details or of the label is allowed';
    END IF;
    IF (NEW.data IS DISTINCT FROM OLD.data OR NEW.purged_at IS DISTINCT FROM OLD.purged_at)
       AND NOT (OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL AND NEW.data = '{}')
       AND NOT (OLD.purged_at IS NULL AND NEW.purged_at IS NULL AND left(NEW.data, 5) = 'enc1:') THEN
        RAISE EXCEPTION 'audit events are append-only: only a purge of the details or of the label is allowed';
    END IF;
    IF (NEW.actor_label IS DISTINCT FROM OLD.actor_label OR NEW.actor_id IS DISTINCT FROM OLD.actor_id)
       AND (OLD.scheme < 2 OR NEW.actor_label <> '(name erased)' OR NEW.actor_id IS NOT NULL) THEN
        RAISE EXCEPTION 'audit events are append-only: only a purge of the details or of the label is allowed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# The function of 0004, for the way down (after the column is JSON again).
PREVIOUS = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are never deleted';
    END IF;
    IF NEW.seq IS DISTINCT FROM OLD.seq
       OR NEW.scheme IS DISTINCT FROM OLD.scheme
       OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id
       OR NEW.actor_ref IS DISTINCT FROM OLD.actor_ref
       OR NEW.action IS DISTINCT FROM OLD.action
       OR NEW.subject_type IS DISTINCT FROM OLD.subject_type
       OR NEW.subject_id IS DISTINCT FROM OLD.subject_id
       OR NEW.data_hash IS DISTINCT FROM OLD.data_hash
       OR NEW.prev_hash IS DISTINCT FROM OLD.prev_hash
       OR NEW.hash IS DISTINCT FROM OLD.hash THEN
        RAISE EXCEPTION 'audit events are append-only: only a purge of the details or of the label is allowed';
    END IF;
    IF (NEW.data::text IS DISTINCT FROM OLD.data::text OR NEW.purged_at IS DISTINCT FROM OLD.purged_at)
       AND (OLD.purged_at IS NOT NULL OR NEW.purged_at IS NULL OR NEW.data::text <> '{}') THEN
        RAISE EXCEPTION 'audit events are append-only: only a purge of the details or of the label is allowed';
    END IF;
    IF (NEW.actor_label IS DISTINCT FROM OLD.actor_label OR NEW.actor_id IS DISTINCT FROM OLD.actor_id)
       AND (OLD.scheme < 2 OR NEW.actor_label <> '(name erased)' OR NEW.actor_id IS NOT NULL) THEN
        RAISE EXCEPTION 'audit events are append-only: only a purge of the details or of the label is allowed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

BATCH = 1000


def trigger_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def trigger_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


def seal_existing(apps, schema_editor):
    """Seal the details written in clear, with the data keys of `ombuds.bodies.keys` (registered
    when the apps are ready, as they are during `migrate`)."""
    from ombuds.audit import sealing

    connection, last = schema_editor.connection, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq, organization_id, data FROM audit_event WHERE seq > %s"
                " ORDER BY seq LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        with connection.cursor() as cursor:
            for seq, organization_id, text in rows:
                if not text or text.startswith(sealing.SEALED_PREFIX):
                    continue
                details = json.loads(text)
                if details:
                    cursor.execute(
                        "UPDATE audit_event SET data = %s WHERE seq = %s",
                        [sealing.seal(details, organization_id), seq],
                    )
        last = rows[-1][0]


def open_existing(apps, schema_editor):
    """On the way down: the details in clear again (the column becomes JSON)."""
    from ombuds.audit import sealing

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, data FROM audit_event WHERE data LIKE 'enc1:%%'")
        rows = cursor.fetchall()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        for seq, text in rows:
            plain = json.dumps(sealing.open_details(text), sort_keys=True, separators=(",", ":"))
            cursor.execute("UPDATE audit_event SET data = %s WHERE seq = %s", [plain, seq])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_keyed_chain"),
        ("bodies", "0002_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="chainhead",
            name="pseudonyms",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.RunPython(migrations.RunPython.noop, trigger_backwards),
        migrations.AlterField(
            model_name="event",
            name="data",
            field=ombuds.audit.sealing.SealedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(trigger_forwards, migrations.RunPython.noop),
        migrations.RunPython(seal_existing, open_existing),
    ]
