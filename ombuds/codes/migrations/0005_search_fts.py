"""SQLite's full-text index of provisions (ombuds.codes.search): an FTS5 table kept in step by
triggers. PostgreSQL searches the provisions of one version with to_tsvector as it goes (a
version's few thousand provisions), in the body's language, so nothing is created there."""

from django.db import migrations

from ombuds.codes import search


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            search.sqlite_ensure(cursor, rebuild=True)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            search.sqlite_drop(cursor)


class Migration(migrations.Migration):
    dependencies = [("codes", "0004_code_citation_prefix_and_profile")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
