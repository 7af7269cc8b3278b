"""The public register's search on PostgreSQL by btrees of people's words (ombuds.register.fulltext:
`register_person_word` and `register_person_word_pair`, kept in step by triggers on
register_person and filled from the people there), so that a prefix is a range read up to the
search's cap instead of a bitmap of every person having a word. Not in the models' state; nothing
on SQLite, whose FTS5 tables serve as they are."""

from django.db import migrations

from ombuds.register import fulltext


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        fulltext.postgresql_create_words(schema_editor.connection)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            fulltext.postgresql_drop_words(cursor)


class Migration(migrations.Migration):
    atomic = False  # VACUUM cannot run in a transaction

    dependencies = [("register", "0019_search_fulltext")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
