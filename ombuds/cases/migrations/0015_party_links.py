# The respondent's personal link becomes a party's link (respondent or complainant): the table is
# renamed and every existing link stays the respondent's, so links already sent keep working.
# Going back deletes the complainants' links (the old table knew only respondents').

import django.db.models.deletion
from django.db import migrations, models


def complainant_links_delete(apps, schema_editor):
    """Going back: a complainant's link must not become a respondent's."""
    apps.get_model("cases", "PartyLink").objects.filter(party="complainant").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_notice_delivery"),
    ]

    operations = [
        migrations.RenameModel(old_name="RespondentLink", new_name="PartyLink"),
        migrations.AlterField(
            model_name="partylink",
            name="case",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="party_links",
                to="cases.case",
            ),
        ),
        migrations.AddField(
            model_name="partylink",
            name="party",
            field=models.CharField(
                choices=[("respondent", "Respondent"), ("complainant", "Complainant")],
                default="respondent",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="partylink",
            name="address_hash",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.RunPython(migrations.RunPython.noop, complainant_links_delete),
        migrations.CreateModel(
            name="RespondentLink",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("cases.partylink",),
        ),
        migrations.CreateModel(
            name="ComplainantLink",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("cases.partylink",),
        ),
    ]
