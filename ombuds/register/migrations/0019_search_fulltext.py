"""The public register's search by the engine (ombuds.register.fulltext): on PostgreSQL, tsvector
functions and their GIN indexes (unaccent when it can be had); on SQLite, FTS5 tables kept in step
by triggers. Neither is in the models' state: each engine has only its own."""

from django.db import migrations

from ombuds.register import fulltext


def create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            fulltext.postgresql_create(cursor)
        elif schema_editor.connection.vendor == "sqlite":
            fulltext.sqlite_ensure(cursor, rebuild=True)


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            fulltext.postgresql_drop(cursor)
        elif schema_editor.connection.vendor == "sqlite":
            fulltext.sqlite_drop(cursor)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("register", "0018_person_plural")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
