"""`ombuds backup DIR` and `ombuds restore DIR`, round trip on SQLite and on PostgreSQL.

Each instance is a real one in processes of its own (its own DATABASE_URL and OMBUDS_DATA_DIR): a
source with a small register and a case with a document is backed up, and the backup is restored
with `pg_restore` or SQLite's backup API into a fresh, empty database and data folder."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.operations.instance import PDF

PROJECT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("OMBUDS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
ENGINES = ["sqlite", "postgresql"]


@dataclass
class Instance:
    """One Ombuds instance: a data folder and, on PostgreSQL, a database of its own."""

    engine: str
    data: Path
    database: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ombuds.settings",
            "OMBUDS_DATA_DIR": str(self.data),
            # A restore needs the master key the backup's data keys were wrapped with.
            "OMBUDS_MASTER_KEY": "b21idWRzLWJhY2t1cC10ZXN0LW1hc3Rlci1rZXktMzI=",
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("OMBUDS_MASTER_KEY_FILE", None)
        if self.database:
            self.env["DATABASE_URL"] = f"{SERVER}/{self.database}"

    def ombuds(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ombuds", *args],
            env=env or self.env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def script(self, action: str) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "tests.operations.instance", action],
            env=self.env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def migrate(self) -> None:
        result = self.ombuds("migrate", "-v", "0")
        assert result.returncode == 0, result.stderr

    def tables(self) -> list[str]:
        """The tables in this instance's database (none for a database never written)."""
        if self.engine == "postgresql":
            import psycopg

            with psycopg.connect(f"{SERVER}/{self.database}") as conn:
                rows = conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            return [name for (name,) in rows]
        import sqlite3

        path = self.data / "ombuds.sqlite3"
        if not path.exists():
            return []
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        conn.close()
        return [name for (name,) in rows]

    def media(self) -> list[Path]:
        return [p for p in (self.data / "media").rglob("*") if p.is_file()]


def _server_or_skip() -> None:
    import psycopg

    try:
        psycopg.connect(f"{SERVER}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL at {SERVER}: {exc}".splitlines()[0])


class Instances:
    """Makes instances, and drops their PostgreSQL databases at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.databases = folder, []

    def new(self, engine: str) -> Instance:
        name = f"ombuds_bk_{uuid.uuid4().hex[:12]}"
        if engine == "sqlite":
            return Instance(engine, self.folder / name)
        import psycopg

        _server_or_skip()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return Instance(engine, self.folder / name, database=name)

    def close(self) -> None:
        if not self.databases:
            return
        import psycopg

        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            for name in self.databases:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def instances(tmp_path_factory) -> Iterator[Instances]:
    made = Instances(tmp_path_factory.mktemp("instances"))
    yield made
    made.close()


@dataclass
class Backup:
    source: Instance
    directory: Path
    seeded: dict
    output: str


@pytest.fixture(scope="module", params=ENGINES)
def backed_up(request, instances, tmp_path_factory) -> Backup:
    """A source instance with a register, a case and its document, and its backup."""
    source = instances.new(request.param)
    source.migrate()
    seeded = source.script("seed")
    directory = tmp_path_factory.mktemp("backups") / request.param
    result = source.ombuds("backup", str(directory))
    assert result.returncode == 0, result.stderr
    return Backup(source, directory, seeded, result.stdout)


def one_line(text: str) -> str:
    assert text.strip() and "\n" not in text.strip(), text
    return text.strip()


def test_backup_says_what_it_holds_and_the_manifest_records_the_chain_head(backed_up):
    line = one_line(backed_up.output)
    assert line.startswith(f"backed up to {backed_up.directory}: ")
    assert "1 files (" in line and "audit chain at #" in line
    manifest = json.loads((backed_up.directory / "manifest.json").read_text())
    assert manifest["engine"] == backed_up.source.engine
    assert manifest["ombuds_version"]
    seq, digest = backed_up.seeded["head"]
    assert manifest["state"]["head"]["seq"] == seq >= 3
    assert manifest["state"]["head"]["hash"] == digest
    [document] = manifest["files"]
    assert document["path"] in backed_up.seeded["documents"]
    # The backup holds the file as stored: ciphertext (its key travels in the database dump).
    copied = (backed_up.directory / "files" / document["path"]).read_bytes()
    assert b"%PDF" not in copied and len(copied) > len(PDF)
    assert document["sha256"] == hashlib.sha256(copied).hexdigest()
    assert document["size"] == len(copied)
    dump = backed_up.directory / manifest["dump"]["path"]
    assert hashlib.sha256(dump.read_bytes()).hexdigest() == manifest["dump"]["sha256"]
    if backed_up.source.engine == "postgresql":
        assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    else:
        assert dump.read_bytes().startswith(b"SQLite format 3\x00")


@pytest.mark.parametrize("migrated", [False, True], ids=["new", "migrated"])
def test_round_trip_into_an_empty_instance(backed_up, instances, migrated):
    target = instances.new(backed_up.source.engine)
    if migrated:
        target.migrate()  # an operator may migrate the empty instance first
    result = target.ombuds("restore", str(backed_up.directory))
    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout).startswith("restored: ")
    restored = target.script("inspect")
    assert restored == backed_up.seeded
    assert restored["verify"].startswith("audit chain intact")
    assert restored["counts"] == {
        "events": restored["head"][0],
        "people": 2,
        "credentials": 2,
        "cases": 1,
        "documents": 1,
    }
    [path] = restored["documents"]
    # Ciphertext on the restored disk, the original bytes through the application.
    assert b"%PDF" not in (target.data / "media" / path).read_bytes()
    assert restored["documents"][path] == hashlib.sha256(PDF).hexdigest()


@pytest.mark.parametrize("damage", ["document", "dump", "manifest"])
def test_an_altered_backup_is_refused_before_anything_is_written(
    backed_up, instances, tmp_path, damage
):
    copy = tmp_path / "copy"
    shutil.copytree(backed_up.directory, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    if damage == "document":
        altered = copy / "files" / manifest["files"][0]["path"]
        data = bytearray(altered.read_bytes())
        data[len(data) // 2] ^= 0xFF
        altered.write_bytes(bytes(data))
    elif damage == "dump":
        altered = copy / manifest["dump"]["path"]
        data = bytearray(altered.read_bytes())
        data[len(data) // 2] ^= 0xFF
        altered.write_bytes(bytes(data))
    else:
        (copy / "manifest.json").unlink()  # as a backup interrupted before its manifest
    target = instances.new(backed_up.source.engine)
    result = target.ombuds("restore", str(copy))
    assert result.returncode == 1
    assert result.stdout == ""
    reason = one_line(result.stderr)
    if damage == "manifest":
        assert reason == f"CommandError: {copy} has no manifest.json: it is not a complete backup"
    else:
        assert "does not match its checksum in the manifest" in reason
    assert target.tables() == []
    assert target.media() == []


def test_a_target_that_holds_data_is_refused(backed_up):
    source = backed_up.source
    result = source.ombuds("restore", str(backed_up.directory))
    assert result.returncode == 1
    assert one_line(result.stderr).startswith("CommandError: the target database is not empty (")
    assert "restore goes into an empty instance" in result.stderr
    assert source.script("inspect") == backed_up.seeded


def test_a_target_whose_file_storage_holds_files_is_refused(backed_up, instances):
    target = instances.new(backed_up.source.engine)
    (target.data / "media").mkdir(parents=True)
    (target.data / "media" / "left-over.pdf").write_bytes(PDF)
    result = target.ombuds("restore", str(backed_up.directory))
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "CommandError: the target file storage is not empty: restore goes into an empty instance"
    )
    assert target.media() == [target.data / "media" / "left-over.pdf"]


def test_a_database_migrated_further_than_the_backup_is_refused(backed_up, instances):
    """pg_restore would leave the newer tables beside the backup's, and `migrate` would then fail."""
    if backed_up.source.engine == "sqlite":
        pytest.skip("SQLite's backup API replaces the whole database file")
    import psycopg

    target = instances.new("postgresql")
    target.migrate()
    with psycopg.connect(f"{SERVER}/{target.database}", autocommit=True) as conn:
        conn.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('audit', '9999_next', now())"
        )
    tables = target.tables()
    result = target.ombuds("restore", str(backed_up.directory))
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "CommandError: the target database was migrated further than the backup (1 migrations "
        "the backup has not applied): restore into a database with no tables (drop and create it)"
    )
    assert target.tables() == tables


def test_a_backup_into_a_folder_that_is_not_empty_is_refused(backed_up, tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = backed_up.source.ombuds("backup", str(folder))
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"CommandError: {folder} is not empty: a backup goes into an empty folder"
    )
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_backup_of_another_engine_is_refused(backed_up, instances):
    other = "sqlite" if backed_up.source.engine == "postgresql" else "postgresql"
    target = instances.new(other)
    result = target.ombuds("restore", str(backed_up.directory))
    assert result.returncode == 1
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    assert one_line(result.stderr) == (
        f"CommandError: the backup is of a {names[backed_up.source.engine]} database but this "
        f"instance is configured for {names[other]}: set DATABASE_URL to a "
        f"{names[backed_up.source.engine]} database"
    )
    assert target.tables() == []


def test_a_failed_backup_leaves_nothing_that_looks_like_a_backup(backed_up, tmp_path):
    """Without pg_dump (PostgreSQL) or with a damaged database file (SQLite), the backup fails with
    one line and removes what it wrote."""
    folder = tmp_path / "new" / "backup"
    env = dict(backed_up.source.env)
    if backed_up.source.engine == "postgresql":
        env["PATH"] = str(tmp_path / "empty-bin")
        expected = "CommandError: pg_dump is not on PATH: install PostgreSQL's client tools"
    else:
        damaged = tmp_path / "damaged"
        damaged.mkdir()
        (damaged / "ombuds.sqlite3").write_bytes(b"not a database at all " * 500)
        env["OMBUDS_DATA_DIR"] = str(damaged)
        expected = "CommandError: the database cannot be read: file is not a database"
    result = backed_up.source.ombuds("backup", str(folder), env=env)
    assert result.returncode == 1
    assert one_line(result.stderr) == expected
    assert not folder.exists()
    assert folder.parent.exists()  # made on the way, not the backup's own: left alone
