"""Filing under load, on PostgreSQL: many complaints at once get distinct references and none is
lost; the same form sent by several requests at once makes one case (and keeps one copy of its
evidence). SQLite serialises every write, so there is nothing to race there."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.audit.models import Event
from ombuds.cases import services
from ombuds.cases.models import Allegation, Case, CaseCounter, Document
from tests.cases.conftest import PDF, complaint

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="concurrent filing is raced on PostgreSQL; SQLite takes one writer at a time",
    ),
    pytest.mark.django_db(transaction=True),
]

CASES = 200
WORKERS = 32  # threads at once, each with its own connection (PostgreSQL allows 100 by default)


def _file_all(organization, complaints) -> list[services.Filed]:
    """File every complaint from a pool of threads started together; each thread closes its
    connection. Any exception in a thread fails the test."""
    first_wave = min(WORKERS, len(complaints))
    start = threading.Barrier(first_wave)

    def file(numbered):
        n, c = numbered
        try:
            if n < first_wave:
                start.wait(timeout=60)
            return services.case_file(organization=organization, complaint=c)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(file, enumerate(complaints)))


def test_complaints_filed_at_once_get_distinct_references_and_none_is_lost(csec):
    complaints = [
        complaint(csec, what_happened=f"Complaint number {n}.", submission_key=f"form-{n}")
        for n in range(CASES)
    ]
    filed = _file_all(csec.org, complaints)
    assert len(filed) == CASES
    assert not any(f.duplicate for f in filed)
    year = timezone.localdate().year
    references = {f.case.reference for f in filed}
    assert len(references) == CASES
    assert all(
        r.startswith(f"CSEC-{year}-") and len(r) == len("CSEC-2026-K7Q3M") for r in references
    )
    assert Case.objects.count() == CASES
    assert set(Case.objects.values_list("what_happened", flat=True)) == {
        f"Complaint number {n}." for n in range(CASES)
    }
    assert Allegation.objects.count() == CASES
    assert CaseCounter.objects.get(organization=csec.org, year=year).last == CASES
    assert Event.objects.filter(action="case.filed").count() == CASES
    verdict = audit.verify()
    assert verdict.ok, str(verdict)


def test_the_same_form_sent_at_once_makes_one_case(csec):
    same = [
        complaint(csec, submission_key="one-form", files=[("letter.pdf", PDF)]) for _ in range(10)
    ]
    filed = _file_all(csec.org, same)
    assert len({f.case.pk for f in filed}) == 1
    assert sum(not f.duplicate for f in filed) == 1
    assert Case.objects.count() == 1
    assert Document.objects.count() == 1
    media = Path(settings.MEDIA_ROOT)
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1  # no orphaned evidence
    year = timezone.localdate().year
    assert CaseCounter.objects.get(organization=csec.org, year=year).last == 1
    assert Event.objects.filter(action="case.filed").count() == 1
    assert audit.verify().ok


def test_two_hundred_submissions_of_the_public_form_at_once_make_two_hundred_cases(csec, settings):
    """Through the whole page (middleware, session, form, rate limit counting), not just the
    service: the burst a busy evening brings."""
    from django.test import Client
    from django.urls import reverse

    settings.OMBUDS_COMPLAINTS_PER_HOUR = 0  # one test client is one network: counting is off
    url = reverse("cases:complain", kwargs={"org": csec.org.slug})
    start = threading.Barrier(WORKERS)

    def post(n: int) -> int:
        try:
            if n < WORKERS:
                start.wait(timeout=60)
            response = Client().post(
                url,
                {
                    "who": "named",
                    "complainant_name": f"Complainant {n}",
                    "complainant_relation": "client",
                    "respondent_kind": "agency",
                    "respondent_name": csec.member_agency.legal_name,
                    "what_happened": f"Form complaint number {n}.",
                    "submission_key": f"page-{n:04d}",
                },
            )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        statuses = list(pool.map(post, range(CASES)))
    assert statuses == [302] * CASES
    assert Case.objects.count() == CASES
    assert set(Case.objects.values_list("what_happened", flat=True)) == {
        f"Form complaint number {n}." for n in range(CASES)
    }
    year = timezone.localdate().year
    references = set(Case.objects.values_list("reference", flat=True))
    assert len(references) == CASES and all(r.startswith(f"CSEC-{year}-") for r in references)
    assert audit.verify().ok
