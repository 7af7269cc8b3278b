"""Each event keeps the exact text its hash was taken of (`link`), so `ombuds audit verify` hashes
the stored bytes and checks they say what the row's fields say, instead of rebuilding the text of
every event. The events written before are given theirs here, in batches (computed from their
fields by the same `link_text`; no hash changes).

On PostgreSQL the append-only trigger now also refuses a change of the link once written."""

import importlib

from django.db import migrations, models

BATCH = 2000

PREVIOUS = importlib.import_module("ombuds.audit.migrations.0005_sealed_details_and_key_rotation").CREATE

CREATE = PREVIOUS.replace(
    "       OR NEW.hash IS DISTINCT FROM OLD.hash THEN",
    "       OR NEW.hash IS DISTINCT FROM OLD.hash\n"
    "       OR (NEW.link IS DISTINCT FROM OLD.link AND OLD.link <> '') THEN",
    1,
)
assert CREATE != PREVIOUS

FIELDS = (
    "seq",
    "scheme",
    "occurred_at",
    "organization_id",
    "actor_id",
    "actor_label",
    "actor_ref",
    "action",
    "subject_type",
    "subject_id",
    "data_hash",
    "prev_hash",
)


def backfill(apps, schema_editor):
    from ombuds.audit.services import link_text

    Event = apps.get_model("audit", "Event")
    db, last = schema_editor.connection.alias, 0
    while True:
        rows = list(
            Event.objects.using(db).filter(seq__gt=last).order_by("seq").values_list(*FIELDS)[:BATCH]
        )
        if not rows:
            return
        events = []
        for row in rows:
            fields = dict(zip(FIELDS, row))
            events.append(Event(seq=row[0], link=link_text(**fields)))
        Event.objects.using(db).bulk_update(events, ["link"], batch_size=500)
        last = rows[-1][0]


def trigger_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def trigger_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_sealed_details_and_key_rotation")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="link",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(trigger_forwards, trigger_backwards),
    ]
