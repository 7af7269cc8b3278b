"""Second-factor seeds written before they were sealed are sealed (ombuds.accounts.totp_seeds)."""

from django.db import migrations


def seal(apps, schema_editor):
    from ombuds.accounts.totp_seeds import seal_existing

    seal_existing(apps.get_model("otp_totp", "TOTPDevice"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organization_in_bodies"),
        ("bodies", "0002_keys"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
