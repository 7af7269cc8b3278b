"""The testing vendor's results file: every bad row reported and nothing stored; a good file stored
whole, passes certified; the same file twice changes nothing; a check stores nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.certification import services, workflow
from ombuds.certification.models import Sitting
from ombuds.register.models import Credential, Person
from tests.certification.conftest import eligible, fresh

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


@pytest.fixture
def two(requirements, candidate, personas, django_user_model):
    """Two eligible candidates (Cara Ng and Dan Oh)."""
    other = django_user_model.objects.create_user("dan@example.org", "dan@example.org", "pw")
    Person.objects.create(
        organization=requirements.program.organization,
        given_name="Dan",
        family_name="Oh",
        email="dan@example.org",
        user=other,
    )
    staff = personas["body_staff"]
    first = eligible(requirements.program, candidate, staff)
    second = eligible(requirements.program, other, staff)
    for a in (first, second):
        a.eligible_from = TODAY() - dt.timedelta(days=20)
        a.save(update_fields=["eligible_from"])
    return first, second


def _csv(*rows: str, header: str = "reference,window,sat_on,score,family_name") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _import(body, data, staff, *, dry_run=False):
    return services.results_import(organization=body, data=data, dry_run=dry_run, acting_user=staff)


def test_a_good_file_records_every_result_and_certifies_the_passes(body, two, window, personas):
    first, second = two
    day = (TODAY() - dt.timedelta(days=2)).isoformat()
    data = _csv(
        f"{first.reference},2026-spring,{day},88,Ng", f"{second.reference},2026-spring,{day},41,Oh"
    )
    report = _import(body, data, personas["body_staff"])
    assert report.ok, report.errors
    assert report.counts["pass"] == 1 and report.counts["fail"] == 1
    assert fresh(first).state == workflow.CERTIFIED
    assert fresh(first).credential.number == "CGP-00001"
    assert fresh(second).state == workflow.ELIGIBLE
    assert Event.objects.filter(action="certification.results_imported").count() == 1
    again = _import(body, data, personas["body_staff"])
    assert again.ok and again.counts["unchanged"] == 2
    assert Credential.objects.count() == 1 and Sitting.objects.count() == 2


def test_every_bad_row_is_reported_and_nothing_is_stored(body, two, window, personas):
    first, second = two
    day = (TODAY() - dt.timedelta(days=2)).isoformat()
    data = _csv(
        f"{first.reference},2026-spring,{day},88,Ng",
        f"{second.reference},2026-spring,2026-13-40,41,Oh",
        "CGP-A-NOSUCH,2026-spring,2026-01-01,50,X",
        f"{second.reference},no-window,{day},50,Oh",
        f"{first.reference},2026-spring,{day},lots,Ng",
    )
    report = _import(body, data, personas["body_staff"])
    assert not report.ok
    lines = {e.line for e in report.errors}
    assert lines == {3, 4, 5, 6}
    assert "nothing was stored" in report.summary()
    assert not Sitting.objects.exists() and not Credential.objects.exists()
    assert fresh(first).state == workflow.ELIGIBLE


def test_rows_refused_by_the_rules_are_reported_with_their_line(body, two, window, personas):
    first, second = two
    data = _csv(
        f"{first.reference},2026-spring,{(TODAY() - dt.timedelta(days=40)).isoformat()},88,Ng",
        f"{second.reference},2026-spring,{TODAY().isoformat()},88,Smith",
    )
    report = _import(body, data, personas["body_staff"])
    messages = [str(e) for e in report.errors]
    assert any(m.startswith("line 2:") and "outside the window" in m for m in messages)
    assert any(m.startswith("line 3, column family_name:") for m in messages)
    assert not Sitting.objects.exists()


def test_a_check_stores_nothing_and_says_what_an_import_would_do(body, two, window, personas):
    first, _second = two
    data = _csv(f"{first.reference},2026-spring,{TODAY().isoformat()},90,Ng")
    report = _import(body, data, personas["body_staff"], dry_run=True)
    assert report.ok and report.certified == [f"{first.reference}: CGP-00001"]
    assert "nothing stored" in report.summary()
    assert not Sitting.objects.exists() and not Credential.objects.exists()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00r", "UTF-16"),
        (b"reference,window,when\n", "unknown column"),
        (b"reference,window,sat_on\n", "result or a score"),
        (b'reference,window,sat_on,result\n"open,x,y,z\n', "malformed"),
    ],
    ids=["empty", "utf16", "unknown-column", "no-result-column", "unclosed-quote"],
)
def test_an_unreadable_file_is_refused_in_words(body, requirements, personas, data, reason):
    report = _import(body, data, personas["body_staff"])
    assert not report.ok and reason in report.summary() + " ".join(map(str, report.errors))


def test_the_window_page_checks_then_imports(client, body, two, window, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    first, _second = two
    data = _csv(f"{first.reference},2026-spring,{TODAY().isoformat()},90,Ng")
    client.force_login(personas["body_staff"])
    url = reverse("certification_staff:import", kwargs={"org": body.slug, "pk": window.pk})
    checked = client.post(url, {"action": "check", "file": SimpleUploadedFile("r.csv", data)})
    assert checked.status_code == 200 and "CGP-00001" in checked.content.decode()
    assert not Credential.objects.exists()
    done = client.post(url, {"action": "import", "file": SimpleUploadedFile("r.csv", data)})
    assert done.status_code == 302
    assert fresh(first).state == workflow.CERTIFIED
    bad = client.post(url, {"action": "import", "file": SimpleUploadedFile("r.csv", b"x,y\n1,2\n")})
    assert bad.status_code == 400 and "unknown column" in bad.content.decode()


def test_the_window_pages_list_sittings_in_a_fixed_number_of_queries(
    client, body, two, window, personas, django_assert_max_num_queries
):
    for application in two:
        services.sitting_book(
            window=window, application=application, acting_user=personas["body_staff"]
        )
    client.force_login(personas["body_staff"])
    with django_assert_max_num_queries(12):
        page = client.get(
            reverse("certification_staff:window", kwargs={"org": body.slug, "pk": window.pk})
        )
    assert page.content.decode().count("booked") >= 2
    with django_assert_max_num_queries(10):
        client.get(reverse("certification_staff:windows", kwargs={"org": body.slug}))
