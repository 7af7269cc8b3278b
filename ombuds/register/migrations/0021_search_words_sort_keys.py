"""The word tables of migration 0020 made again with each row carrying its person's sort keys
(lower-case family and given names), kept by the same triggers, so that the public search takes
the first by name of the matches it reads from the rows it found them by, without reading the
people (ombuds.register.fulltext). The tables are dropped, made and filled again in one
transaction while the people are locked against writes; their btrees are then built
CONCURRENTLY. Nothing on SQLite."""

from django.db import migrations

from ombuds.register import fulltext


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        fulltext.postgresql_create_words(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("register", "0020_search_words")]

    # Backwards there is nothing to undo: 0020 reads the tables through the same code.
    operations = [migrations.RunPython(create, migrations.RunPython.noop, elidable=False)]
