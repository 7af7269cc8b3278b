"""The database's own tools for a consistent copy: PostgreSQL's `pg_dump --format=custom` (in the
same snapshot as the state the manifest records) and `pg_restore`; SQLite's online backup API,
never a copy of a live database file."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connections

from ombuds.operations.manifest import BackupError, ChainHeadState, DatabaseState

ENGINES = {"postgresql": "postgresql", "sqlite": "sqlite"}  # by Django's vendor of the backend
DUMP_NAMES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# Rows a freshly migrated instance already has: the migrations' own records, the content types and
# permissions Django writes after migrating, and the audit chain's empty head.
MIGRATION_ROWS = {"django_migrations", "django_content_type", "auth_permission", "sqlite_sequence"}


def engine_of(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in ENGINES:
        raise BackupError(f"backups are made of PostgreSQL or SQLite databases, not {vendor}")
    return ENGINES[vendor]


# -- reading a database's state (any DB-API cursor) ------------------------------------------------


def _tables(cursor: Any, engine: str) -> list[str]:
    if engine == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    else:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false))"
        )
    return sorted(row[0] for row in cursor.fetchall())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_state(cursor: Any, engine: str) -> DatabaseState:
    """The audit chain's head, the rows in every table and the migrations applied."""
    tables = _tables(cursor, engine)
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    head = ChainHeadState(0, "", 0)
    if "audit_chainhead" in counts:
        cursor.execute("SELECT last_seq, last_hash, count FROM audit_chainhead WHERE key = 1")
        row = cursor.fetchone()
        if row:
            head = ChainHeadState(int(row[0]), str(row[1]), int(row[2]))
    migrations: list[tuple[str, str]] = []
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [(str(a), str(n)) for a, n in cursor.fetchall()]
    return DatabaseState(head=head, tables=counts, migrations=migrations)


_FTS_TABLE = re.compile(r"_fts(?:_(?:config|data|idx|docsize|content))?$")


def holds_data(state: DatabaseState) -> list[str]:
    """The tables that hold rows a freshly migrated instance would not have."""
    found = []
    for table, rows in state.tables.items():
        if not rows or table in MIGRATION_ROWS:
            continue
        if _FTS_TABLE.search(table):
            # SQLite's full-text indexes (and their shadow tables) hold their own bookkeeping rows
            # from the migration on; what they index is in the tables checked here.
            continue
        if table == "audit_chainhead" and state.head.seq == 0 and rows == 1:
            continue
        found.append(table)
    return found


def current_state(alias: str = "default") -> DatabaseState:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return read_state(cursor, engine_of(alias))


# -- SQLite ----------------------------------------------------------------------------------------


def sqlite_dump(target: Path, alias: str = "default") -> DatabaseState:
    """Copy the live database with the online backup API (a consistent snapshot, taken while the
    site runs), then read the copy's state: what the manifest says is what the copy holds."""
    connection = connections[alias]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return read_state(copy.cursor(), "sqlite")
    finally:
        copy.close()


def sqlite_load(source: Path, alias: str = "default") -> None:
    """Write the backup's pages into the configured database file with the backup API."""
    connections.close_all()
    name = connections[alias].settings_dict["NAME"]
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(name)
    try:
        backup.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite database could not be written: {exc}") from exc
    finally:
        target.close()
        backup.close()


# -- PostgreSQL ------------------------------------------------------------------------------------


def _libpq(alias: str) -> tuple[str, dict[str, str]]:
    """The connection string (without the password) and the environment for libpq's tools."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    params = connections[alias].get_connection_params()
    keywords = {o.keyword.decode() for o in psycopg.pq.Conninfo.get_defaults()}
    password = params.pop("password", None)
    conninfo = make_conninfo(
        **{k: str(v) for k, v in params.items() if k in keywords and v is not None}
    )
    env = {**os.environ}
    if password:
        env["PGPASSWORD"] = str(password)
    return conninfo, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not on PATH: install PostgreSQL's client tools")
    return path


def _tool_error(name: str, stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()] or lines or ["no message"]
    return f"{name} failed: {errors[0]}"


def postgresql_dump(target: Path, alias: str = "default") -> DatabaseState:
    """`pg_dump --format=custom` of the configured database in a snapshot exported by a
    repeatable-read transaction, which reads the state the manifest records in the same snapshot."""
    import psycopg

    pg_dump = _tool("pg_dump")
    conninfo, env = _libpq(alias)
    try:
        with psycopg.connect(conninfo, password=env.get("PGPASSWORD")) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            state = read_state(conn.cursor(), "postgresql")
            command = [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}"]
            result = subprocess.run(
                [*command, f"--dbname={conninfo}"], env=env, capture_output=True, text=True
            )
            conn.rollback()
    except psycopg.Error as exc:
        raise BackupError(f"PostgreSQL cannot be read: {exc}".splitlines()[0]) from exc
    if result.returncode != 0:
        raise BackupError(_tool_error("pg_dump", result.stderr))
    return state


def postgresql_load(source: Path, *, has_tables: bool, alias: str = "default") -> None:
    """`pg_restore` into the configured database, in one transaction: all of it or nothing. The
    tables a migrated empty instance already has are dropped and made again from the dump."""
    pg_restore = _tool("pg_restore")
    conninfo, env = _libpq(alias)
    connections.close_all()
    command = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={conninfo}",
    ]
    if has_tables:
        command += ["--clean", "--if-exists"]
    result = subprocess.run([*command, str(source)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(_tool_error("pg_restore", result.stderr))
