"""The database roles of docs/deployment.md ("Database roles"), on PostgreSQL: an owner that migrates
and an application role that cannot disable the audit log's trigger nor rewrite its hashes."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

DOCS = Path(__file__).parents[2] / "docs" / "deployment.md"
ROOT = Path(__file__).parents[2]


def _grants() -> str:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"-- /etc/ombuds/grants\.sql\n(.*?)```", text, re.S)
    assert block, "docs/deployment.md has no /etc/ombuds/grants.sql block"
    return block.group(1)


@pytest.fixture
def scratch():
    """A scratch database owned by a new owner role, and a new application role; all dropped."""
    if not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("database roles are PostgreSQL's: run with DATABASE_URL=postgres://…")
    import psycopg

    db = django_settings.DATABASES["default"]
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    names = {"db": f"ombuds_roles_{tag}", "owner": f"ombuds_owner_{tag}", "app": f"ombuds_{tag}"}
    password = secrets.token_hex(12)
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f"CREATE ROLE {names['owner']} LOGIN PASSWORD '{password}'")
        conn.execute(f"CREATE ROLE {names['app']} LOGIN PASSWORD '{password}'")
        conn.execute(f'CREATE DATABASE "{names["db"]}" OWNER {names["owner"]}')

    def url(role: str) -> str:
        return (
            f"postgres://{names[role]}:{password}@{server['host']}:{server['port']}/{names['db']}"
        )

    def connect(role: str):
        return psycopg.connect(url(role), autocommit=True)

    def superuser():
        return psycopg.connect(dbname=names["db"], autocommit=True, **server)

    yield names, url, connect, superuser
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)')
        conn.execute(f"DROP ROLE IF EXISTS {names['app']}")
        conn.execute(f"DROP ROLE IF EXISTS {names['owner']}")


def _ombuds(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OMBUDS_", "DATABASE_URL", "SECRET_KEY", "DJANGO_"))
    }
    env = {
        **keep,
        "DATABASE_URL": database_url,
        "OMBUDS_DATA_DIR": str(data_dir),
        "SECRET_KEY": "roles-test",
        "OMBUDS_AUDIT_KEY": "roles-test-audit-key",
    }
    return subprocess.run(
        [sys.executable, "-m", "ombuds.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


APP_WORK = """
from ombuds.audit import services as s
events = [s.record(action="case.filed", subject_type="case", subject_id=1,
                   actor_label="Pat Complainant (complainant)", data={"n": n}) for n in range(3)]
s.purge(event=events[0], reason="retention period ended")
s.labels_purge(s.refs_of(labels=["Pat Complainant (complainant)"]), reason="erasure")
print(s.verify())
"""


def test_the_app_role_cannot_disable_the_trigger_nor_rewrite_the_log(scratch, tmp_path):
    names, url, connect, superuser = scratch
    migrated = _ombuds("migrate", "--no-input", database_url=url("owner"), data_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    grants = _grants()
    grants = re.sub(r"\bombuds\b(?!_)", names["app"], grants)
    with superuser() as conn:
        conn.execute(grants)

    # The application works as the app role: it appends, purges details and erases names.
    work = _ombuds("shell", "-c", APP_WORK, database_url=url("app"), data_dir=tmp_path)
    assert work.returncode == 0, work.stderr[-2000:]
    assert work.stdout.strip().endswith("audit chain intact: 5 events")

    import psycopg

    refused = {
        "ALTER TABLE audit_event DISABLE TRIGGER ALL": "must be owner of table audit_event",
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only": "must be owner",
        "DROP TRIGGER audit_event_append_only ON audit_event": "must be owner",
        "UPDATE audit_event SET hash = repeat('0', 64) WHERE seq = 2": "permission denied",
        "UPDATE audit_event SET action = 'x', prev_hash = 'y' WHERE seq = 2": "permission denied",
        "DELETE FROM audit_event WHERE seq >= 4": "permission denied",
        "TRUNCATE audit_event": "permission denied",
        "SET session_replication_role = replica": "permission denied",
    }
    with connect("app") as conn:
        for sql, message in refused.items():
            with pytest.raises(psycopg.Error, match=message):
                conn.execute(sql)
        # The purgeable columns the role may update are still guarded by the trigger.
        with pytest.raises(psycopg.Error, match="append-only"):
            conn.execute("UPDATE audit_event SET actor_label = 'Sam Other' WHERE seq = 3")
        assert conn.execute("SELECT count(*) FROM audit_event").fetchone() == (5,)
    # The owner could: that is why the site does not connect as the owner.
    with connect("owner") as conn:
        conn.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        conn.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
