"""API tokens get scopes and an expiry. Tokens made before keep what they could do (a staff token
every staff scope, a member token "member") and expire one year from the day this migration runs,
so that nothing stops working without warning."""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone

STAFF_SCOPES = ["register:read", "register:write", "cases:read", "cases:write"]


def scopes_and_expiry(apps, schema_editor):
    ApiToken = apps.get_model("register", "ApiToken")
    expires_on = timezone.localdate() + dt.timedelta(days=365)
    ApiToken.objects.filter(scope="staff").update(scopes=STAFF_SCOPES, expires_on=expires_on)
    ApiToken.objects.filter(scope="member").update(scopes=["member"], expires_on=expires_on)
    ApiToken.objects.filter(expires_on__isnull=True).update(expires_on=expires_on)


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0011_bodies_ratecount_created_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(
                default=list,
                help_text="What the token may do: staff scopes (register:read, register:write, "
                "cases:read, cases:write) or, for a member token, member.",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_on",
            field=models.DateField(null=True, help_text="The token is refused from this day on."),
        ),
        migrations.RunPython(scopes_and_expiry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_on",
            field=models.DateField(help_text="The token is refused from this day on."),
        ),
    ]
