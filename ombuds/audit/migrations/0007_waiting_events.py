"""Events written while another transaction held the chain head wait here to be linked
(`ombuds.audit.models.WaitingEvent`, `ombuds.audit.services.settle`).

On PostgreSQL two guards come with the table, owned by the role that migrates:
- a trigger refuses every UPDATE of a waiting row, every DELETE by a role other than the table's
  owner, and every INSERT whose id is not the number the table's sequence has just given this
  session (so a row linked and deleted cannot be written again under its old id: its MAC covers
  the id);
- `audit_link_waiting(first_seq, ids, data_hashes, hashes, links)`, SECURITY DEFINER with a fixed
  search_path: the one way a waiting row leaves the table. It locks the chain head, and for each id
  deletes the waiting row and inserts the event made of that row's own fields, numbered from the
  head on, each event's prev_hash the one before it; only the hash and the link text (which need
  the chain key) and, across a key rotation, the details' hash come from the caller, and verify
  checks those. It moves the head past them.

Reversing refuses while events wait (link them first: `ombuds audit verify --settle`).
"""


import django.db.models.deletion
import ombuds.audit.sealing
from django.conf import settings
from django.db import migrations, models

GUARD = """
CREATE OR REPLACE FUNCTION {schema}.audit_waiting_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = {schema}, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.id IS DISTINCT FROM currval(pg_get_serial_sequence(
                quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME), 'id')) THEN
            RAISE EXCEPTION 'audit: a waiting event takes the number its sequence just gave';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit: waiting events are never changed';
    END IF;
    IF current_user <> (SELECT relowner::regrole::name FROM pg_class WHERE oid = TG_RELID) THEN
        RAISE EXCEPTION 'audit: waiting events leave only by being linked (audit_link_waiting)';
    END IF;
    RETURN OLD;
END;
$$;
DROP TRIGGER IF EXISTS audit_waiting_guard ON {schema}.audit_waitingevent;
CREATE TRIGGER audit_waiting_guard BEFORE INSERT OR UPDATE OR DELETE ON {schema}.audit_waitingevent
    FOR EACH ROW EXECUTE FUNCTION {schema}.audit_waiting_guard();

CREATE OR REPLACE FUNCTION {schema}.audit_link_waiting(
    p_first_seq bigint, p_ids bigint[], p_data_hashes text[], p_hashes text[], p_links text[]
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    h audit_chainhead%ROWTYPE;
    w audit_waitingevent%ROWTYPE;
    n integer := coalesce(array_length(p_ids, 1), 0);
    v_seq bigint;
    v_prev text;
BEGIN
    IF coalesce(array_length(p_data_hashes, 1), 0) <> n
       OR coalesce(array_length(p_hashes, 1), 0) <> n
       OR coalesce(array_length(p_links, 1), 0) <> n THEN
        RAISE EXCEPTION 'audit: linking needs one hash and one link text per waiting event';
    END IF;
    SELECT * INTO h FROM audit_chainhead WHERE key = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit: the chain has no head';
    END IF;
    IF p_first_seq IS DISTINCT FROM h.last_seq + 1 THEN
        RAISE EXCEPTION 'audit: linking at #% but the chain head is at #%', p_first_seq, h.last_seq;
    END IF;
    v_seq := h.last_seq;
    v_prev := coalesce(nullif(h.last_hash, ''), repeat('0', 64));
    FOR i IN 1 .. n LOOP
        DELETE FROM audit_waitingevent WHERE id = p_ids[i] RETURNING * INTO w;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit: no event #% is waiting', p_ids[i];
        END IF;
        IF w.key_id = h.key_id AND p_data_hashes[i] IS DISTINCT FROM w.data_hash THEN
            RAISE EXCEPTION 'audit: waiting event #% linked with details it does not have', w.id;
        END IF;
        v_seq := v_seq + 1;
        INSERT INTO audit_event (seq, scheme, occurred_at, organization_id, actor_id, actor_label,
                                 actor_ref, action, subject_type, subject_id, data, data_hash,
                                 purged_at, prev_hash, hash, link)
        VALUES (v_seq, 2, w.occurred_at, w.organization_id, w.actor_id, w.actor_label, w.actor_ref,
                w.action, w.subject_type, w.subject_id, w.data, p_data_hashes[i], NULL, v_prev,
                p_hashes[i], p_links[i]);
        v_prev := p_hashes[i];
    END LOOP;
    UPDATE audit_chainhead SET last_seq = v_seq, last_hash = v_prev, count = count + n WHERE key = 1;
    RETURN v_seq;
END;
$$;
REVOKE ALL ON FUNCTION {schema}.audit_link_waiting(bigint, bigint[], text[], text[], text[])
    FROM PUBLIC;
"""

DROP = """
DROP TRIGGER IF EXISTS audit_waiting_guard ON {schema}.audit_waitingevent;
DROP FUNCTION IF EXISTS {schema}.audit_waiting_guard();
DROP FUNCTION IF EXISTS {schema}.audit_link_waiting(bigint, bigint[], text[], text[], text[]);
"""


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        return cursor.fetchone()[0]


def guards_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:  # no parameters: its RAISEs hold %
            cursor.execute(GUARD.format(schema=_schema(schema_editor)))


def guards_backwards(apps, schema_editor):
    waiting = apps.get_model("audit", "WaitingEvent").objects.using(schema_editor.connection.alias)
    if waiting.exists():
        raise RuntimeError(
            f"{waiting.count()} audit events wait to be linked: link them first "
            "(`ombuds audit verify --settle`), then migrate back"
        )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP.format(schema=_schema(schema_editor)))


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0006_stored_link'),
        ('bodies', '0004_languages_time_zone'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='WaitingEvent',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('occurred_at', models.DateTimeField()),
                ('actor_label', models.CharField(max_length=200)),
                ('actor_ref', models.CharField(max_length=64)),
                ('action', models.CharField(max_length=100)),
                ('subject_type', models.CharField(max_length=50)),
                ('subject_id', models.CharField(max_length=64)),
                ('data', ombuds.audit.sealing.SealedJSONField(blank=True, default=dict)),
                ('data_hash', models.CharField(max_length=64)),
                ('key_id', models.CharField(max_length=16)),
                ('mac', models.CharField(max_length=64)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bodies.organization')),
            ],
            options={
                'indexes': [models.Index(fields=['subject_type', 'subject_id'], name='audit_waiti_subject_95a03c_idx')],
            },
        ),
        migrations.RunPython(guards_forwards, guards_backwards),
    ]
