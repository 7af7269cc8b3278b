"""The case services (ombuds/cases/services.py): filing, the anonymous follow-up, who may act, the
procedure's steps and their refusals, notices and their delivery, the deadline clock, documents,
messages, and the audit record each change writes in its own transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from ombuds.audit import services as audit
from ombuds.audit.models import Event
from ombuds.audit.services import events_for
from ombuds.bodies.models import BodyRole
from ombuds.cases import documents, services
from ombuds.cases.models import (
    Case,
    CaseDeadline,
    DeadlineReminder,
    Document,
    Message,
    Notice,
    NoticeTemplate,
    Recusal,
)
from ombuds.cases.services import CaseRefused
from ombuds.codes import services as codes
from ombuds.members import services as members
from tests.cases.conftest import PDF, PNG, case_events, complaint, file_case, take
from tests.conftest import small_code

TODAY = timezone.localdate


class FailingBackend(BaseEmailBackend):
    """An email backend whose server is always down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


FAILING_BACKEND = f"{__name__}.FailingBackend"


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def notified(case, csec, user=None):
    """A CSEC member case brought to the agency: acknowledged, proof of efforts waived, notified."""
    user = user or csec.chair
    take(case, "acknowledge", user)
    take(case, "waive_efforts", user, waiver_reason="The agency refused all contact.")
    return take(case, "notify_member", user)


def delivered(case):
    """The case, once its notices went out by email: the respondent's was delivered, and the
    deadlines counting from its delivery run."""
    services.notices_retry()
    return case


def running(case, name):
    return case.deadlines.get(name=name, met_at__isnull=True, expired_at__isnull=True)


# --- filing ---------------------------------------------------------------------------------------


def test_references_are_the_bodys_prefix_the_year_and_a_random_code(csec, espcc):
    """References reveal no neighbour (issue 12): not consecutive, each a fresh random code."""
    year = TODAY().year
    first = file_case(csec)
    with pytest.raises(CaseRefused):
        file_case(csec, what_happened="")  # refused: takes no reference
    second = file_case(csec)
    other = file_case(espcc)
    third = file_case(csec)
    for case in (first, second, third):
        assert re.fullmatch(rf"CSEC-{year}-[2-9A-HJKMNP-TV-Z]{{5}}", case.reference), case.reference
    assert re.fullmatch(rf"ESPCC-{year}-[2-9A-HJKMNP-TV-Z]{{5}}", other.reference)
    assert len({first.reference, second.reference, third.reference}) == 3


def test_filing_makes_the_allegation_citing_the_version_in_force(csec):
    case = file_case(csec, citations=["1.1(a)", "2.1"])
    assert case.state == "received"
    assert case.code_version == csec.version
    (allegation,) = case.allegations.all()
    assert allegation.position == 1
    assert allegation.source == "complainant"
    assert allegation.summary == "They kept my support payment for three months."
    assert sorted(p.citation for p in allegation.provisions.all()) == ["1.1(a)", "2.1"]
    deadline = running(case, "acknowledge")
    assert (deadline.starts_on, deadline.due_on) == (TODAY(), TODAY() + dt.timedelta(days=7))
    event = Event.objects.get(action="case.filed")
    assert event.data["provisions"] == ["1.1(a)", "2.1"]
    assert event.actor_label == "Pat Complainant (complainant)"


def test_a_provision_of_another_version_or_body_is_refused(csec, espcc):
    old = csec.provision("1.1(a)")
    newer, _ = codes.code_version_import(
        organization=csec.org,
        parsed=small_code(changed=True),
        source=b"csec v2",
        label="v2",
        publish=True,
    )
    with pytest.raises(CaseRefused) as refused:
        services.case_file(
            organization=csec.org,
            complaint=complaint(csec, provisions=[old, espcc.provision("2.4")]),
        )
    assert refused.value.problems == [
        "1.1(a) is not in the code in force.",
        "2.4 is not in the code in force.",
    ]
    assert not Case.objects.exists()
    cited = newer.provisions.get(citation="2.2")
    case = services.case_file(
        organization=csec.org, complaint=complaint(csec, provisions=[cited])
    ).case
    assert case.code_version == newer
    assert list(case.allegations.get().provisions.all()) == [cited]


def test_anonymous_complainant_gets_a_receipt_code_and_an_argon2_passphrase(csec):
    passphrase = "correct horse battery"
    filed = services.case_file(
        organization=csec.org,
        complaint=complaint(
            csec,
            anonymous=True,
            complainant_name="Should Not Be Kept",
            complainant_email="kept@example.org",
            passphrase=passphrase,
        ),
    )
    case = filed.case
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", filed.receipt_code)
    assert case.receipt_code == filed.receipt_code
    assert case.passphrase_hash.startswith("argon2$")
    assert passphrase not in case.passphrase_hash
    assert (case.complainant_name, case.complainant_email) == ("", "")
    assert not case.notices.exists()  # nowhere to send a receipt: the code is shown once
    assert Event.objects.get(action="case.filed").actor_label == "anonymous complainant"
    code = filed.receipt_code
    assert services.followup_case(code, passphrase) == case
    assert services.followup_case(code.lower().replace("-", " "), passphrase) == case
    assert services.followup_case(code, passphrase + "!") is None
    other = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert services.followup_case(other, passphrase) is None
    assert services.followup_case("", passphrase) is None


def test_the_passphrase_is_hashed_before_the_filing_transaction_locks_the_case_counter(
    csec, monkeypatch
):
    """Argon2 takes a fifth of a second: hashed while the body's case counter was locked, every
    other filing at the body waited for it."""
    from django.db import connection

    from ombuds.cases.services import filing

    depths, real = [], filing._passphrase_hash
    monkeypatch.setattr(
        filing,
        "_passphrase_hash",
        lambda p: depths.append(len(connection.atomic_blocks)) or real(p),
    )
    outside = len(connection.atomic_blocks)  # the test's own transaction
    passphrase = "correct horse battery"
    filed = services.case_file(
        organization=csec.org, complaint=complaint(csec, anonymous=True, passphrase=passphrase)
    )
    assert depths == [outside]
    assert filed.case.passphrase_hash.startswith("argon2$")
    assert services.followup_case(filed.receipt_code, passphrase) == filed.case


def test_every_problem_is_listed_at_once_and_nothing_is_written(csec, other_body):
    from ombuds.register.models import Agency

    elsewhere = Agency.objects.create(organization=other_body, legal_name="Elsewhere Ltd")
    bad = services.Complaint(
        what_happened="  ",
        respondent_agency=elsewhere,
        anonymous=True,
        passphrase="short",
        consent_to_share=True,
        complainant_relation="stranger",
        happened_on=TODAY() + dt.timedelta(days=3),
        channel="pigeon",
        files=[("photo.pdf", PNG)],
    )
    events = Event.objects.count()  # the body's own (its code's publication)
    with pytest.raises(CaseRefused) as refused:
        services.case_file(organization=csec.org, complaint=bad)
    problems = refused.value.problems
    assert len(problems) == 8
    for expected in (
        "Say what happened.",
        "That respondent is in another body's register.",
        "Choose a passphrase of at least 10 characters",
        "An anonymous complaint cannot share the complainant's identity.",
        "Say how you relate",
        "cannot be in the future",
        "Unknown channel 'pigeon'.",
        "photo.pdf is named as .pdf but its content is PNG image",
    ):
        assert any(expected in p for p in problems), expected
    assert str(refused.value) == "; ".join(problems)
    assert not Case.objects.exists()
    assert Event.objects.count() == events
    assert media_files() == []


def test_the_same_submission_key_gives_back_the_first_case(csec):
    first = services.case_file(
        organization=csec.org, complaint=complaint(csec, submission_key="form-1")
    )
    again = services.case_file(
        organization=csec.org, complaint=complaint(csec, submission_key="form-1")
    )
    # The same key with other words is not the same form: refused, never merged or dropped.
    with pytest.raises(CaseRefused, match="already used to send a different complaint"):
        services.case_file(
            organization=csec.org,
            complaint=complaint(csec, submission_key="form-1", what_happened="Edited and resent."),
        )
    assert not first.duplicate
    assert again.duplicate
    assert again.case.pk == first.case.pk
    assert Case.objects.count() == 1
    assert case_events(first.case) == ["case.filed"]
    assert Notice.objects.count() == 1  # one receipt


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("contract.pdf", PNG, "contract.pdf is named as .pdf but its content is PNG image"),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "setup.exe is not one of"),
        ("big.pdf", PDF + b"0" * documents.MAX_BYTES, "big.pdf is larger than 10 MB"),
        ("empty.txt", b"", "empty.txt is empty"),
    ],
)
def test_evidence_is_judged_by_its_content_and_refused_whole(csec, name, data, reason):
    files = [("letter.pdf", PDF), (name, data)]
    with pytest.raises(CaseRefused) as refused:
        services.case_file(organization=csec.org, complaint=complaint(csec, files=files))
    assert any(p.startswith(reason) for p in refused.value.problems), refused.value.problems
    assert not Case.objects.exists()
    assert not Document.objects.exists()
    assert media_files() == []


def test_evidence_is_stored_with_its_checked_type_and_digest(csec):
    case = file_case(csec, files=[("letter.pdf", PDF), ("photo.png", PNG)])
    stored = {d.original_name: d for d in case.documents.all()}
    assert set(stored) == {"letter.pdf", "photo.png"}
    letter = stored["letter.pdf"]
    assert letter.content_type == "application/pdf"
    assert letter.kind == "evidence"
    assert letter.visibility == Document.Visibility.INTERNAL
    assert letter.file.read() == PDF
    assert letter.sha256 == hashlib.sha256(PDF).hexdigest()
    # The filing's event lists the documents by token: a file's name is personal.
    assert Event.objects.get(action="case.filed").data["documents"] == [
        stored["letter.pdf"].token,
        stored["photo.png"].token,
    ]


def test_a_named_complainant_with_an_email_gets_a_receipt(csec):
    case = file_case(csec)
    (notice,) = case.notices.all()
    assert (notice.template, notice.recipient_role) == ("receipt", "complainant")
    assert notice.recipient_email == "pat@example.org"
    assert notice.status == Notice.Status.PENDING
    assert case.reference in notice.subject
    assert "Dear Pat Complainant" in notice.body
    without_email = file_case(csec, complainant_email="")
    assert not without_email.notices.exists()


def test_the_register_email_is_the_respondents_not_the_one_the_complainant_typed(csec):
    case = file_case(csec, respondent_email="pat-pretending@example.org")
    assert case.respondent_email == "office@faithful.example"
    assert "pat-pretending@example.org" in case.respondent_details
    notified(case, csec)
    (notice,) = case.notices.filter(recipient_role="respondent")
    assert notice.recipient_email == "office@faithful.example"
    # The register is changed: the next notice follows it.
    csec.member_agency.email = "new-office@faithful.example"
    csec.member_agency.save()
    services.message_post(
        case=case, audience="respondent", body="Please answer.", acting_user=csec.staff
    )
    latest = case.notices.filter(recipient_role="respondent").latest("pk")
    assert latest.recipient_email == "new-office@faithful.example"


def test_a_respondent_named_only_is_written_to_at_the_address_given(csec):
    case = file_case(
        csec,
        respondent_agency=None,
        respondent_name="Unlisted Recovery Co",
        respondent_email="info@unlisted.example",
    )
    take(case, "acknowledge", csec.chair)
    take(case, "notify_agency", csec.chair)
    (notice,) = case.notices.filter(recipient_role="respondent")
    assert notice.recipient_email == "info@unlisted.example"


# --- who may act, what the procedure asks -------------------------------------------------------


def test_roles_on_case(csec, espcc, django_user_model):
    case = file_case(csec)
    assert services.roles_on_case(csec.chair, case) == {"ethics_chair"}
    assert services.roles_on_case(csec.recused, case) == {"committee_member"}
    services.recusal_record(
        case=case, user=csec.recused, reason="Works for the agency.", acting_user=csec.chair
    )
    assert services.roles_on_case(csec.recused, case) == set()
    assert services.roles_on_case(espcc.chair, case) == set()  # another body's chair
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    assert services.roles_on_case(root, case) == {"administrator"}
    csec.staff.is_active = False
    csec.staff.save()
    assert services.roles_on_case(csec.staff, case) == set()
    from django.contrib.auth.models import AnonymousUser

    assert services.roles_on_case(AnonymousUser(), case) == set()
    assert services.roles_on_case(None, case) == set()


def test_a_recused_member_can_neither_act_nor_decide(csec):
    case = file_case(csec, recuse=True)
    BodyRole.objects.create(user=csec.recused, organization=csec.org, role="ethics_chair")
    with pytest.raises(CaseRefused, match="you are recused from this case"):
        take(case, "acknowledge", csec.recused)
    assert services.available_steps(case, csec.recused) == []
    assert [t.name for t in services.available_steps(case, csec.chair)] == [
        "acknowledge",
        "dismiss",
    ]


def test_facts(csec, espcc):
    member = file_case(csec)
    outsider = file_case(csec, respondent_agency=csec.non_member_agency)
    holder = file_case(espcc)
    anonymous = file_case(csec, anonymous=True, passphrase="long enough phrase")
    assert services.facts(member) == {
        "respondent_is_member": True,
        "efforts_settled": False,
        "complainant_named": True,
        "all_determined": False,
        "any_upheld": False,
        "sanction_chosen": False,
        "respondent_answered": False,
        "acknowledged": False,
        "respondent_notified": False,
    }
    assert services.facts(outsider)["respondent_is_member"] is False
    assert services.facts(holder)["respondent_is_member"] is True
    assert services.facts(anonymous)["complainant_named"] is False
    csec.membership.status = "lapsed"
    csec.membership.save()
    assert services.facts(member)["respondent_is_member"] is False
    take(member, "acknowledge", csec.chair)
    member.refresh_from_db()
    assert services.facts(member)["acknowledged"] is True


@pytest.mark.parametrize(
    ("step", "who", "inputs", "reason"),
    [
        ("request_efforts", "staff", {"message": "x"}, "is taken by: ethics chair"),
        ("notify_member", "chair", {}, "cannot be taken while the case is"),
        ("investigate", "chair", {}, "only from: Agency notified"),
        ("dismiss", "chair", {"reasons": "No."}, "needs: Ground"),
        ("dismiss", "chair", {"ground": "bored", "reasons": "No."}, "Ground must be one of"),
        ("acknowledge", "investigator", {}, "is taken by: ethics chair, staff, administrator"),
        ("fly_away", "chair", {}, "has no step called 'fly_away'"),
    ],
)
def test_a_step_refused_says_why_and_changes_nothing(csec, step, who, inputs, reason):
    case = file_case(csec)
    user = {"staff": csec.staff, "chair": csec.chair, "investigator": csec.investigator}[who]
    if step == "request_efforts":
        take(case, "acknowledge", csec.chair)
        case.refresh_from_db()
    before = (case.state, case.version, Event.objects.count(), Notice.objects.count())
    with pytest.raises(CaseRefused, match=re.escape(reason)):
        take(case, step, user, **inputs)
    case.refresh_from_db()
    assert (case.state, case.version, Event.objects.count(), Notice.objects.count()) == before


def test_a_step_needs_the_facts_it_names(csec):
    case = file_case(csec)
    take(case, "acknowledge", csec.chair)
    with pytest.raises(CaseRefused, match="proof of reasonable efforts to resolve was given"):
        take(case, "notify_member", csec.chair)
    with pytest.raises(CaseRefused, match="not: the respondent holds a membership"):
        take(case, "notify_agency", csec.chair)


def test_a_step_of_the_clock_is_not_taken_by_hand(csec):
    case = notified(file_case(csec), csec)
    with pytest.raises(CaseRefused, match="is taken by the deadline clock, not by hand"):
        take(case, "no_answer", csec.chair)
    case = services.case_step(case=case, step="no_answer", roles={"system"})
    assert case.state == "investigation"


def test_a_step_takes_only_what_it_declares(csec):
    case = file_case(csec)
    take(case, "acknowledge", csec.chair)
    with pytest.raises(CaseRefused, match="takes no document called evidence"):
        take(case, "request_efforts", csec.chair, message="x", files={"evidence": ("a.pdf", PDF)})
    assert media_files() == []
    case = services.case_step(
        case=case,
        step="request_efforts",
        acting_user=csec.chair,
        inputs={"message": "Your letters.", "waiver_reason": "sneaked in", "version": "3"},
    )
    assert case.efforts_waived_reason == ""
    assert services.facts(case)["efforts_settled"] is False
    step = Event.objects.filter(action="case.step").latest("seq")
    assert step.data["inputs"] == {"message": "Your letters."}


def test_a_stale_page_is_refused(csec):
    case = file_case(csec)
    seen = case.version
    take(case, "acknowledge", csec.chair)
    with pytest.raises(CaseRefused, match=rf"{case.reference} changed since this page was opened"):
        services.case_step(
            case=case,
            step="request_efforts",
            acting_user=csec.chair,
            inputs={"message": "Send your letters."},
            expected_version=seen,
        )
    case.refresh_from_db()
    assert case.state == "chair_review"
    fresh = services.case_step(
        case=case,
        step="request_efforts",
        acting_user=csec.chair,
        inputs={"message": "Send your letters."},
        expected_version=case.version,
    )
    assert fresh.state == "awaiting_efforts"
    assert fresh.version == case.version + 1


def test_a_document_input_is_checked_and_counts_as_given(csec):
    case = file_case(csec)
    take(case, "acknowledge", csec.chair)
    take(case, "request_efforts", csec.chair, message="Your letters to them, please.")
    with pytest.raises(CaseRefused, match="needs: Proof of efforts to resolve"):
        take(case, "efforts_received", csec.staff)
    with pytest.raises(CaseRefused, match=r"named as \.pdf but its content is PNG"):
        take(case, "efforts_received", csec.staff, files={"efforts_proof": ("x.pdf", PNG)})
    assert media_files() == []
    case = take(case, "efforts_received", csec.staff, files={"efforts_proof": ("x.pdf", PDF)})
    assert case.efforts_proven_at is not None
    assert case.documents.get().kind == "efforts_proof"
    # The step's record names the document by its token, never by the file's name (personal).
    step = [e for e in events_for("case", case.pk) if e.action == "case.step"][-1]
    assert step.data["inputs"]["efforts_proof"] == case.documents.get().token
    assert "x.pdf" not in str(step.data)


# --- notices --------------------------------------------------------------------------------------


def test_the_respondent_is_not_told_who_complained_without_consent(csec):
    case = file_case(csec)
    notified(case, csec)
    (to_respondent,) = case.notices.filter(template="allegations")
    assert "Pat Complainant" not in to_respondent.body
    assert "pat@example.org" not in to_respondent.body
    assert "has not agreed to share their identity" in to_respondent.body
    assert "1.1(a): Members shall answer every complaint within ten days" in to_respondent.body
    # The link goes into the email only: the notice kept on the case has a placeholder.
    assert "/respond/" not in to_respondent.body
    assert "sent by email only" in to_respondent.body and to_respondent.link_token
    consenting = file_case(csec, consent_to_share=True)
    notified(consenting, csec)
    assert "It was made by Pat Complainant." in consenting.notices.get(template="allegations").body


def test_a_bodys_own_wording_cannot_name_the_complainant_to_the_respondent(csec):
    for name in ("allegations", "progress"):
        NoticeTemplate.objects.create(
            organization=csec.org,
            name=name,
            subject="{{ case.reference }} from {{ case.complainant_name }}",
            body="Complainant: {{ case.complainant_name }} <{{ case.complainant_email }}> "
            "{{ case.complainant_phone }} ({{ case.complainant_label }}).",
        )
    case = file_case(csec, complainant_phone="555-0100")
    notified(case, csec)
    to_respondent = case.notices.get(template="allegations")
    assert "Pat" not in to_respondent.subject + to_respondent.body
    assert "555-0100" not in to_respondent.body
    assert "(The complainant)" in to_respondent.body
    to_complainant = case.notices.get(template="progress")
    assert "Pat Complainant <pat@example.org> 555-0100" in to_complainant.body


def test_committee_notices_go_to_the_committee_but_not_the_recused(csec, django_user_model):
    away = django_user_model.objects.create_user("gone", "gone@example.org", "pw", is_active=False)
    BodyRole.objects.create(user=away, organization=csec.org, role="committee_member")
    case = file_case(csec, recuse=True)
    notified(case, csec)
    services.respondent_answer(case=case, body="We paid it.", files=[])
    take(case, "investigate", csec.investigator)
    take(case, "to_committee", csec.investigator, summary="The payment was late.")
    addresses = set(
        case.notices.filter(template="committee_referral").values_list("recipient_email", flat=True)
    )
    assert addresses == {csec.chair.email, csec.committee.email}


def test_notices_without_an_address_are_kept_for_other_delivery(csec):
    case = file_case(csec, anonymous=True, passphrase="long enough phrase")
    take(case, "acknowledge", csec.chair)
    notice = case.notices.get(template="acknowledgement")
    assert (notice.recipient_email, notice.status) == ("", Notice.Status.NO_ADDRESS)
    assert services.notice_send(notice.pk) == "nothing to send"


def test_notice_send_sends_once_and_marks_it_sent(csec):
    case = file_case(csec)
    notice = case.notices.get()
    assert services.notice_send(notice.pk) == "sent"
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    assert notice.attempts == 1
    assert notice.sent_at is not None
    (message,) = mail.outbox
    assert message.to == ["pat@example.org"]
    assert message.subject == notice.subject
    assert services.notice_send(notice.pk) == "nothing to send"
    assert len(mail.outbox) == 1


def test_a_failing_mail_server_is_retried_then_the_notice_shows_failed(csec, settings):
    case = file_case(csec)
    notice = case.notices.get()
    settings.EMAIL_BACKEND = FAILING_BACKEND
    for attempt in range(1, services.NOTICE_ATTEMPTS):
        assert services.notice_send(notice.pk) == "failed"
        notice.refresh_from_db()
        assert (notice.attempts, notice.status) == (attempt, Notice.Status.PENDING)
    assert services.notices_retry() == 0
    notice.refresh_from_db()
    assert notice.attempts == services.NOTICE_ATTEMPTS
    assert notice.status == Notice.Status.FAILED
    assert notice.last_error == "mail server down"
    assert services.notices_retry() == 0
    notice.refresh_from_db()
    assert notice.attempts == services.NOTICE_ATTEMPTS  # a failed notice is not tried again


def test_notices_retry_sends_what_is_still_waiting(csec, settings):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    first, second = file_case(csec), file_case(csec)
    services.notice_send(first.notices.get().pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.notices_retry() == 2
    assert {m.subject for m in mail.outbox} == {
        first.notices.get().subject,
        second.notices.get().subject,
    }
    assert services.notices_retry() == 0


def test_a_notice_is_sent_after_the_commit_and_a_queue_failure_does_not_undo_the_change(
    csec, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        case = file_case(csec)
        assert mail.outbox == []  # not before the commit
    assert case.notices.get().status == Notice.Status.SENT
    assert len(mail.outbox) == 1

    def queue_down(pk):
        raise ConnectionError("queue down")

    monkeypatch.setattr(services.notifications, "_enqueue_notice", queue_down)
    with django_capture_on_commit_callbacks(execute=True):
        other = file_case(csec)
    assert other.notices.get().status == Notice.Status.PENDING
    assert services.notices_retry() == 1


# --- the clock ------------------------------------------------------------------------------------


def test_the_answer_period_ending_moves_the_case_on_once(csec):
    case = delivered(notified(file_case(csec), csec))
    answer = running(case, "answer")
    assert answer.due_on == TODAY() + dt.timedelta(days=30)
    assert services.deadlines_tick(today=answer.due_on)["deadlines passed"] == 0
    day_after = answer.due_on + dt.timedelta(days=1)
    counts = services.deadlines_tick(today=day_after)
    assert counts["deadlines passed"] == 1
    assert counts["steps taken"] == 1
    case.refresh_from_db()
    assert case.state == "investigation"
    answer.refresh_from_db()
    assert answer.expired_at is not None and answer.met_at is None
    (chair_notice,) = case.notices.filter(template="no_answer")
    assert chair_notice.recipient_email == csec.chair.email
    step = Event.objects.filter(action="case.step").latest("seq")
    assert (step.data["step"], step.actor_label) == ("no_answer", "system")
    events = Event.objects.count()
    again = services.deadlines_tick(today=day_after)
    assert again == {
        "deadlines passed": 0,
        "steps taken": 0,
        "reminders sent": 0,
        "check-ins sent": 0,
        "cases purged": 0,
    }
    assert Event.objects.count() == events
    case.refresh_from_db()
    assert case.state == "investigation"


def test_an_answer_stops_the_clock(csec):
    case = notified(file_case(csec), csec)
    services.respondent_answer(case=case, body="We dispute this.", files=[("a.txt", b"Hi.")])
    case = take(case, "investigate", csec.investigator)
    assert not case.deadlines.filter(name="answer", met_at__isnull=True).exists()
    services.deadlines_tick(today=TODAY() + dt.timedelta(days=60))
    case.refresh_from_db()
    assert case.state == "investigation"
    assert not case.notices.filter(template="no_answer").exists()


def test_an_unmet_acknowledgement_starts_the_feedback_period_and_a_late_one_does_not_move_it(
    csec,
):
    case = file_case(csec)
    acknowledge = running(case, "acknowledge")
    counts = services.deadlines_tick(today=acknowledge.due_on + dt.timedelta(days=1))
    assert counts == {
        "deadlines passed": 1,
        "steps taken": 0,
        "reminders sent": 0,
        "check-ins sent": 0,
        "cases purged": 0,
    }
    feedback = running(case, "feedback")
    assert feedback.starts_on == acknowledge.due_on + dt.timedelta(days=1)
    assert feedback.due_on.month == (feedback.starts_on.month + 2) % 12 + 1
    case.refresh_from_db()
    assert case.state == "received"
    take(case, "acknowledge", csec.chair)
    assert running(case, "feedback") == feedback
    assert running(case, "feedback").due_on == feedback.due_on
    assert case.deadlines.filter(name="feedback").count() == 1
    assert Event.objects.get(action="case.deadline_passed").data["started"] == ["feedback"]


def test_an_acknowledgement_in_time_starts_the_feedback_period_from_it(csec):
    case = file_case(csec)
    take(case, "acknowledge", csec.staff)
    acknowledge = case.deadlines.get(name="acknowledge")
    assert acknowledge.met_at is not None
    feedback = running(case, "feedback")
    assert feedback.starts_on == TODAY()
    services.deadlines_tick(today=TODAY() + dt.timedelta(days=20))
    assert case.deadlines.filter(name="feedback").count() == 1


def test_reminders_go_once_each(csec):
    case = delivered(notified(file_case(csec), csec))
    answer = running(case, "answer")
    early = answer.due_on - dt.timedelta(days=8)
    assert services.deadlines_tick(today=early)["reminders sent"] == 0
    week_before = answer.due_on - dt.timedelta(days=7)
    assert services.deadlines_tick(today=week_before)["reminders sent"] == 1
    assert services.deadlines_tick(today=week_before)["reminders sent"] == 0
    assert services.deadlines_tick(today=answer.due_on)["reminders sent"] == 0
    assert DeadlineReminder.objects.filter(deadline=answer).count() == 1
    (reminder,) = case.notices.filter(template="deadline_reminder")
    assert reminder.recipient_email == csec.chair.email
    assert "The agency's answer" in reminder.body


def test_an_expiry_step_refused_is_recorded_and_the_clock_goes_on(csec, monkeypatch):
    stuck, fine = notified(file_case(csec), csec), notified(file_case(csec), csec)
    delivered(stuck)
    real = services.case_step

    def refuse_for_stuck(*, case, **kwargs):
        if case.pk == stuck.pk:
            raise CaseRefused("the register is being repaired")
        return real(case=case, **kwargs)

    monkeypatch.setattr(services.steps, "case_step", refuse_for_stuck)
    counts = services.deadlines_tick(today=TODAY() + dt.timedelta(days=31))
    assert counts["deadlines passed"] == 2
    assert counts["steps taken"] == 1
    stuck.refresh_from_db()
    fine.refresh_from_db()
    assert (stuck.state, fine.state) == ("respondent_notified", "investigation")
    refused = Event.objects.get(action="case.deadline_step_refused")
    assert refused.data["reason"] == "the register is being repaired"
    assert audit.verify().ok


# --- documents and messages -----------------------------------------------------------------------


def test_document_add_and_document_viewed_are_on_the_record(csec):
    case = file_case(csec)
    document = services.document_add(
        case=case,
        name="notes.txt",
        data=b"Call with the agency.",
        kind="note",
        acting_user=csec.investigator,
    )
    assert document.uploaded_by == csec.investigator
    added = Event.objects.get(action="case.document_added")
    assert added.data["document"] == document.token
    assert added.actor == csec.investigator
    services.document_viewed(document=document, viewer=csec.committee)
    viewed = Event.objects.get(action="case.document_viewed")
    assert viewed.actor == csec.committee
    assert viewed.data == {"reference": case.reference, "document": document.token}
    services.document_viewed(document=document, viewer_label="respondent (link)")
    assert Event.objects.filter(action="case.document_viewed").last().actor_label == (
        "respondent (link)"
    )


def test_document_add_refusals_write_nothing(csec, espcc):
    case = file_case(csec)
    attempts = [
        ({"acting_user": espcc.chair}, "only the"),
        ({"acting_user": csec.chair, "data": PNG}, "named as .txt but its content is PNG"),
        ({"acting_user": csec.chair, "visibility": "everyone"}, "choose who may see"),
    ]
    for extra, reason in attempts:
        kwargs = {"case": case, "name": "a.txt", "data": b"text", "kind": "note", **extra}
        with pytest.raises(CaseRefused, match=reason):
            services.document_add(**kwargs)
    take(case, "dismiss", csec.chair, ground="withdrawn", reasons="Withdrawn by the complainant.")
    with pytest.raises(CaseRefused, match="the case is closed"):
        services.document_add(
            case=case, name="a.txt", data=b"text", kind="note", acting_user=csec.chair
        )
    with pytest.raises(CaseRefused, match="the case is closed"):
        services.respondent_answer(case=case, body="Late answer.", files=[("a.txt", b"text")])
    assert not Document.objects.exists()
    assert media_files() == []


def test_messages(csec, espcc):
    case = file_case(csec)
    internal = services.message_post(
        case=case, audience="internal", body="Looks serious.", acting_user=csec.chair
    )
    assert internal.author_label == "Ethics Chair"
    assert not case.notices.filter(template="message").exists()
    services.message_post(
        case=case, audience="complainant", body="We are on it.", acting_user=csec.staff
    )
    (to_complainant,) = case.notices.filter(template="message")
    assert to_complainant.recipient_email == "pat@example.org"
    assert "/respond/" not in to_complainant.body
    services.message_post(
        case=case, audience="complainant", body="Thank you.", actor_label="Pat", from_party=True
    )
    assert case.notices.filter(template="message").count() == 1
    for kwargs, reason in [
        ({"audience": "everyone", "body": "x", "acting_user": csec.chair}, "choose who"),
        ({"audience": "internal", "body": " ", "acting_user": csec.chair}, "write the message"),
        ({"audience": "internal", "body": "x", "acting_user": espcc.chair}, "only the"),
    ]:
        with pytest.raises(CaseRefused, match=reason):
            services.message_post(case=case, **kwargs)
    assert list(case.messages.values_list("audience", "from_party")) == [
        (Message.Audience.INTERNAL, False),
        (Message.Audience.COMPLAINANT, False),
        (Message.Audience.COMPLAINANT, True),
    ]
    assert case_events(case).count("case.message") == 3


def test_the_respondents_answer_is_a_message_documents_and_a_fact(csec):
    case = notified(file_case(csec), csec)
    with pytest.raises(CaseRefused, match="write your answer"):
        services.respondent_answer(case=case, body=" ", files=[])
    with pytest.raises(CaseRefused, match="not one of the formats"):
        services.respondent_answer(case=case, body="See attached.", files=[("a.exe", b"MZ\x00")])
    assert not case.messages.exists()
    case = services.respondent_answer(case=case, body="We paid.", files=[("proof.pdf", PDF)])
    assert case.respondent_answered_at is not None
    assert case.messages.get().from_party
    document = case.documents.get()
    assert (document.kind, document.visibility) == ("answer", Document.Visibility.RESPONDENT)
    assert Event.objects.filter(action="case.respondent_answered").latest("seq").actor_label == (
        "respondent (link)"
    )


def test_the_respondents_link_opens_their_case_until_it_expires(csec):
    case = notified(file_case(csec), csec)
    token = case.notices.get(template="allegations").link_token
    assert services.respondent_link_case(token) == case
    assert services.respondent_link_case(token + "x") is None
    assert token not in str(list(case.respondent_links.values_list("token_hash", flat=True)))
    case.respondent_links.update(expires_at=timezone.now())
    assert services.respondent_link_case(token) is None


def test_a_new_link_is_sent_only_after_the_respondent_was_notified(csec):
    case = file_case(csec)
    take(case, "acknowledge", csec.chair)
    with pytest.raises(CaseRefused, match="not been notified"):
        services.respondent_notice_resend(case=case, acting_user=csec.chair)
    assert not case.notices.filter(recipient_role="respondent").exists()
    take(case, "waive_efforts", csec.chair, waiver_reason="Urgent.")
    take(case, "notify_member", csec.chair)
    services.respondent_notice_resend(case=case, acting_user=csec.staff)
    assert case.notices.filter(template="allegations").count() == 2
    assert case.respondent_links.count() == 2


def test_the_handler_is_someone_with_a_role_on_the_case(csec, espcc):
    case = file_case(csec, recuse=True)
    case = services.case_handler_set(case=case, handler=csec.staff, acting_user=csec.staff)
    assert case.handler == csec.staff
    with pytest.raises(CaseRefused):
        services.case_handler_set(case=case, handler=csec.recused, acting_user=csec.chair)
    with pytest.raises(CaseRefused):
        services.case_handler_set(case=case, handler=espcc.staff, acting_user=espcc.staff)
    case.refresh_from_db()
    assert case.handler == csec.staff


def test_a_member_of_the_body_who_is_the_respondent_is_recused_from_the_filing_on(
    csec, django_user_model
):
    principal = django_user_model.objects.create_user("principal", "Office@Faithful.example", "pw")
    BodyRole.objects.create(user=principal, organization=csec.org, role="ethics_chair")
    case = file_case(csec)
    assert Recusal.objects.filter(case=case, user=principal).exists()
    assert services.roles_on_case(principal, case) == set()
    assert Event.objects.get(action="case.filed").data["recused"] == ["principal"]
    with pytest.raises(CaseRefused, match="recused"):
        take(case, "dismiss", principal, ground="withdrawn", reasons="Not me.")


def test_allegations_added_cite_the_cases_version_and_say_their_source(csec):
    case = file_case(csec)
    added = services.allegation_add(
        case=case,
        summary="Records were not kept.",
        provisions=[csec.provision("1.2")],
        acting_user=csec.investigator,
    )
    assert (added.position, added.source) == (2, "staff")
    with pytest.raises(CaseRefused, match="the source is one of"):
        services.allegation_add(
            case=case, summary="x", provisions=[], source="rumour", acting_user=csec.chair
        )
    with pytest.raises(CaseRefused, match="only the"):
        services.allegation_add(case=case, summary="x", provisions=[], acting_user=None)
    assert case.allegations.count() == 2


# --- the record -----------------------------------------------------------------------------------


def test_each_change_is_one_event_and_the_chain_verifies(csec):
    case = file_case(csec)
    take(case, "acknowledge", csec.chair)
    take(case, "request_efforts", csec.chair, message="Your letters, please.")
    services.message_post(case=case, audience="internal", body="Waiting.", acting_user=csec.staff)
    take(case, "efforts_received", csec.staff, files={"efforts_proof": ("letters.pdf", PDF)})
    services.document_add(
        case=case, name="call.txt", data=b"Call notes.", kind="note", acting_user=csec.staff
    )
    take(case, "notify_member", csec.chair)
    services.respondent_answer(case=case, body="We disagree.", files=[])
    take(case, "investigate", csec.chair)
    assert case_events(case) == [
        "case.filed",
        "case.step",
        "case.step",
        "case.message",
        "case.step",
        "case.document_added",
        "case.step",
        "case.respondent_answered",
        "case.step",
    ]
    case.refresh_from_db()
    assert case.version == 1 + len(case_events(case)) - 1
    steps = Event.objects.filter(action="case.step").order_by("seq")
    assert [(e.data["from"], e.data["to"]) for e in steps] == [
        ("received", "chair_review"),
        ("chair_review", "awaiting_efforts"),
        ("awaiting_efforts", "chair_review"),
        ("chair_review", "respondent_notified"),
        ("respondent_notified", "investigation"),
    ]
    assert steps[3].data["notices"] == ["allegations → respondent", "progress → complainant"]
    verdict = audit.verify()
    assert verdict.ok, str(verdict)


def test_a_change_and_its_event_are_one_transaction(csec, monkeypatch):
    case = file_case(csec)

    def broken(**kwargs):
        raise RuntimeError("the log is full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        take(case, "acknowledge", csec.chair)
    case.refresh_from_db()
    assert (case.state, case.version, case.acknowledged_at) == ("received", 1, None)
    assert running(case, "acknowledge")
    assert not case.deadlines.filter(name="feedback").exists()
    assert case.notices.count() == 1  # the receipt only
    with pytest.raises(RuntimeError):
        file_case(csec, files=[("letter.pdf", PDF)])
    assert Case.objects.count() == 1
    assert media_files() == []  # the evidence went with the filing that failed
    monkeypatch.undo()
    take(case, "acknowledge", csec.chair)
    take(case, "request_efforts", csec.chair, message="Your letters.")
    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        take(case, "efforts_received", csec.staff, files={"efforts_proof": ("l.pdf", PDF)})
    assert media_files() == []
    assert not Document.objects.exists()
    monkeypatch.undo()
    assert audit.verify().ok


def test_deadline_rows_are_the_cases_own(csec):
    case = file_case(csec)
    other = file_case(csec)
    take(case, "acknowledge", csec.chair)
    assert running(other, "acknowledge")
    assert CaseDeadline.objects.filter(case=other).count() == 1


def test_no_message_reaches_the_respondent_before_the_procedure_notifies_them(csec):
    case = file_case(csec)
    take(case, "acknowledge", csec.chair)
    with pytest.raises(CaseRefused, match="has not been notified of the complaint yet"):
        services.message_post(
            case=case, audience="respondent", body="We have a complaint.", acting_user=csec.chair
        )
    assert not case.messages.exists()
    assert not case.notices.filter(recipient_role="respondent").exists()


def test_only_the_chair_an_administrator_or_staff_record_a_recusal(csec):
    case = file_case(csec)
    with pytest.raises(CaseRefused, match="only the"):
        services.recusal_record(
            case=case, user=csec.chair, reason="Spite.", acting_user=csec.committee
        )
    assert not case.recusals.exists()


def test_a_stale_version_is_its_own_kind_of_refusal(csec):
    case = file_case(csec)
    with pytest.raises(services.CaseChanged, match="changed since"):
        services.case_step(
            case=case, step="acknowledge", acting_user=csec.chair, expected_version=case.version + 1
        )


def test_staff_still_enter_complaints_when_the_public_form_is_closed(csec):
    from ombuds.cases.models import BodyProcedure

    BodyProcedure.objects.filter(organization=csec.org).update(taking_complaints=False)
    with pytest.raises(CaseRefused, match="does not take complaints"):
        file_case(csec)
    case = file_case(csec, channel=Case.Channel.PHONE)
    assert case.state == "received" and case.channel == "phone"


def test_a_dismissal_tells_the_respondent_only_once_they_were_notified(csec):
    quiet = file_case(csec, respondent_agency=csec.non_member_agency)
    take(quiet, "acknowledge", csec.chair)
    take(quiet, "dismiss", csec.chair, ground="withdrawn", reasons="Withdrawn.")
    assert not quiet.notices.filter(recipient_role="respondent").exists()

    told = file_case(csec, respondent_agency=csec.non_member_agency)
    take(told, "acknowledge", csec.chair)
    take(told, "notify_agency", csec.chair)
    services.notices_retry()  # delivered by email: the respondent was told
    take(told, "dismiss", csec.chair, ground="withdrawn", reasons="Withdrawn.")
    assert list(
        told.notices.filter(recipient_role="respondent").values_list("template", flat=True)
    ) == ["allegations", "dismissal_respondent"]


def _closed_case(csec, **fields):
    case = file_case(csec, respondent_agency=csec.non_member_agency, **fields)
    take(case, "acknowledge", csec.chair)
    take(case, "notify_agency", csec.chair)
    return take(case, "close_non_member", csec.chair, reasons="Referred to the state regulator.")


def test_the_retaliation_check_in_goes_once_on_its_day(csec):
    import datetime as dt

    from django.utils import timezone

    case = _closed_case(csec)
    assert case.checkin_on == timezone.localdate() + dt.timedelta(days=90)
    assert (
        services.deadlines_tick(today=case.checkin_on - dt.timedelta(days=1))["check-ins sent"] == 0
    )
    assert services.deadlines_tick(today=case.checkin_on)["check-ins sent"] == 1
    assert services.deadlines_tick(today=case.checkin_on)["check-ins sent"] == 0
    [notice] = case.notices.filter(template="checkin")
    assert (
        notice.recipient_email == "pat@example.org"
        and "Retaliation against someone who complains" in notice.body
    )
    assert "case.checkin_sent" in case_events(case)


def test_a_closed_case_is_purged_when_its_retention_ends_and_the_chain_still_verifies(
    csec, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from ombuds.audit.services import verify
    from ombuds.cases.models import Document

    pdf = ("proof.pdf", b"%PDF-1.4\n%%EOF\n")
    case = _closed_case(csec, files=[pdf])
    services.message_post(
        case=case, audience="internal", body="Pat called.", acting_user=csec.chair
    )
    [document] = case.documents.all()
    path = document.file.path
    open_case = file_case(csec)
    settings.OMBUDS_CASE_RETENTION_DAYS = 30
    later = timezone.localdate() + dt.timedelta(days=31)
    assert services.cases_purge_due(today=timezone.localdate()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.cases_purge_due(today=later) == 1
    case.refresh_from_db()
    assert case.purged_at is not None and case.complainant_name == "" and case.receipt_code is None
    assert not any(m.body for m in case.messages.all())
    assert Document.objects.get(pk=document.pk).purged_at is not None
    import os

    assert not os.path.exists(path)
    assert set(case.notices.values_list("body", flat=True)) == {""}
    assert case.allegations.count() == 1  # the decision record stays
    assert "case.purged" in case_events(case)
    assert verify().ok
    assert services.cases_purge_due(today=later) == 0  # once
    open_case.refresh_from_db()
    assert open_case.purged_at is None and open_case.complainant_name == "Pat Complainant"


def test_the_respondents_link_travels_in_the_email_only(csec, mailoutbox):
    case = notified(file_case(csec), csec)
    notice = case.notices.get(template="allegations")
    token = notice.link_token
    assert token and token not in notice.body
    assert services.notice_send(notice.pk) == "sent"
    [mail] = [m for m in mailoutbox if m.to == ["office@faithful.example"]]
    assert f"/respond/{token}/" in mail.body
    notice.refresh_from_db()
    assert notice.link_token == "" and token not in notice.body  # nothing left to act with


def test_another_bodys_submission_key_shows_nothing_of_its_case(csec, espcc):
    # Keys are scoped to the body (tests/cases/test_submission_keys.py): the same key at another
    # body files that body's own case, and says nothing of the first.
    first = services.case_file(
        organization=csec.org, complaint=complaint(csec, submission_key="k-1")
    )
    other = services.case_file(
        organization=espcc.org, complaint=complaint(espcc, submission_key="k-1")
    )
    assert not other.duplicate and other.case.pk != first.case.pk
    assert other.case.organization == espcc.org


# --- recusal: one write path (issue 10) -----------------------------------------------------------


def test_a_recusal_locks_the_case_bumps_its_version_and_is_on_the_record(csec):
    case = file_case(csec)
    version = case.version
    assert services.case_recuse(
        case=case,
        user=csec.committee,
        reason="Worked for the agency.",
        acting_user=csec.committee,
        details={"disclosure": 7},
    )
    case.refresh_from_db()
    assert case.version == version + 1
    event = Event.objects.filter(action="case.recusal", subject_id=str(case.pk)).get()
    assert event.data["user"] == csec.committee.username
    assert event.data["disclosure"] == 7
    # Recused already: nothing changes, no second event.
    assert not services.case_recuse(case=case, user=csec.committee, reason="Again.")
    case.refresh_from_db()
    assert case.version == version + 1
    # A page opened before the recusal acts on a stale version.
    with pytest.raises(services.CaseChanged):
        services.allegation_add(
            case=case,
            summary="Something else",
            provisions=[],
            acting_user=csec.chair,
            expected_version=version,
        )


def test_a_disclosure_recuses_through_the_cases_service_and_bumps_the_version(csec):
    case = file_case(csec)  # about the member agency
    version = case.version
    disclosure = members.disclosure_save(
        user=csec.committee,
        organization=csec.org,
        relationship="employment",
        party_name=csec.member_agency.legal_name,
        nature="I worked there.",
    )
    assert disclosure.recused_from == [case.reference]
    case.refresh_from_db()
    assert case.version == version + 1
    [event] = Event.objects.filter(action="case.recusal", subject_id=str(case.pk))
    assert event.data["disclosure"] == disclosure.pk
    assert audit.verify().ok


def test_recusal_record_by_staff_bumps_the_version(csec):
    case = file_case(csec)
    version = case.version
    services.recusal_record(
        case=case, user=csec.committee, reason="Declared a conflict.", acting_user=csec.chair
    )
    case.refresh_from_db()
    assert case.version == version + 1
