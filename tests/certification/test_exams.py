"""Examinations: a pass issues the credential in one transaction, a fail counts under the retake
rules, the vendor's file is checked and imported all or nothing, a voided pass takes back its
credential."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from ombuds.certification import services, workflow
from ombuds.certification.models import Sitting
from ombuds.core.dates import add_months
from ombuds.register.models import Credential, Person, RecertificationCycle, StatusEvent
from ombuds.register.public import credential_verify
from tests.certification.conftest import eligible, fresh

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate  # called when a test runs, not when the module is collected


@pytest.fixture
def staff(personas):
    return personas["body_staff"]


def _eligible(requirements, candidate, staff):
    """An eligible candidate whose eligibility started 60 days ago (the window opened 30 ago)."""
    application = eligible(requirements.program, candidate, staff)
    application.eligible_from = TODAY() - dt.timedelta(days=60)
    application.save(update_fields=["eligible_from"])
    return application


def _record(window, application, staff, result="", score=None, sat_on=None):
    return services.result_record(
        window=window,
        application=application,
        given=services.ResultIn(sat_on or TODAY(), result, score),
        source="staff",
        acting_user=staff,
    )


def test_a_pass_issues_the_credential_with_its_dates_and_first_cycle(
    requirements, candidate, staff, window, django_capture_on_commit_callbacks
):
    application = eligible(requirements.program, candidate, staff)
    with django_capture_on_commit_callbacks(execute=True):
        _record(window, application, staff, score=Decimal("81"))
    application = fresh(application)
    credential = application.credential
    assert application.state == workflow.CERTIFIED
    assert credential.number == "CGP-00001"
    assert credential.status == "active" and credential.holder == application.person
    assert credential.issued_on == TODAY()
    assert credential.expires_on == add_months(TODAY(), 36)
    cycle = RecertificationCycle.objects.get(credential=credential)
    assert cycle.outcome == "open" and cycle.due_on == credential.expires_on
    assert list(
        StatusEvent.objects.filter(credential=credential).values_list("to_status", flat=True)
    ) == [
        "candidate",
        "active",
    ]
    assert "CGP-00001" in mail.outbox[-1].body
    assert credential_verify("CGP-00001", organization=requirements.program.organization)


def test_numbers_continue_after_those_already_in_the_register(
    requirements, candidate, staff, window
):
    other = Person.objects.create(
        organization=requirements.program.organization, given_name="O", family_name="P"
    )
    Credential.objects.create(
        program=requirements.program, holder=other, number="CGP-00041", status="active"
    )
    application = eligible(requirements.program, candidate, staff)
    _record(window, application, staff, result="pass")
    assert fresh(application).credential.number == "CGP-00042"


def test_a_fail_counts_and_the_last_attempt_ends_the_application(
    requirements, candidate, staff, window, django_capture_on_commit_callbacks
):
    application = _eligible(requirements, candidate, staff)
    first = TODAY() - dt.timedelta(days=31)
    window.opens_on = first
    window.save()
    with django_capture_on_commit_callbacks(execute=True):
        _record(window, application, staff, score=Decimal("50"), sat_on=first)
    assert "You may sit again from" in mail.outbox[-1].body
    assert fresh(application).state == workflow.ELIGIBLE
    retake = services.retake_of(fresh(application), services.spec_of(requirements))
    assert (retake.used, retake.left, retake.next_from) == (1, 1, first + dt.timedelta(days=30))
    _record(window, application, staff, result="no_show")
    assert fresh(application).state == workflow.EXHAUSTED
    assert not Credential.objects.filter(holder=application.person).exists()


def test_a_retake_before_the_wait_is_refused(requirements, candidate, staff, window):
    application = _eligible(requirements, candidate, staff)
    _record(window, application, staff, result="fail", sat_on=TODAY() - dt.timedelta(days=1))
    with pytest.raises(services.CertificationRefused, match="next attempt is possible from"):
        _record(window, application, staff, result="pass")


def test_results_outside_the_window_or_the_eligibility_are_refused(
    requirements, candidate, staff, window
):
    application = eligible(requirements.program, candidate, staff)
    with pytest.raises(services.CertificationRefused) as refused:
        _record(window, application, staff, result="pass", sat_on=TODAY() - dt.timedelta(days=40))
    text = " ".join(refused.value.problems)
    assert "outside the window" in text and "outside" in text and "eligibility" in text
    with pytest.raises(services.CertificationRefused, match="in the future"):
        _record(window, application, staff, result="pass", sat_on=TODAY() + dt.timedelta(days=1))
    assert not Sitting.objects.exists()


def test_a_candidate_not_eligible_gets_no_result(requirements, candidate, staff, window):
    from tests.certification.conftest import submitted

    application = submitted(requirements.program, candidate)
    with pytest.raises(services.CertificationRefused, match="not eligible"):
        _record(window, application, staff, result="pass")


def test_the_same_result_twice_changes_nothing(requirements, candidate, staff, window):
    application = eligible(requirements.program, candidate, staff)
    first = _record(window, application, staff, result="fail")
    again = _record(window, application, staff, result="fail")
    assert first.pk == again.pk and Sitting.objects.count() == 1


def test_only_the_bodys_staff_record_a_result(requirements, candidate, personas, window):
    application = eligible(requirements.program, candidate, personas["body_staff"])
    for who in ("committee_member", "other_body_admin", "signed_in_no_role"):
        with pytest.raises(services.CertificationRefused, match="no staff role"):
            _record(window, application, personas[who], result="pass")
    with pytest.raises(services.CertificationRefused, match="no staff role"):
        _record(window, application, candidate, result="pass")


def test_a_voided_pass_revokes_its_credential_and_gives_eligibility_back(
    requirements, candidate, staff, window
):
    application = eligible(requirements.program, candidate, staff)
    sitting = _record(window, application, staff, result="pass")
    credential = fresh(application).credential
    services.result_void(
        sitting=sitting, reason="Copied answers.", decision_ref="GOE-2026-AAAAA", acting_user=staff
    )
    credential.refresh_from_db()
    assert credential.status == "revoked"
    assert credential.events.last().decision_ref == "GOE-2026-AAAAA"
    application = fresh(application)
    assert application.state == workflow.ELIGIBLE
    assert services.retake_of(application, services.spec_of(requirements)).used == 0


def test_a_suspended_candidate_books_nothing_and_gets_no_result(
    requirements, candidate, staff, window
):
    application = eligible(requirements.program, candidate, staff)
    services.eligibility_suspend(
        application=application,
        until=TODAY() + dt.timedelta(days=60),
        reason="Case decided.",
        decision_ref="GOE-2026-BBBBB",
        expected_version=None,
        acting_user=staff,
    )
    with pytest.raises(services.CertificationRefused, match="suspended until"):
        services.sitting_book(window=window, application=application, acting_user=candidate)
    with pytest.raises(services.CertificationRefused, match="suspended until"):
        _record(window, application, staff, result="pass")
    services.applications_tick(today=TODAY() + dt.timedelta(days=60))
    assert fresh(application).state == workflow.ELIGIBLE
