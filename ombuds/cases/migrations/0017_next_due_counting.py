from django.db import migrations, models
from django.db.models import Exists, Min, OuterRef, Subquery


def refill(apps, schema_editor):
    """The next due date no longer counts deadlines waiting for the delivery of the respondent's
    notice (their due date is not known yet): stored again for the cases that have one, set-based."""
    Case = apps.get_model("cases", "Case")
    CaseDeadline = apps.get_model("cases", "CaseDeadline")
    counting = CaseDeadline.objects.filter(
        case=OuterRef("pk"), met_at__isnull=True, expired_at__isnull=True, waits_for_delivery=False
    )
    earliest = counting.order_by().values("case").annotate(due=Min("due_on")).values("due")
    waiting = CaseDeadline.objects.filter(
        case=OuterRef("pk"), met_at__isnull=True, expired_at__isnull=True, waits_for_delivery=True
    )
    Case.objects.filter(Exists(waiting)).update(next_due=Subquery(earliest))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_inbox_next_due"),
    ]

    operations = [
        migrations.RunPython(refill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True)),
                fields=["handler", "next_due", "-filed_at"],
                name="case_handler_open_due",
            ),
        ),
    ]
