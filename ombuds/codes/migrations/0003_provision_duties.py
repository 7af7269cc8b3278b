"""Each provision lists the duties it states (issue 16), computed from its text.

Duties are derived data, like the full text and the modality: the data migration works them out for
every stored provision, published versions included, from words that do not change. Nothing that
a digest covers changes (the canonical Markdown of a version shows neither duties nor modality).

A stored modality changes in the two cases the new rule reads differently, and only there: a
"permission" whose text also binds ("may be sent to the clerk, who shall answer ...") becomes
the binding duty's modality, and a "permission" whose "may" speaks of a possibility ("may be
subject to") becomes none. Every other modality stays as stored.
"""

from django.db import migrations, models


def compute_duties(apps, schema_editor):
    from ombuds.codes.parser import duties_of

    Provision = apps.get_model("codes", "Provision")
    fields = ["duties", "modality"]
    batch = []
    rows = Provision.objects.only("pk", "text", "full_text", "modality")
    for provision in rows.iterator(chunk_size=2000):
        provision.duties = duties_of(provision.text, provision.full_text or provision.text)
        if provision.modality == "permission":
            kinds = [duty["kind"] for duty in provision.duties]
            binding = [k for k in kinds if k in ("obligation", "prohibition")]
            if binding:
                provision.modality = binding[0]
            elif "permission" not in kinds:
                provision.modality = ""
        batch.append(provision)
        if len(batch) >= 1000:
            Provision.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        Provision.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):

    dependencies = [
        ('codes', '0002_organization_in_bodies'),
    ]

    operations = [
        migrations.AddField(
            model_name='provision',
            name='duties',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(compute_duties, migrations.RunPython.noop, elidable=True),
    ]
