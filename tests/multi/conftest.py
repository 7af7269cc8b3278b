"""Fixtures of the tests that need more than one machine's worth of services: an S3-compatible
object store (SeaweedFS) and Redis, each started once per test session (tests/services.py), and
Ombuds' settings as a deployment on several machines would read them from its environment."""

from __future__ import annotations

import os
import runpy
import secrets
from pathlib import Path

import pytest

from tests import services


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.multi)


@pytest.fixture(scope="session")
def object_store(tmp_path_factory):
    with services.seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as store:
        yield store


@pytest.fixture(scope="session")
def redis_service(tmp_path_factory):
    with services.redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


def ombuds_settings(env: dict[str, str], data_dir: Path) -> dict:
    """The settings `ombuds/settings.py` makes from this environment (read afresh, as a new process
    would), so a test checks what an operator's variables really give."""
    import ombuds.settings

    with pytest.MonkeyPatch.context() as mp:
        for name in os.environ:
            if name.startswith(("OMBUDS_S3_", "OMBUDS_REDIS")):
                mp.delenv(name)
        mp.setenv("OMBUDS_DATA_DIR", str(data_dir))
        mp.setenv("SECRET_KEY", "not-used")
        for name, value in env.items():
            mp.setenv(name, value)
        return runpy.run_path(ombuds.settings.__file__)


@pytest.fixture
def prefix() -> str:
    """Each test's own folder in the shared bucket."""
    return f"t-{secrets.token_hex(6)}"


@pytest.fixture
def s3_uploads(settings, object_store, prefix, tmp_path):
    """Uploads kept in the object store, as OMBUDS_S3_* configure them; the keys this test wrote."""
    made = ombuds_settings(object_store.env(prefix), tmp_path / "settings")
    settings.STORAGES = {**settings.STORAGES, "default": made["STORAGES"]["default"]}
    return lambda: object_store.keys(prefix + "/")


@pytest.fixture
def redis_cache(settings, redis_service, tmp_path):
    """The cache Ombuds uses when OMBUDS_REDIS_URL is set."""
    made = ombuds_settings({"OMBUDS_REDIS_URL": redis_service.url}, tmp_path / "settings")
    settings.CACHES = made["CACHES"]
    redis_service.client().flushdb()
    return made["CACHES"]
