"""Applications through the services: opened, filled in, submitted with the declarations and the
attestation to the exact code version, reviewed by staff, and what each refuses."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core import mail

from ombuds.accounts.models import Invitation
from ombuds.audit.models import Event
from ombuds.certification import services, workflow
from ombuds.certification.models import Application, CandidateNotice
from ombuds.codes.exports import version_to_markdown
from ombuds.core.changes import ChangedMeanwhile
from ombuds.register.models import Person
from tests.certification.conftest import (
    EVIDENCE,
    PDF,
    eligible,
    fresh,
    review,
    submitted,
    version,
)

pytestmark = pytest.mark.django_db


def test_a_submitted_application_records_what_was_declared_and_the_exact_code_version(
    program, requirements, candidate, published
):
    application = submitted(program, candidate)
    assert application.state == workflow.SUBMITTED
    assert application.code_version == published
    digest = hashlib.sha256(version_to_markdown(published).encode()).hexdigest()
    assert application.code_sha256 == digest
    assert application.declarations == {
        "accurate": {"text": "What I say here is true and complete.", "cites": "1.2"}
    }
    assert application.agreement_text == "I keep the examination confidential."
    assert application.review_due_on == dt.date.today() + dt.timedelta(days=20)
    assert [e.to_state for e in application.events.all()] == ["draft", "submitted"]
    assert Event.objects.filter(
        action="certification.application_moved", subject_id=str(application.pk)
    ).exists()


def test_submission_lists_every_missing_thing_at_once_and_changes_nothing(
    program, requirements, candidate, published
):
    application = services.application_open(program=program, user=candidate)
    with pytest.raises(services.CertificationRefused) as refused:
        services.application_submit(
            application=application,
            confirmed=[],
            agreement=False,
            code_version=published,
            expected_version=None,
            acting_user=candidate,
        )
    text = " ".join(refused.value.problems)
    assert "Education: give your level" in text
    assert "Education: add a document" in text
    assert "Practice: give your hours" in text
    assert "Confirm the declaration" in text
    assert "candidate agreement" in text
    assert fresh(application).state == workflow.DRAFT


def test_evidence_that_meets_no_route_is_refused_naming_the_closest(
    program, requirements, candidate
):
    low = {**EVIDENCE, "experience": {"amount": "90", "details": "Acme"}}
    with pytest.raises(services.CertificationRefused, match=r"closest.*at least 100 hours"):
        submitted(program, candidate, evidence=low)


def test_attesting_to_a_superseded_version_is_refused(program, requirements, candidate, draft):
    with pytest.raises(services.CertificationRefused, match="code in force is now version v1"):
        application = services.application_open(program=program, user=candidate)
        services.application_submit(
            application=application,
            confirmed=["accurate"],
            agreement=True,
            code_version=draft,
            expected_version=None,
            acting_user=candidate,
        )


def test_someone_else_cannot_change_or_submit_the_candidates_application(
    program, requirements, candidate, personas
):
    application = services.application_open(program=program, user=candidate)
    with pytest.raises(services.CertificationRefused, match="Only the candidate"):
        services.application_save(
            application=application,
            identity={"given_name": "X", "family_name": "Y", "email": "x@example.org"},
            evidence=EVIDENCE,
            expected_version=None,
            acting_user=personas["body_staff"],
        )
    with pytest.raises(services.CertificationRefused, match="Only the candidate"):
        services.document_add(
            application=application,
            evidence_key="education",
            name="d.pdf",
            data=PDF,
            acting_user=personas["signed_in_no_role"],
        )


def test_a_document_is_checked_by_its_content(program, requirements, candidate):
    application = services.application_open(program=program, user=candidate)
    with pytest.raises(services.CertificationRefused, match="content is PDF"):
        services.document_add(
            application=application,
            evidence_key="education",
            name="diploma.docx",
            data=PDF,
            acting_user=candidate,
        )
    assert not application.documents.exists()


def test_staff_review_moves_notify_the_candidate_and_set_the_deadlines(
    program, requirements, candidate, personas, django_capture_on_commit_callbacks
):
    application = submitted(program, candidate)
    staff = personas["body_staff"]
    with django_capture_on_commit_callbacks(execute=True):
        review(application, "more_information", staff, reason="Send your transcript.")
    application = fresh(application)
    assert application.state == workflow.MORE_INFORMATION
    assert application.respond_by == dt.date.today() + dt.timedelta(days=14)
    assert application.state_reason == "Send your transcript."
    assert "Send your transcript." in mail.outbox[-1].body
    assert mail.outbox[-1].to == ["cara@example.org"]
    assert CandidateNotice.objects.filter(application=application, sent_at__isnull=False).exists()


def test_eligibility_runs_for_the_programmes_days(program, requirements, candidate, personas):
    application = fresh(eligible(program, candidate, personas["body_admin"]))
    assert application.state == workflow.ELIGIBLE
    assert application.eligible_from == dt.date.today()
    assert application.eligible_until == dt.date.today() + dt.timedelta(days=200)


@pytest.mark.parametrize("who", ["committee_member", "other_body_admin", "signed_in_no_role"])
def test_only_the_bodys_staff_review(program, requirements, candidate, personas, who):
    application = submitted(program, candidate)
    with pytest.raises(services.CertificationRefused, match="no staff role"):
        review(application, "complete", personas[who])
    assert fresh(application).state == workflow.SUBMITTED


def test_a_stale_review_is_refused(program, requirements, candidate, personas):
    application = submitted(program, candidate)
    seen = version(application)
    review(application, "complete", personas["body_staff"])
    with pytest.raises(ChangedMeanwhile):
        services.application_review(
            application=application,
            decision="refused",
            reason="No.",
            expected_version=seen,
            acting_user=personas["body_staff"],
        )
    assert fresh(application).state == workflow.COMPLETE


def test_refusal_needs_a_reason(program, requirements, candidate, personas):
    application = submitted(program, candidate)
    with pytest.raises(services.CertificationRefused, match="needs a reason"):
        review(application, "refused", personas["body_staff"])


def test_eligible_needs_a_complete_file_first(program, requirements, candidate, personas):
    application = submitted(program, candidate)
    with pytest.raises(services.CertificationRefused, match="cannot become eligible"):
        review(application, "eligible", personas["body_staff"])


def test_the_information_asked_for_is_sent_back_and_unanswered_requests_lapse(
    program, requirements, candidate, personas
):
    application = submitted(program, candidate)
    review(application, "more_information", personas["body_staff"], reason="Transcript?")
    application = services.application_submit(
        application=fresh(application),
        confirmed=["accurate"],
        agreement=True,
        code_version=fresh(application).code_version,
        expected_version=None,
        acting_user=candidate,
    )
    assert application.state == workflow.SUBMITTED
    review(application, "more_information", personas["body_staff"], reason="Again?")
    later = dt.date.today() + dt.timedelta(days=15)
    assert services.applications_tick(today=later)["lapsed"] == 1
    assert fresh(application).state == workflow.LAPSED
    assert services.applications_tick(today=later)["lapsed"] == 0


def test_eligibility_ends_on_its_date(program, requirements, candidate, personas):
    application = eligible(program, candidate, personas["body_staff"])
    services.applications_tick(today=dt.date.today() + dt.timedelta(days=200))
    assert fresh(application).state == workflow.ELIGIBLE
    services.applications_tick(today=dt.date.today() + dt.timedelta(days=201))
    assert fresh(application).state == workflow.EXPIRED


def test_one_live_application_per_person_and_programme(program, requirements, candidate):
    first = services.application_open(program=program, user=candidate)
    again = services.application_open(program=program, user=candidate)
    assert first.pk == again.pk
    services.application_withdraw(
        application=first, reason="", expected_version=None, acting_user=candidate
    )
    assert services.application_open(program=program, user=candidate).pk != first.pk


def test_a_visitor_without_an_account_gets_an_invitation_and_a_draft(program, requirements):
    services.application_request(
        program=program,
        values={"given_name": "Dee", "family_name": "Lo", "email": "dee@example.org"},
    )
    person = Person.objects.get(email="dee@example.org")
    application = Application.objects.get(person=person)
    assert application.state == workflow.DRAFT
    assert Invitation.objects.filter(person=person).exists()
    assert application.reference in mail.outbox[-1].body
    assert "confirm your email address" in mail.outbox[-1].body


def test_a_visitor_whose_address_has_an_account_is_told_to_sign_in(
    program, requirements, candidate
):
    services.application_request(
        program=program,
        values={"given_name": "Cara", "family_name": "Ng", "email": "CARA@example.org"},
    )
    assert not Application.objects.exists()
    assert "You already have an account" in mail.outbox[-1].body


def test_a_visitor_is_told_every_problem_with_their_identity(program, requirements):
    with pytest.raises(services.CertificationRefused) as refused:
        services.application_request(
            program=program, values={"given_name": "", "family_name": "", "email": "nope"}
        )
    assert set(refused.value.errors) == {"given_name", "family_name", "email"}
    assert not Person.objects.exists()


def test_a_programme_without_requirements_takes_no_application(program, candidate):
    with pytest.raises(services.CertificationRefused, match="does not take applications"):
        services.application_open(program=program, user=candidate)


def test_a_notice_the_mail_server_refuses_is_kept_and_sent_by_the_daily_work(
    program, requirements, candidate, personas, monkeypatch, django_capture_on_commit_callbacks
):
    from ombuds.certification.services import common

    application = submitted(program, candidate)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(common, "body_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        review(application, "complete", personas["body_staff"])
    waiting = CandidateNotice.objects.get(application=application, subject__contains="complete")
    assert waiting.sent_at is None and "mail server down" in waiting.last_error
    assert fresh(application).state == workflow.COMPLETE  # the decision stands
    monkeypatch.undo()
    assert services.applications_tick()["notices sent"] >= 1
    waiting.refresh_from_db()
    assert waiting.sent_at is not None
    assert any("is complete" in m.body for m in mail.outbox)
