"""Operators see it running: /healthz, /metrics, the daily runs page, JSON logs, static files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from ombuds.operations import daily, health
from ombuds.operations.models import DailyRun, WorkerHeartbeat
from ombuds.operations.static import ManifestOrPlainStorage

pytestmark = pytest.mark.django_db
PROJECT = Path(__file__).resolve().parents[2]


def _beat():
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="w1", hostname="h", pid=os.getpid(), started_at=now, seen_at=now
    )


def test_healthz_reports_the_worker_and_the_daily_runs(client):
    DailyRun.objects.create(
        job="register", day=timezone.localdate(), started_at=timezone.now(), worker="w1"
    )
    report = client.get("/healthz").json()
    assert report["status"] == "ok" and report["worker"]["last_heartbeat"] is None
    assert report["worker"]["silent"] is True
    assert report["daily"] == [
        {
            "job": "register",
            "day": timezone.localdate().isoformat(),
            "outcome": "running",
            "finished": None,
        }
    ]
    _beat()
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timezone.timedelta(seconds=100))
    seen = WorkerHeartbeat.objects.get().seen_at
    report = client.get("/healthz").json()
    # The seconds since the beat, rounded: 100, or more when the request itself took half a second
    # or more (as it may on a busy machine), never more than the test has taken since.
    elapsed = round((timezone.now() - seen).total_seconds())
    assert report["worker"]["last_heartbeat"] == seen.isoformat()
    assert report["worker"]["silent"] is False
    assert 100 <= report["worker"]["seconds_since"] <= elapsed


def test_healthz_answers_503_when_the_worker_is_silent_if_asked_to(client, settings):
    settings.OMBUDS_HEALTHZ_REQUIRE_WORKER = True
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "error"
    _beat()
    assert client.get("/healthz").status_code == 200


def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_healthz_reports_each_jobs_latest_run_in_one_query(client, django_assert_num_queries):
    today = timezone.localdate()
    for job, days_ago in [("register", 0), ("register", 3), ("cases", 1), ("cases", 2)]:
        DailyRun.objects.create(
            job=job, day=today - timezone.timedelta(days=days_ago), started_at=timezone.now()
        )
    with django_assert_num_queries(1):
        runs = daily.last_runs()
    latest = {"register": today, "cases": today - timezone.timedelta(days=1)}
    assert [(run.job, run.day) for run in runs] == [
        (job, latest[job]) for job in daily.JOBS if job in latest
    ]


def test_livez_answers_with_one_query_and_no_report(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")


def test_livez_answers_503_when_the_database_is_down(client, monkeypatch):
    from ombuds import views

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", down)
    assert client.get("/livez").status_code == 503


def test_metrics_are_off_by_default(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_in_prometheus_format(client, settings):
    settings.OMBUDS_METRICS = True
    DBTaskResult.objects.create(
        task_path="ombuds.cases.tasks.notices_retry_task",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=get_date_max(),
    )
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timezone.timedelta(minutes=10))
    DailyRun.objects.create(
        job="cases",
        day=timezone.localdate(),
        started_at=timezone.now(),
        worker="w1",
        outcome="failed",
        finished_at=timezone.now(),
    )
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'ombuds_tasks_queued{queue="default"} 1.0' in text
    age = next(
        line for line in text.splitlines() if line.startswith("ombuds_tasks_oldest_queued_age")
    )
    assert 599 < float(age.split()[-1]) < 700
    assert 'ombuds_daily_runs{job="cases",outcome="failed"} 1.0' in text
    assert 'ombuds_notices_failing{state="failed"} 0.0' in text
    assert 'ombuds_http_requests_total{method="GET",status="2xx"}' in text


def test_metrics_behind_a_bearer_token(client, settings):
    settings.OMBUDS_METRICS = True
    settings.OMBUDS_METRICS_TOKEN = "s3cret-scrape"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
    assert ok.status_code == 200 and b"ombuds_tasks_queued" in ok.content


@pytest.mark.parametrize(
    ("persona", "status"),
    [("superuser", 200), ("body_admin", 200), ("body_staff", 403), ("signed_in_no_role", 403)],
)
def test_the_daily_runs_page_is_for_administrators(client, personas, persona, status):
    DailyRun.objects.create(
        job="attest",
        day=timezone.localdate(),
        started_at=timezone.now(),
        worker="w1",
        outcome="failed",
        finished_at=timezone.now(),
        error="RuntimeError: disk full",
    )
    client.force_login(personas[persona])
    response = client.get("/staff/daily/")
    assert response.status_code == status
    if status == 200:
        assert b"RuntimeError: disk full" in response.content
        assert b"No worker is running" in response.content


def test_the_daily_runs_page_asks_strangers_to_sign_in(client):
    response = client.get("/staff/daily/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_json_logs_on_request(tmp_path):
    env = {**os.environ, "OMBUDS_LOG_FORMAT": "json", "OMBUDS_DATA_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "ombuds.settings"
    code = "import django, logging; django.setup(); logging.getLogger('ombuds.x').warning('hello %s', 'there')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=60,
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello there" and line["level"] == "WARNING"
    assert line["logger"] == "ombuds.x" and "time" in line


def test_static_names_without_and_with_the_manifest(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    storage = ManifestOrPlainStorage(location=tmp_path)
    assert storage.url("ombuds/ombuds.css") == "/static/ombuds/ombuds.css"
    manifest = {"paths": {"ombuds/ombuds.css": "ombuds/ombuds.0123abcd.css"}, "version": "1.1"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    storage = ManifestOrPlainStorage(location=tmp_path)
    assert storage.url("ombuds/ombuds.css") == "/static/ombuds/ombuds.0123abcd.css"


def test_a_static_address_is_the_manifests_each_time_and_a_missing_name_still_fails(
    tmp_path, settings
):
    settings.STATIC_ROOT = tmp_path
    manifest = {"paths": {"ombuds/ombuds.css": "ombuds/ombuds.0123abcd.css"}, "version": "1.1"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    storage = ManifestOrPlainStorage(location=tmp_path)
    first = storage.url("ombuds/ombuds.css")
    assert storage.url("ombuds/ombuds.css") == first == "/static/ombuds/ombuds.0123abcd.css"
    for _ in range(2):  # a name the manifest lacks is an error every time, never remembered
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("ombuds/absent.js")
