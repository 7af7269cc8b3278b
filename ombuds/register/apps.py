from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sqlite_search_triggers(using: str = "default", **_kwargs) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it: put the search's back."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from ombuds.register import fulltext

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    applied = MigrationRecorder(connection).applied_migrations()
    if ("register", "0019_search_fulltext") not in applied:
        return
    with connection.cursor() as cursor:
        fulltext.sqlite_ensure(cursor)


class RegisterConfig(AppConfig):
    name = "ombuds.register"
    label = "register"
    verbose_name = "Register"

    def ready(self) -> None:
        post_migrate.connect(_sqlite_search_triggers, sender=self)
