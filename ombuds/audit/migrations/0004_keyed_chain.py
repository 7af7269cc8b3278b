"""The keyed chain: events written from now on are linked by an HMAC under the audit key (scheme
2) and name who acted by a pseudonymous id, the readable label outside the hash. The events written
before keep scheme 1 (their SHA-256 links, the label inside): re-linking them would need the key at
migration time and would rewrite history, so `ombuds audit verify` checks each event by its scheme.

On PostgreSQL the trigger now also lets the label be erased and the account let go on scheme-2
events (`labels_purge`), and nothing else."""

from django.db import migrations, models

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

# The trigger of 0002 is kept; only its function changes (the one of 0002 comes back on the way down).
PREVIOUS = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit events are never deleted';
    END IF;
    IF NEW.seq IS DISTINCT FROM OLD.seq
       OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id
       OR NEW.actor_id IS DISTINCT FROM OLD.actor_id
       OR NEW.actor_label IS DISTINCT FROM OLD.actor_label
       OR NEW.action IS DISTINCT FROM OLD.action
       OR NEW.subject_type IS DISTINCT FROM OLD.subject_type
       OR NEW.subject_id IS DISTINCT FROM OLD.subject_id
       OR NEW.data_hash IS DISTINCT FROM OLD.data_hash
       OR NEW.prev_hash IS DISTINCT FROM OLD.prev_hash
       OR NEW.hash IS DISTINCT FROM OLD.hash
       OR OLD.purged_at IS NOT NULL
       OR NEW.purged_at IS NULL
       OR NEW.data::text <> '{}' THEN
        RAISE EXCEPTION 'audit events are append-only: only a purge of the details is allowed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_organization_in_bodies")]

    operations = [
        # Every event already written is scheme 1; the default for new ones is 2.
        migrations.AddField(
            model_name="event",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "SHA-256 of the fields, the label inside (events before the keyed chain)"),
                    (2, "HMAC-SHA256 under the audit key, a pseudonymous actor id inside"),
                ],
                default=1,
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "SHA-256 of the fields, the label inside (events before the keyed chain)"),
                    (2, "HMAC-SHA256 under the audit key, a pseudonymous actor id inside"),
                ],
                default=2,
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="actor_ref",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="chainhead",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(forwards, backwards),
    ]
