"""Delivery as a fact (issue 13, item 3): an agency without an email address is sent its notice by
post or by hand, staff record the delivery with its proof, the answer deadline counts from the
delivery, and nobody is told the respondent was notified before they were. Each door: the
service, the staff pages, the CLI."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.models import Document, Notice
from ombuds.cases.services import CaseRefused
from tests.cases.conftest import PDF, file_case, take

TODAY = timezone.localdate


@pytest.fixture
def posted(csec):
    """A complaint about the agency that is not a member and has no email address, notified."""
    csec.non_member_agency.email = ""
    csec.non_member_agency.save()
    case = file_case(csec, respondent_agency=csec.non_member_agency)
    take(case, "acknowledge", csec.chair)
    return take(case, "notify_agency", csec.chair)


def _notice(case, template="allegations", role="respondent") -> Notice:
    return case.notices.get(template=template, recipient_role=role)


def test_without_an_email_the_notice_waits_to_be_delivered_and_nobody_is_told_notified(
    posted, csec
):
    notice = _notice(posted, "allegations")
    assert notice.status == Notice.Status.TO_DELIVER
    # The text to print writes the respondent's personal link out; the kept notice does not.
    assert notice.link_token and notice.link_token not in notice.body
    assert notice.link_token in services.notice_printable(notice)
    # The complainant is not told "notified", and the fact is false.
    assert _notice(posted, "progress", "complainant").status == Notice.Status.HELD
    services.notices_retry()
    assert _notice(posted, "progress", "complainant").status == Notice.Status.HELD
    assert services.facts(posted)["respondent_notified"] is False
    # The answer deadline waits for the delivery: the clock never expires it.
    answer = posted.deadlines.get(name="answer")
    assert answer.waits_for_delivery
    counts = services.deadlines_tick(today=TODAY() + dt.timedelta(days=90))
    answer.refresh_from_db()
    assert counts["deadlines passed"] == 0 and answer.running
    posted.refresh_from_db()
    assert posted.state == "respondent_notified"


def test_recording_a_delivery_by_post_starts_the_answer_deadline_and_tells_the_complainant(
    posted, csec
):
    notice = _notice(posted, "allegations")
    # Made a week ago, posted, received two days ago.
    Notice.objects.filter(pk=notice.pk).update(created_at=timezone.now() - dt.timedelta(days=7))
    on = TODAY() - dt.timedelta(days=2)
    services.notice_delivery_record(
        case=posted,
        notice_id=notice.pk,
        means="registered_post",
        on=on,
        note="Tracking RR123",
        proof=("receipt.pdf", PDF),
        acting_user=csec.chair,
    )
    notice.refresh_from_db()
    assert (notice.status, notice.delivered_on, notice.delivery_means) == (
        Notice.Status.DELIVERED,
        on,
        "registered_post",
    )
    assert notice.delivery_note == "Tracking RR123" and notice.link_token == ""
    proof = notice.delivery_proof
    assert (proof.kind, proof.visibility) == ("delivery_proof", Document.Visibility.INTERNAL)
    answer = posted.deadlines.get(name="answer")
    assert not answer.waits_for_delivery
    assert (answer.starts_on, answer.due_on) == (on, on + dt.timedelta(days=30))
    assert services.facts(posted)["respondent_notified"] is True
    assert _notice(posted, "progress", "complainant").status == Notice.Status.PENDING
    event = Event.objects.filter(action="case.notice_delivered").latest("seq")
    assert event.data["means"] == "registered_post" and event.data["proof"] == "receipt.pdf"


def test_a_delivery_is_refused_with_every_reason_and_by_other_roles(posted, csec):
    notice = _notice(posted, "allegations")
    with pytest.raises(CaseRefused) as refused:
        services.notice_delivery_record(
            case=posted,
            notice_id=notice.pk,
            means="pigeon",
            on=TODAY() + dt.timedelta(days=1),
            acting_user=csec.chair,
        )
    assert len(refused.value.problems) == 2
    with pytest.raises(CaseRefused):
        services.notice_delivery_record(
            case=posted, notice_id=notice.pk, means="post", on=TODAY(), acting_user=csec.committee
        )
    services.notice_delivery_record(
        case=posted, notice_id=notice.pk, means="hand", on=TODAY(), acting_user=csec.staff
    )
    with pytest.raises(CaseRefused, match="no delivery to record"):
        services.notice_delivery_record(
            case=posted, notice_id=notice.pk, means="post", on=TODAY(), acting_user=csec.staff
        )


def test_an_email_sent_is_the_delivery(csec):
    case = file_case(csec, respondent_agency=csec.non_member_agency)
    take(case, "acknowledge", csec.chair)
    case = take(case, "notify_agency", csec.chair)
    assert case.deadlines.get(name="answer").waits_for_delivery
    assert _notice(case, "progress", "complainant").status == Notice.Status.HELD
    services.notices_retry()
    respondent = _notice(case, "allegations")
    assert (respondent.status, respondent.delivered_on, respondent.delivery_means) == (
        Notice.Status.SENT,
        TODAY(),
        "email",
    )
    assert not case.deadlines.get(name="answer").waits_for_delivery
    # Released and queued when the respondent's went out; the queue (here, the retry) sends it.
    assert _notice(case, "progress", "complainant").status == Notice.Status.PENDING
    services.notices_retry()
    assert _notice(case, "progress", "complainant").status == Notice.Status.SENT
    assert services.facts(case)["respondent_notified"] is True


def test_resend_without_email_makes_a_new_notice_to_deliver(posted, csec):
    first = _notice(posted, "allegations")
    (again,) = services.respondent_notice_resend(case=posted, acting_user=csec.chair)
    assert again.status == Notice.Status.TO_DELIVER and again.pk != first.pk
    assert again.link_token and again.link_token != first.link_token


# --- the staff pages --------------------------------------------------------------------------


def _case_url(case, suffix=""):
    return f"/staff/{case.organization.slug}/cases/{case.reference}/{suffix}"


def test_the_case_page_offers_to_print_and_record_the_delivery(client, posted, csec):
    notice = _notice(posted, "allegations")
    client.force_login(csec.chair)
    page = client.get(_case_url(posted)).content.decode()
    assert "Record delivery" in page and "waiting for delivery" in page
    printed = client.get(_case_url(posted, f"notices/{notice.pk}/print")).content.decode()
    assert notice.link_token in printed
    url = _case_url(posted, f"notices/{notice.pk}/delivery")
    bad = client.post(url, {"version": posted.version, "on": "", "means": "pigeon"})
    assert bad.status_code == 400 and "error-summary" in bad.content.decode()
    proof = SimpleUploadedFile("receipt.pdf", PDF, content_type="application/pdf")
    done = client.post(
        url,
        {"version": posted.version, "on": TODAY().isoformat(), "means": "post", "proof": proof},
    )
    assert done.status_code == 302
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DELIVERED and notice.delivery_proof is not None


def test_other_roles_may_not_record_a_delivery(client, posted, csec):
    notice = _notice(posted, "allegations")
    client.force_login(csec.committee)
    url = _case_url(posted, f"notices/{notice.pk}/delivery")
    assert client.get(url).status_code == 403
    assert client.get(_case_url(posted, f"notices/{notice.pk}/print")).status_code == 403
    services.recusal_record(
        case=posted, user=csec.chair, reason="Conflict.", acting_user=csec.staff
    )
    client.force_login(csec.chair)
    assert client.get(url).status_code == 404  # recused: the case does not exist for them


# --- the CLI ----------------------------------------------------------------------------------


def test_the_cli_records_a_delivery(posted, csec, tmp_path, capsys):
    notice = _notice(posted, "allegations")
    proof = tmp_path / "receipt.pdf"
    proof.write_bytes(PDF)
    call_command(
        "cases",
        "delivered",
        posted.reference,
        "--notice",
        str(notice.pk),
        "--means",
        "post",
        "--on",
        TODAY().isoformat(),
        "--proof",
        str(proof),
        "--as",
        csec.chair.username,
    )
    assert "delivered on" in capsys.readouterr().out
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DELIVERED


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--means", "pigeon", "--on", "2026-01-01"], "means of delivery"),
        (["--means", "post", "--on", "yesterday"], "YYYY-MM-DD"),
    ],
)
def test_the_cli_refuses_in_one_line(posted, csec, args, reason):
    notice = _notice(posted, "allegations")
    with pytest.raises(CommandError, match=reason):
        call_command(
            "cases",
            "delivered",
            posted.reference,
            "--notice",
            str(notice.pk),
            *args,
            "--as",
            csec.chair.username,
        )


def test_the_cli_refuses_other_roles(posted, csec):
    notice = _notice(posted, "allegations")
    with pytest.raises(CommandError):
        call_command(
            "cases",
            "delivered",
            posted.reference,
            "--notice",
            str(notice.pk),
            "--means",
            "post",
            "--on",
            TODAY().isoformat(),
            "--as",
            csec.committee.username,
        )


# --- the API ----------------------------------------------------------------------------------


def _bearer(user, org) -> dict:
    from ombuds.register.tokens import token_create

    token = token_create(user=user, organization=org, name="deliveries")[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_api_lists_notices_and_records_a_delivery(client, posted, csec):
    import base64

    notice = _notice(posted, "allegations")
    headers = _bearer(csec.staff, csec.org)
    base = f"/api/v1/bodies/{csec.org.slug}/cases/{posted.reference}/notices"
    listed = client.get(base, **headers).json()
    assert {n["number"]: n["status"] for n in listed}[notice.pk] == "to_deliver"
    body = {
        "means": "pigeon",
        "on": (TODAY() + dt.timedelta(days=1)).isoformat(),
        "expected_version": posted.version,
    }
    bad = client.post(
        f"{base}/{notice.pk}/delivery", body, content_type="application/json", **headers
    )
    assert bad.status_code == 400 and "means of delivery" in bad.json()["detail"]
    stale = dict(body, means="post", on=TODAY().isoformat(), expected_version=posted.version - 1)
    assert (
        client.post(
            f"{base}/{notice.pk}/delivery", stale, content_type="application/json", **headers
        ).status_code
        == 409
    )
    good = dict(
        stale,
        expected_version=posted.version,
        proof_name="receipt.pdf",
        proof_base64=base64.b64encode(PDF).decode(),
    )
    done = client.post(
        f"{base}/{notice.pk}/delivery", good, content_type="application/json", **headers
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "delivered" and done.json()["proof"] == "receipt.pdf"
    assert client.post(
        f"{base}/999999/delivery", good, content_type="application/json", **headers
    ).status_code in (404, 409)


def test_the_api_refuses_other_roles_and_recused_people(client, posted, csec):
    notice = _notice(posted, "allegations")
    base = f"/api/v1/bodies/{csec.org.slug}/cases/{posted.reference}/notices"
    body = {"means": "post", "on": TODAY().isoformat(), "expected_version": posted.version}
    # Tokens are for administrators and staff: a recused administrator is not told the case exists.
    BodyRole.objects.get_or_create(user=csec.committee, organization=csec.org, role="administrator")
    services.recusal_record(
        case=posted, user=csec.committee, reason="Conflict.", acting_user=csec.chair
    )
    recused = _bearer(csec.committee, csec.org)
    assert client.get(base, **recused).status_code == 404
    assert (
        client.post(
            f"{base}/{notice.pk}/delivery", body, content_type="application/json", **recused
        ).status_code
        == 404
    )


def test_a_deadline_waiting_for_delivery_is_not_offered_more_time_until_delivered(posted, csec):
    # What the procedure's more-time steps see: the answer deadline has not started yet.
    assert "answer" not in services.running_deadlines(posted)
    assert posted.deadlines.get(name="answer").running
    services.notice_delivery_record(
        case=posted,
        notice_id=_notice(posted, "allegations").pk,
        means="hand",
        on=TODAY(),
        acting_user=csec.chair,
    )
    assert services.running_deadlines(posted)["answer"] == TODAY() + dt.timedelta(days=30)
