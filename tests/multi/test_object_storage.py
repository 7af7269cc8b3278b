"""Uploads in an S3-compatible object store (SeaweedFS started by the tests, not a mock): case
documents, recertification evidence and CSV files waiting to be imported are written, served and
deleted through the storage, never through the local disk; the import's progress is shared through
Redis."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from ombuds.bodies.models import BodyRole
from ombuds.cases import services as cases
from ombuds.cases.models import BodyProcedure, Document
from ombuds.register import import_jobs
from ombuds.register.services import discard_stale_uploads

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PEOPLE = b"external_id,given_name,family_name\nP-1,Ada,Novak\n"


def _local_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_settings_keep_uploads_private_in_the_bucket(s3_uploads):
    options = django_settings.STORAGES["default"]["OPTIONS"]
    # django-storages' S3Storage, encrypting on save and decrypting on open (ombuds.core.encrypted)
    assert django_settings.STORAGES["default"]["BACKEND"] == (
        "ombuds.core.encrypted_s3.EncryptedS3Storage"
    )
    assert options["default_acl"] == "private" and options["addressing_style"] == "path"
    assert options["file_overwrite"] is False


def test_a_case_document_is_kept_served_and_purged_in_the_object_store(
    client,
    body,
    django_user_model,
    s3_uploads,
    prefix,
    object_store,
    django_capture_on_commit_callbacks,
):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    filed = cases.case_file(
        organization=body,
        complaint=cases.Complaint(
            what_happened="She kept my deposit.",
            respondent_name="Rita Marsh",
            complainant_name="Dana Whitfield",
            complainant_relation="client",
            files=[("receipt.pdf", PDF)],
        ),
    )
    document = Document.objects.get(case=filed.case)
    assert s3_uploads() == [f"{prefix}/{document.file.name}"]
    assert _local_files() == []  # nothing on this machine's disk
    stored = object_store.client().get_object(Bucket=object_store.bucket, Key=s3_uploads()[0])
    assert b"%PDF" not in stored["Body"].read()  # the store holds only ciphertext

    chair = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    BodyRole.objects.create(user=chair, organization=body, role="ethics_chair")
    client.force_login(chair)
    url = reverse(
        "cases_staff:document",
        kwargs={"org": body.slug, "reference": filed.case.reference, "token": document.token},
    )
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"

    type(filed.case).objects.filter(pk=filed.case.pk).update(closed_at=timezone.now())
    filed.case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert cases.case_purge(case=filed.case, reason="retention period over", acting_user=chair)
    assert s3_uploads() == []  # the purge deleted the object


def test_a_csv_file_waits_in_the_object_store_until_imported_or_stale(
    body, personas, s3_uploads, prefix
):
    job = import_jobs.job_start(organization=body, data=PEOPLE, filename="people.csv")
    assert s3_uploads() == [f"{prefix}/imports/guild/{job.token}.csv"]
    assert _local_files() == []
    import_jobs.job_run(job.pk)  # the check reads it back from the store
    job.refresh_from_db()
    assert (job.state, job.ok, job.rows) == ("done", True, 1)
    assert discard_stale_uploads() == 0  # checked today: still waiting
    assert discard_stale_uploads(older_than=dt.timedelta(0)) == 1
    assert s3_uploads() == []
    assert not default_storage.exists(import_jobs.job_file(job))


def test_an_import_jobs_progress_is_seen_by_every_process_through_redis(
    body, redis_cache, redis_service
):
    job = import_jobs.job_start(organization=body, data=PEOPLE, filename="people.csv")
    type(job).objects.filter(pk=job.pk).update(state="running")
    job.refresh_from_db()
    assert import_jobs.job_progress(job) is None
    # Another process (a worker on another machine) notes the progress in the same Redis.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from ombuds.register import import_jobs;"
            f"import_jobs._note_progress({job.pk}, 'writing', 500, 2000)",
        ],
        env={
            **_child_env(),
            "OMBUDS_REDIS_URL": redis_service.url,
            "OMBUDS_DATA_DIR": str(Path(django_settings.DATA_DIR) / "worker"),
        },
        check=True,
        timeout=60,
    )
    progress = import_jobs.job_progress(job)
    assert (progress["phase"], progress["done"], progress["total"], progress["percent"]) == (
        "writing",
        500,
        2000,
        25,
    )


def _child_env() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OMBUDS_S3_", "OMBUDS_REDIS"))},
        "DJANGO_SETTINGS_MODULE": "ombuds.settings",
        "SECRET_KEY": "not-used",
    }
