"""The reproductions, with real processes on a SQLite database of their own: no cron needed (the
worker runs the daily work due, once, even with two workers), a worker killed with SIGKILL leaves
no task RUNNING for ever, `ombuds runserver` serves pages before any collectstatic, and a production
server without collected static files refuses to start with a one-line reason."""

import base64
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
OMBUDS = str(Path(sys.executable).parent / "ombuds")


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL", "TASKS_BACKEND")
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({"OMBUDS_DATA_DIR": str(data), "PYTHONPATH": str(PROJECT), **extra})
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("migrated")
    subprocess.run([OMBUDS, "migrate", "-v0"], env=_env(data), check=True, timeout=300)
    return data / "ombuds.sqlite3"


@pytest.fixture
def data(migrated, tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(migrated.parent / "secret_key", folder / "secret_key")
    with sqlite3.connect(migrated) as source, sqlite3.connect(folder / "ombuds.sqlite3") as copy:
        source.backup(copy)
    return folder


def _query(data: Path, sql: str, *args):
    with sqlite3.connect(data / "ombuds.sqlite3", timeout=10) as db:
        return db.execute(sql, args).fetchall()


def _wait(predicate, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _worker(data: Path, worker_id: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [OMBUDS, "worker", "--worker-id", worker_id, "--interval", "0.2", "--no-startup-delay"],
        env=_env(data, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_workers_run_the_daily_work_due_once(data):
    due = {"OMBUDS_DAILY_AT": "00:00"}  # due since midnight: both workers catch up at start
    first, second = _worker(data, "worker-one", **due), _worker(data, "worker-two", **due)
    try:
        _wait(
            lambda: (
                _query(data, "SELECT count(*) FROM operations_workerheartbeat")[0][0] == 2
                and _query(
                    data, "SELECT count(*) FROM operations_dailyrun WHERE outcome='succeeded'"
                )[0][0]
                == 8
            ),
            what="both workers up and the daily work done",
        )
        time.sleep(2)  # time for a second run, were there to be one
        runs = _query(data, "SELECT job, attempts, outcome FROM operations_dailyrun ORDER BY job")
        assert runs == [
            ("attest", 1, "succeeded"),
            ("cases", 1, "succeeded"),
            ("certification", 1, "succeeded"),
            ("compliance", 1, "succeeded"),
            ("erasures", 1, "succeeded"),
            ("first tier", 1, "succeeded"),
            ("register", 1, "succeeded"),
            ("sessions", 1, "succeeded"),
        ]
        events = "SELECT count(*) FROM audit_event WHERE action='operations.daily_run'"
        assert _query(data, events)[0][0] == 8
    finally:
        _stop(first, second)
    # A clean stop clears the heartbeats.
    assert _query(data, "SELECT count(*) FROM operations_workerheartbeat")[0][0] == 0


def _hour_come() -> bool:
    """Whether it is 23:59 UTC or later, the hour the test below sets."""
    now = time.gmtime()
    return now.tm_hour == 23 and now.tm_min >= 59


def test_the_daily_work_waits_for_its_hour(data):
    if time.gmtime().tm_hour == 23 and time.gmtime().tm_min >= 58:
        pytest.skip("too close to the hour to tell")
    worker = _worker(data, "early", OMBUDS_DAILY_AT="23:59", TIME_ZONE="UTC")
    try:
        _wait(
            lambda: _query(data, "SELECT count(*) FROM operations_workerheartbeat")[0][0] == 1,
            what="the worker's heartbeat",
        )
        time.sleep(2)
        runs = _query(data, "SELECT count(*) FROM operations_dailyrun")[0][0]
        if _hour_come():  # a slow start (up to a minute on a busy machine) reached the hour
            pytest.skip("the hour came while the worker started")
        assert runs == 0
    finally:
        _stop(worker)


def test_a_task_of_a_worker_killed_with_sigkill_is_not_left_running(data):
    later = {"OMBUDS_DAILY_AT": "23:59"}
    doomed = _worker(data, "doomed", **later)
    try:
        enqueue = "from tests.operations.slow_tasks import nap; nap.enqueue(120)"
        subprocess.run([OMBUDS, "shell", "-c", enqueue], env=_env(data), check=True, timeout=60)
        _wait(
            lambda: (
                _query(data, "SELECT status FROM django_tasks_database_dbtaskresult")
                == [("RUNNING",)]
            ),
            what="the worker to start the task",
        )
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        # Before the fix, the row stayed RUNNING for ever: nothing looked back at it.
        time.sleep(1)
        assert _query(data, "SELECT status FROM django_tasks_database_dbtaskresult") == [
            ("RUNNING",)
        ]
    finally:
        _stop(doomed)
    rescuer = _worker(data, "rescuer", **later)
    try:
        _wait(
            lambda: (
                _query(data, "SELECT status FROM django_tasks_database_dbtaskresult")
                == [("FAILED",)]
            ),
            what="the new worker to mark the task failed",
        )
        ((path, trace),) = _query(
            data, "SELECT exception_class_path, traceback FROM django_tasks_database_dbtaskresult"
        )
        assert path == "ombuds.operations.recovery.WorkerLost" and "doomed" in trace
    finally:
        _stop(rescuer)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runserver_serves_pages_and_static_files_without_collectstatic(data):
    assert not (data / "static" / "staticfiles.json").exists()
    port = _free_port()
    server = subprocess.Popen(
        [OMBUDS, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=_env(data),  # DEBUG off, as a bare `ombuds runserver`
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
            except OSError:
                return False
            return True

        _wait(up, what="runserver")
        with urllib.request.urlopen(f"{base}/", timeout=10) as page:
            assert page.status == 200
            assert 'href="/static/ombuds/ombuds.css"' in page.read().decode()
        with urllib.request.urlopen(f"{base}/static/ombuds/ombuds.css", timeout=10) as css:
            assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
    finally:
        _stop(server)


def test_production_without_collected_static_files_refuses_to_start(data):
    port = _free_port()
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "ombuds.wsgi:application", "-b", f"127.0.0.1:{port}"],
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    reasons = [line for line in result.stderr.splitlines() if line.startswith("ombuds:")]
    assert reasons == [
        f"ombuds: static files are not collected ({data / 'static' / 'staticfiles.json'} is "
        "missing): run `ombuds collectstatic --noinput` before starting the server, or set DEBUG=1"
    ]
    # Loaded by itself, the application says that one line and nothing else.
    alone = subprocess.run(
        [sys.executable, "-c", "import ombuds.wsgi"],
        env=_env(data, DJANGO_SETTINGS_MODULE="ombuds.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert alone.returncode == 3 and alone.stderr == reasons[0] + "\n"
    # Once collected, it starts.
    subprocess.run([OMBUDS, "collectstatic", "--noinput", "-v0"], env=_env(data), check=True)
    collected = subprocess.run(
        [sys.executable, "-c", "import ombuds.wsgi"],
        env=_env(data, DJANGO_SETTINGS_MODULE="ombuds.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert collected.returncode == 0, collected.stderr


def test_a_master_key_that_does_not_open_the_data_keys_refuses_to_start(data):
    def key() -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

    ours = key()
    subprocess.run(  # the deployment's data key made, wrapped by our master key
        [OMBUDS, "shell", "-c", "from ombuds.bodies.keys import KEYRING; KEYRING.current(None)"],
        env=_env(data, OMBUDS_MASTER_KEY=ours),
        check=True,
        timeout=120,
    )
    subprocess.run([OMBUDS, "collectstatic", "--noinput", "-v0"], env=_env(data), check=True)

    def start(master: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", "import ombuds.wsgi"],
            env=_env(data, DJANGO_SETTINGS_MODULE="ombuds.settings", OMBUDS_MASTER_KEY=master),
            capture_output=True,
            text=True,
            timeout=60,
        )

    wrong = start(key())
    assert wrong.returncode == 3
    assert wrong.stderr.startswith("ombuds: the master key does not open data key ")
    assert len(wrong.stderr.splitlines()) == 1
    right = start(ours)
    assert right.returncode == 0, right.stderr
