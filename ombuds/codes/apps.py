from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sqlite_search_triggers(using: str = "default", **_kwargs) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it: put the search's back."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from ombuds.codes import search

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if ("codes", "0005_search_fts") not in MigrationRecorder(connection).applied_migrations():
        return
    with connection.cursor() as cursor:
        search.sqlite_ensure(cursor)


class CodesConfig(AppConfig):
    name = "ombuds.codes"
    label = "codes"
    verbose_name = "Codes of conduct"

    def ready(self) -> None:
        post_migrate.connect(_sqlite_search_triggers, sender=self)
