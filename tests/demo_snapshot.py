"""The demo, loaded once per test session (once per xdist worker) and put back in each test that asks.

`ombuds demo` takes about a second and a half; a dozen tests need what it loads. The session loads it
once, inside a transaction that it then rolls back, and keeps what it wrote: the rows of every table
the load changed, and the files it left in the data folder (the administrator's password, the cases'
documents). A test's `demo` fixture writes those rows and files back into the test's own database
and data folder, so a test that changes the demo's data changes only its own copy: a test in a
transaction rolls it back, a transactional test (the browser tests) has its tables flushed after it.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, router, transaction
from django.test import TestCase
from django.test.utils import override_settings
from django.utils import timezone


@dataclass(frozen=True)
class Demo:
    """The demo as a test sees it: the administrator's login and what `ombuds demo` printed."""

    username: str
    password: str
    output: str


@dataclass(frozen=True)
class _Table:
    model: type[models.Model]
    fields: list[models.Field]
    rows: list[models.Model]
    was_empty: bool  # before the load: the restore then expects it empty, else replaces its rows


@dataclass(frozen=True)
class Snapshot:
    day: dt.date
    demo: Demo
    tables: list[_Table]
    files: Path


def _models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and router.allow_migrate_model(connection.alias, model)
    ]


def _state(model: type[models.Model], fields: list[models.Field]) -> list[tuple]:
    return list(model._base_manager.order_by("pk").values_list(*(f.attname for f in fields)))


def take(settings_for: dict) -> Snapshot:
    """Load the demo with `ombuds demo` under these settings, note what it wrote, and undo it (the
    caller has database access; the files stay in the settings' DATA_DIR)."""
    folder = Path(settings_for["DATA_DIR"])
    tables = []
    with override_settings(**settings_for), transaction.atomic():
        before = {}
        for model in _models():
            fields = model._meta.concrete_fields
            count = model._base_manager.count()
            before[model] = (count, _state(model, fields) if count else [])
        out = io.StringIO()
        # What commits would set off (a notice's task) runs before the rows are read, as it would
        # after the command's own commit.
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("demo", stdout=out)
        for model, (count, rows) in before.items():
            fields = model._meta.concrete_fields
            after = _state(model, fields) if model._base_manager.exists() else []
            if after != rows:
                objects = list(model._base_manager.order_by("pk"))
                tables.append(_Table(model, fields, objects, was_empty=not count))
        transaction.set_rollback(True)
    password = (folder / "demo-admin-password").read_text(encoding="utf-8").strip()
    return Snapshot(
        day=timezone.localdate(),
        demo=Demo(username="admin", password=password, output=out.getvalue()),
        tables=tables,
        files=folder,
    )


def restore(snapshot: Snapshot, data_dir: Path) -> Demo:
    """Write the demo's rows into the database as it is now, and its files into `data_dir`."""
    with transaction.atomic():
        for table in snapshot.tables:
            if table.was_empty:
                if table.model._base_manager.exists():
                    raise RuntimeError(
                        f"the demo is restored into a database that already has "
                        f"{table.model._meta.label} rows: ask for the `demo` fixture before "
                        "fixtures that write"
                    )
            else:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DELETE FROM {connection.ops.quote_name(table.model._meta.db_table)}"
                    )
        _insert(snapshot.tables)
    shutil.copytree(snapshot.files, data_dir, dirs_exist_ok=True)
    return snapshot.demo


def _insert(tables: list[_Table]) -> None:
    for table in tables:
        # Raw inserts, as loaddata does: the rows keep their keys and their timestamps.
        size = connection.ops.bulk_batch_size(table.fields, table.rows) or len(table.rows)
        for start in range(0, len(table.rows), size):
            table.model._base_manager._insert(
                table.rows[start : start + size], fields=table.fields, raw=True
            )
    # PostgreSQL's sequences do not move for rows written with their keys.
    reset = connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables])
    if reset:
        with connection.cursor() as cursor:
            for sql in reset:
                cursor.execute(sql)


class DemoCache:
    """The session's snapshot, taken at first use and again should the day change (the demo's dates
    are counted from today)."""

    def __init__(self, settings_for, blocker) -> None:
        self._settings_for = settings_for
        self._blocker = blocker
        self._snapshot: Snapshot | None = None
        self._folders: list[Path] = []

    def snapshot(self) -> Snapshot:
        if self._snapshot is None or self._snapshot.day != timezone.localdate():
            folder = Path(tempfile.mkdtemp(prefix="ombuds-demo-"))
            self._folders.append(folder)
            with self._blocker.unblock():
                self._snapshot = take(self._settings_for(folder))
        return self._snapshot

    def close(self) -> None:
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)
