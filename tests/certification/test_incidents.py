"""Exam-security incidents: reported from any door, each a case citing exam confidentiality through
the ordinary complaint flow; once the case upheld an allegation, its decision voids a result or
suspends eligibility, citing the case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.cases.models import BodyProcedure, Case
from ombuds.certification import services, workflow
from ombuds.certification.models import Incident
from tests.certification.conftest import eligible, fresh

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


@pytest.fixture
def procedure(body):
    return BodyProcedure.objects.create(organization=body, procedure_key="espcc-ethics")


def _report(application=None, **given):
    values = {
        "kind": "item_exposure",
        "reported_by": "proctor",
        "what_happened": "Ten questions of the spring form were posted on a forum.",
        "reporter_name": "Pat Proctor",
        "reporter_email": "pat@vendor.example",
        "application_reference": application.reference if application else "",
        "window_code": "2026-spring",
    }
    values.update(given)
    return services.IncidentReport(**values)


def _uphold(case: Case) -> None:
    case.allegations.update(determination="upheld")


def test_a_proctors_report_is_a_case_against_the_candidate_citing_confidentiality(
    body, requirements, candidate, personas, window, procedure
):
    application = eligible(requirements.program, candidate, personas["body_staff"])
    incident, filed = services.incident_report(organization=body, report=_report(application))
    case = filed.case
    assert incident.case == case and incident.application == application
    assert incident.window == window
    assert case.respondent_person == application.person
    assert [p.citation for p in case.allegations.get().provisions.all()] == ["2.1"]
    assert "Exam questions exposed" in case.what_happened
    assert case.complainant_name == "Pat Proctor"


def test_an_anonymous_public_report_gets_a_receipt_code(body, requirements, procedure):
    _incident, filed = services.incident_report(
        organization=body,
        report=_report(
            reported_by="public",
            reporter_name="",
            reporter_email="",
            anonymous=True,
            passphrase="a long enough passphrase",
            window_code="",
        ),
    )
    assert filed.receipt_code
    assert filed.case.respondent_name.startswith("Not known yet")
    assert filed.case.anonymous


def test_a_report_lists_every_problem_and_files_nothing(body, requirements, procedure):
    with pytest.raises(services.CertificationRefused) as refused:
        services.incident_report(
            organization=body,
            report=_report(kind="gossip", what_happened="", application_reference="CGP-A-NONE"),
        )
    text = " ".join(refused.value.problems)
    assert "what kind" in text and "Say what happened" in text and "No application" in text
    assert not Case.objects.exists() and not Incident.objects.exists()


def test_without_requirements_there_is_no_provision_to_cite(body, program, published, procedure):
    with pytest.raises(services.CertificationRefused, match="no provision on exam confidentiality"):
        services.incident_report(organization=body, report=_report(window_code=""))


def test_only_staff_report_as_staff(body, requirements, personas, procedure):
    with pytest.raises(services.CertificationRefused, match="no staff role"):
        services.incident_report(
            organization=body,
            report=_report(reported_by="staff"),
            acting_user=personas["committee_member"],
        )


def test_a_sanction_waits_for_an_upheld_allegation_then_suspends_eligibility(
    body, requirements, candidate, personas, window, procedure
):
    application = eligible(requirements.program, candidate, personas["body_staff"])
    incident, filed = services.incident_report(organization=body, report=_report(application))
    until = TODAY() + dt.timedelta(days=90)
    with pytest.raises(services.CertificationRefused, match="upheld no allegation"):
        services.incident_sanction(
            incident=incident,
            kind="suspend_eligibility",
            reason="",
            until=until,
            acting_user=personas["body_staff"],
        )
    _uphold(filed.case)
    services.incident_sanction(
        incident=incident,
        kind="suspend_eligibility",
        reason="",
        until=until,
        acting_user=personas["body_staff"],
    )
    application = fresh(application)
    assert application.state == workflow.SUSPENDED and application.suspended_until == until
    assert application.events.last().decision_ref == filed.case.reference


def test_the_case_voids_a_pass_and_its_credential(
    body, requirements, candidate, personas, window, procedure
):
    staff = personas["body_staff"]
    application = eligible(requirements.program, candidate, staff)
    sitting = services.result_record(
        window=window,
        application=application,
        given=services.ResultIn(TODAY(), "pass"),
        source="staff",
        acting_user=staff,
    )
    incident, filed = services.incident_report(organization=body, report=_report(application))
    _uphold(filed.case)
    services.incident_sanction(
        incident=incident, kind="void_result", reason="Cheated.", sitting=sitting, acting_user=staff
    )
    sitting.refresh_from_db()
    assert sitting.voided_at is not None and sitting.decision_ref == filed.case.reference
    assert fresh(application).credential.status == "revoked"


def test_the_public_report_page_files_the_case(client, body, requirements, procedure):
    url = reverse("certification:report", kwargs={"org": body.slug})
    assert client.get(url).status_code == 200
    page = client.post(
        url,
        {
            "kind": "disclosure",
            "what_happened": "Someone sells the answers.",
            "reporter": "public",
            "name": "Vic Tim",
            "email": "vic@example.org",
            "submission_key": "k1",
        },
    )
    assert page.status_code == 200
    case = Case.objects.get()
    assert case.reference in page.content.decode()
    assert Incident.objects.get().reported_by == "public"
    bad = client.post(url, {"kind": "", "what_happened": "", "reporter": "public"})
    assert bad.status_code == 400 and 'class="error-summary"' in bad.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("signed_in_no_role", 403),
        ("committee_member", 403),
        ("other_body_admin", 403),
        ("body_staff", 302),
    ],
    ids=["no-role", "committee", "other-body", "staff"],
)
def test_the_sanction_page_is_staffs(
    client, body, requirements, candidate, personas, window, procedure, who, status
):
    application = eligible(requirements.program, candidate, personas["body_staff"])
    incident, filed = services.incident_report(organization=body, report=_report(application))
    _uphold(filed.case)
    client.force_login(personas[who])
    answer = client.post(
        reverse("certification_staff:sanction", kwargs={"org": body.slug, "pk": incident.pk}),
        {"kind": "suspend_eligibility", "until": (TODAY() + dt.timedelta(days=30)).isoformat()},
    )
    assert answer.status_code == status
    expected = workflow.SUSPENDED if status == 302 else workflow.ELIGIBLE
    assert fresh(application).state == expected


def test_the_incident_list_runs_a_fixed_number_of_queries(
    client, body, requirements, personas, procedure, django_assert_max_num_queries
):
    for n in range(6):
        services.incident_report(
            organization=body,
            report=_report(window_code="", submission_key=f"k{n}", what_happened=f"Leak {n}."),
        )
    client.force_login(personas["body_staff"])
    url = reverse("certification_staff:incidents", kwargs={"org": body.slug})
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.content.decode().count("Exam questions exposed") >= 6
