"""The word tables of migration 0020 made again with each row carrying its person's sort keys
(lower-case family and given names), kept by the same triggers, so that the public search takes
the first by name of the matches it reads from the rows it found them by, without reading the
people (ombuds.register.fulltext). The tables are kept (with the grants given on them), given
the keys' columns, emptied and filled again with their btrees in one transaction while the people
are locked against writes; searches wait for it. Nothing to do where 0020 already made them so (a
new database), nor on SQLite."""

from django.db import migrations

from ombuds.register import fulltext


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql" and not fulltext.words_have_sort_keys(connection):
        fulltext.postgresql_create_words(connection)


class Migration(migrations.Migration):
    atomic = False  # VACUUM cannot run in a transaction

    dependencies = [("register", "0020_search_words")]

    # Backwards there is nothing to undo: 0020 reads the tables through the same code.
    operations = [migrations.RunPython(create, migrations.RunPython.noop, elidable=False)]
