# The respondent filter's trigram index without GIN's "fast update" list: with it, every new or
# changed case's trigrams wait in an unordered pending list (up to gin_pending_list_limit, 4 MB)
# that every search through the index reads in full until a vacuum merges it. Cases are written
# one at a time, a few a minute at most, where the inbox reads them all day: each write now puts
# its few trigrams in their place (a fraction of a millisecond), and a search reads only the index.

from django.db import migrations


def pending_list_off(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER INDEX IF EXISTS "case_respondent_trgm" SET (fastupdate = off)'
        )
        # Turning it off keeps what is already pending: merged now.
        schema_editor.execute(
            "SELECT gin_clean_pending_list(c.oid) FROM pg_class c "
            "WHERE c.relname = 'case_respondent_trgm' AND c.relkind = 'i' "
            "AND pg_table_is_visible(c.oid)"
        )


def pending_list_on(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER INDEX IF EXISTS "case_respondent_trgm" RESET (fastupdate)')


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0017_next_due_counting'),
    ]

    operations = [
        migrations.RunPython(pending_list_off, pending_list_on),
    ]
