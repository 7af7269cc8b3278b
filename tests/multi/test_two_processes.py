"""Two application processes, as on two machines: separate data folders, one PostgreSQL database,
one object store (SeaweedFS) and one Redis. A document uploaded through one is served by the other,
a rate limit counts across both, and a step taken on one is stale on the other."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings

from tests import services

ROOT = Path(__file__).parents[2]
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n" + secrets.token_bytes(64)


@pytest.fixture
def database():
    """A database of this test's own on the run's PostgreSQL server, dropped at the end."""
    if not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the two-process test runs on PostgreSQL only (set DATABASE_URL)")
    import psycopg

    db = django_settings.DATABASES["default"]
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    name = f"ombuds_multi_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(database_url: str, data_dir: Path, object_store, redis_service, prefix: str) -> dict:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OMBUDS_", "DATABASE_URL", "SECRET_KEY", "DJANGO_"))
    }
    return {
        **keep,
        **object_store.env(prefix),
        "OMBUDS_REDIS_URL": redis_service.url,
        "DATABASE_URL": database_url,
        "OMBUDS_DATA_DIR": str(data_dir),
        "SECRET_KEY": "the-same-secret-on-every-machine",
        "OMBUDS_MASTER_KEY": "b21idWRzLXR3by1wcm9jZXNzZXMtbWFzdGVyLWtleSE=",
        "DEBUG": "1",  # static files from the source tree: no collectstatic for a test
        "OMBUDS_REQUIRE_SECOND_FACTOR": "0",
        "OMBUDS_REGISTER_SEARCHES_PER_MINUTE": "4",
        "OMBUDS_SHARED_DIR": os.environ.get("OMBUDS_SHARED_DIR", str(ROOT.parent / "shared")),
    }


def _ombuds(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "ombuds"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class Server:
    def __init__(self, env: dict, folder: Path):
        (self.port,) = services.free_ports(1)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "ombuds"),
                    "runserver",
                    "--noreload",
                    "--nothreading",
                    f"127.0.0.1:{self.port}",
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait(self) -> None:
        services.wait_until(
            lambda: requests.get(f"{self.url}/healthz", timeout=2).status_code < 500,
            what=f"ombuds runserver on {self.port}",
            process=self.process,
            log=self.log,
        )


@pytest.fixture
def two_machines(tmp_path, database, object_store, redis_service):
    prefix = f"two-{secrets.token_hex(4)}"
    env_a = _env(database, tmp_path / "a", object_store, redis_service, prefix)
    env_b = _env(database, tmp_path / "b", object_store, redis_service, prefix)
    started = time.monotonic()
    _ombuds("migrate", "--noinput", "-v0", env=env_a)
    migrated = time.monotonic()
    servers = []
    try:
        for env in (env_a, env_b):  # they start while the rows are written
            Path(env["OMBUDS_DATA_DIR"]).mkdir(parents=True)
            servers.append(Server(env, Path(env["OMBUDS_DATA_DIR"])))
        made = subprocess.run(
            [sys.executable, "-m", "tests.multi.instance_setup"],
            env={**env_a, "DJANGO_SETTINGS_MODULE": "ombuds.settings"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        facts = json.loads(made.stdout.strip().splitlines()[-1])
        for server in servers:
            server.wait()
        print(f"migrate {migrated - started:.1f} s, servers up {time.monotonic() - migrated:.1f} s")
        yield servers[0], servers[1], facts, prefix
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            services.stop(server.process)


def _file_complaint(a) -> str:
    """The public complaint form on machine A, with a PDF attached; the case's reference."""
    browser = requests.Session()
    form = browser.get(f"{a.url}/guild/complain/", timeout=10)
    assert form.status_code == 200, form.text[:500]
    fields = {
        name: re.search(rf'name="{name}" value="([^"]*)"', form.text).group(1)
        for name in ("csrfmiddlewaretoken", "submission_key")
    }
    response = browser.post(
        f"{a.url}/guild/complain/",
        data={
            **fields,
            "who": "named",
            "complainant_name": "Dana Whitfield",
            "complainant_email": "dana@example.org",
            "complainant_relation": "client",
            "respondent_kind": "person",
            "respondent_name": "Rita Marsh",
            "what_happened": "She kept my deposit and would not answer my letters.",
            "outcome_sought": "My deposit back.",
        },
        files={"files": ("receipt.pdf", PDF, "application/pdf")},
        headers={"Referer": f"{a.url}/guild/complain/"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:2000]
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def test_two_processes_share_files_limits_and_versions(two_machines, object_store):
    a, b, facts, prefix = two_machines
    api = "/api/v1/bodies/guild"
    token = {"Authorization": f"Bearer {facts['token']}"}
    chair = requests.Session()
    chair.cookies.set("sessionid", facts["session"])

    # A document uploaded through A is served by B (and kept on neither machine's disk).
    reference = _file_complaint(a)
    page = chair.get(f"{b.url}/staff/guild/cases/{reference}/", timeout=10)
    assert page.status_code == 200, page.text[:500]
    link = re.search(rf"/staff/guild/cases/{reference}/documents/[0-9a-f]{{32}}", page.text)
    assert link, "the case page on B lists the document uploaded through A"
    download = chair.get(f"{b.url}{link.group(0)}", timeout=10)
    assert download.status_code == 200 and download.content == PDF
    assert len(object_store.keys(prefix + "/cases/")) == 1
    for machine in (a, b):
        media = Path(machine.log).parent / "media"
        assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))

    # The register search limit (4 a minute per client) counts across both machines. Its window is
    # the clock's minute: a burst across a minute's edge is counted in two windows and more than 4
    # answered, so the burst starts with at least 20 seconds of its minute left.
    if time.time() % 60 > 40:
        time.sleep(60 - time.time() % 60)
    answers = [
        requests.get(f"{m.url}{api}/register/search", params={"q": "Novak"}, timeout=10)
        for m in (a, b, a, b, a, b)
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 429, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0

    # A step taken on B makes the version A read stale: refused, nothing changed.
    read = requests.get(f"{a.url}{api}/cases/{reference}", headers=token, timeout=10).json()
    step = {"step": "acknowledge", "expected_version": read["version"]}
    taken = requests.post(f"{b.url}{api}/cases/{reference}/steps", json=step, headers=token)
    assert taken.status_code == 200 and taken.json()["state"] == "chair_review"
    stale = requests.post(f"{a.url}{api}/cases/{reference}/steps", json=step, headers=token)
    assert stale.status_code == 409 and "changed since" in stale.json()["detail"]
    again = requests.get(f"{a.url}{api}/cases/{reference}", headers=token, timeout=10).json()
    assert (again["state"], again["version"]) == ("chair_review", read["version"] + 1)
