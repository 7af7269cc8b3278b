"""Trigram indexes for the public register's name and city search, on PostgreSQL only.

The search asks UPPER(column) LIKE 'WORD%' / '% WORD%' / '%-WORD%' (istartswith, icontains), which
no b-tree index serves; a GIN trigram index on the same expression does. They are not in the models'
Meta.indexes: SQLite cannot create them, and would fail to rebuild the tables in any later migration
that alters Person or Agency if the model state held them.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# (table, index, indexed expression): each exactly as Django writes it in the search's WHERE clause.
TRIGRAM_INDEXES = [
    ("register_person", "person_given_name_trgm", 'UPPER("given_name"::text)'),
    ("register_person", "person_family_name_trgm", 'UPPER("family_name"::text)'),
    ("register_person", "person_city_trgm", 'UPPER("city"::text)'),
    ("register_agency", "agency_legal_name_trgm", 'UPPER("legal_name"::text)'),
    ("register_agency", "agency_trade_names_trgm", 'UPPER("trade_names"::text)'),
    ("register_agency", "agency_city_trgm", 'UPPER("city"::text)'),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, expression in TRIGRAM_INDEXES:
        # CONCURRENTLY: a large register stays writable while the index is built.
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" '
            f"USING gin (({expression}) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _expression in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("register", "0006_ratecount")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
