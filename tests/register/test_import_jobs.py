"""Imports from the staff pages: checked, confirmed and written in the background, with progress."""

from __future__ import annotations

import os
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ombuds.register import import_jobs
from ombuds.register.models import Agency, ImportJob, Person

pytestmark = pytest.mark.django_db

PEOPLE = b"external_id,given_name,family_name\nP-1,Ada,Novak\nP-2,Uma,Reyes\n"
BAD_PEOPLE = (
    b"external_id,given_name,family_name,email\n"
    b"P-1,Ada,Novak,ada@example.org\nP-2,,Reyes,\nP-3,Kai,,not-an-email\n"
)


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as soon as they are enqueued (the demo and production run a worker instead)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def staff(client, personas):
    client.force_login(personas["body_staff"])
    return client


def _url(name: str, **kwargs) -> str:
    return reverse(f"register_staff:{name}", kwargs={"org": "guild", **kwargs})


def _upload(client, data: bytes, name: str = "people.csv", *, run: bool = True, capture=None):
    with capture(execute=run):
        response = client.post(_url("import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302
    return ImportJob.objects.get(token=response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_a_file_is_checked_in_the_background_then_imported_on_confirmation(
    staff, body, immediate_tasks, django_capture_on_commit_callbacks
):
    job = _upload(staff, PEOPLE, capture=django_capture_on_commit_callbacks)
    assert (job.phase, job.state, job.ok, job.kind, job.rows) == (
        "check",
        "done",
        True,
        "people",
        2,
    )
    assert not Person.objects.exists()
    page = staff.get(_url("import_job", token=job.token)).content.decode()
    assert "The file is ready to import" in page and "Import 2 people rows" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(_url("import_job", token=job.token))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.phase, job.state, job.ok) == ("import", "done", True)
    assert job.summary == "people: 2 rows: 2 created, 0 updated, 0 unchanged"
    assert Person.objects.filter(organization=body).count() == 2
    assert not default_storage.exists(import_jobs.job_file(job))  # the file is gone once imported
    assert "Imported" in staff.get(_url("import_job", token=job.token)).content.decode()

    # Confirming again imports nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(_url("import_job", token=job.token), follow=True)
    assert "already being imported or was imported" in response.content.decode()
    assert Person.objects.count() == 2


def test_a_file_with_bad_rows_lists_each_one_writes_nothing_and_cannot_be_confirmed(
    staff, immediate_tasks, django_capture_on_commit_callbacks
):
    job = _upload(staff, BAD_PEOPLE, capture=django_capture_on_commit_callbacks)
    assert job.ok is False and job.error_count == 3
    assert {(e["line"], e["column"]) for e in job.errors} == {
        (3, "given_name"),
        (4, "family_name"),
        (4, "email"),
    }
    html = staff.get(_url("import_job", token=job.token)).content.decode()
    assert "Nothing was imported" in html and html.count("<tr><td>") == 3
    assert "Upload another file" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(_url("import_job", token=job.token), follow=True)
    assert "only a file whose check found no errors" in response.content.decode()
    assert not Person.objects.exists()
    assert not default_storage.exists(import_jobs.job_file(job))  # a bad file is not kept


def test_a_queued_job_shows_that_it_waits_and_polls_until_done(
    staff, settings, django_capture_on_commit_callbacks
):
    # The database backend queues the task for the worker: nothing runs during the request.
    job = _upload(staff, PEOPLE, capture=django_capture_on_commit_callbacks)
    assert job.state == "queued"
    html = staff.get(_url("import_job", token=job.token)).content.decode()
    assert "Waiting for the task worker" in html and 'hx-trigger="every 1s"' in html
    # htmx asks for the changing part only.
    part = staff.get(_url("import_job", token=job.token), HTTP_HX_REQUEST="true")
    assert "<html" not in part.content.decode() and 'id="import-job"' in part.content.decode()

    # The worker runs it; progress was recorded on the way, and the page stops polling when done.
    seen = []
    real = import_jobs._note_progress
    import_jobs._note_progress = lambda *a: (seen.append(a[1:]), real(*a))
    try:
        assert import_jobs.job_run(job.pk).startswith("dry run")
    finally:
        import_jobs._note_progress = real
    assert ("checking", 2, 2) in seen
    html = staff.get(_url("import_job", token=job.token)).content.decode()
    assert "every 1s" not in html and "ready to import" in html
    # A task delivered twice runs once.
    assert import_jobs.job_run(job.pk) == "nothing to do"


def test_progress_is_shown_while_a_job_runs(staff, django_capture_on_commit_callbacks):
    job = _upload(staff, PEOPLE, capture=django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=job.pk).update(state="running")
    import_jobs._note_progress(job.pk, "writing", 500, 2000)
    html = staff.get(_url("import_job", token=job.token)).content.decode()
    assert '<progress id="import-progress" max="2000" value="500">25%</progress>' in html
    assert "500 of 2000 (25%)" in html


def test_a_job_whose_file_went_missing_fails_with_the_reason(
    staff, django_capture_on_commit_callbacks
):
    job = _upload(staff, PEOPLE, capture=django_capture_on_commit_callbacks)
    default_storage.delete(import_jobs.job_file(job))
    assert import_jobs.job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and "the uploaded file is gone" in job.summary
    assert (
        "the uploaded file is gone"
        in staff.get(_url("import_job", token=job.token)).content.decode()
    )


def test_an_unexpected_error_ends_the_job_with_nothing_written(
    staff, monkeypatch, django_capture_on_commit_callbacks
):
    job = _upload(staff, PEOPLE, capture=django_capture_on_commit_callbacks)

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_jobs, "import_csv", broken)
    assert import_jobs.job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and "disk on fire" in job.summary
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("public", 302),
        ("signed_in_no_role", 403),
        ("committee_member", 403),
        ("other_body_admin", 403),
        ("body_admin", 200),
    ],
)
def test_only_the_bodys_staff_see_or_confirm_its_import_jobs(
    client, personas, persona, status, immediate_tasks, django_capture_on_commit_callbacks
):
    client.force_login(personas["body_staff"])
    job = _upload(client, PEOPLE, capture=django_capture_on_commit_callbacks)
    client.logout()
    if personas[persona] is not None:
        client.force_login(personas[persona])
    assert client.get(_url("import_job", token=job.token)).status_code == status
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("import_job", token=job.token))
    job.refresh_from_db()
    assert (job.phase == "import") == (persona == "body_admin")
    assert Person.objects.exists() == (persona == "body_admin")


def test_another_bodys_staff_cannot_reach_a_job_through_their_own_body(
    client, personas, other_body, immediate_tasks, django_capture_on_commit_callbacks
):
    client.force_login(personas["body_staff"])
    job = _upload(client, PEOPLE, capture=django_capture_on_commit_callbacks)
    client.force_login(personas["other_body_admin"])
    url = reverse("register_staff:import_job", kwargs={"org": other_body.slug, "token": job.token})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_the_import_page_lists_recent_files_in_bounded_queries(
    staff, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for n in range(12):
        _upload(staff, PEOPLE, name=f"batch-{n}.csv", capture=django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(8):
        html = staff.get(_url("import")).content.decode()
    assert "batch-11.csv" in html and "batch-2.csv" in html and "batch-1.csv" not in html


def test_checked_uploads_nobody_imported_are_removed_after_a_day(
    staff, immediate_tasks, django_capture_on_commit_callbacks
):
    from ombuds.register.services import discard_stale_uploads

    job = _upload(staff, PEOPLE, capture=django_capture_on_commit_callbacks)
    name = import_jobs.job_file(job)
    assert default_storage.exists(name) and discard_stale_uploads() == 0
    old = time.time() - 2 * 86400
    os.utime(default_storage.path(name), (old, old))
    assert discard_stale_uploads() == 1 and not default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(_url("import_job", token=job.token), follow=True)
    assert "no longer waiting" in response.content.decode()
    assert not Person.objects.exists()


def test_similar_agency_names_are_warned_of_in_the_check_without_stopping_the_import(
    staff, body, immediate_tasks, django_capture_on_commit_callbacks
):
    Agency.objects.create(
        organization=body, legal_name="Harbor Beacon Child Support, LLC", external_id="A-1"
    )
    data = (
        b"external_id,legal_name,trade_names\n"
        b"A-2,Harbour Beacon Child Support Inc.,\n"
        b"A-3,Northwind Collections,\n"
        b"A-4,Quillfeather Partners,Northwind Collection Services\n"
    )
    job = _upload(staff, data, name="agencies.csv", capture=django_capture_on_commit_callbacks)
    assert job.ok
    warned = {w["line"]: w["reason"] for w in job.warnings}
    assert set(warned) == {2, 3, 4}
    assert "Harbor Beacon Child Support, LLC" in warned[2]
    assert "Quillfeather Partners (line 4)" in warned[3]
    assert "Northwind Collections (line 3)" in warned[4]
    html = staff.get(_url("import_job", token=job.token)).content.decode()
    assert "Names a client could confuse" in html
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(_url("import_job", token=job.token))
    assert Agency.objects.filter(organization=body).count() == 4
