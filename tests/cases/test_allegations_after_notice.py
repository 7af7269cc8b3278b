"""Allegations added after the respondent was notified (issue 13, item 5): they are notified with
an answer deadline of their own; the respondent's answer meets their answer deadlines and their
page acknowledges it, offering no more time and no deadline that no longer applies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ombuds.cases import services
from ombuds.cases.models import Notice
from ombuds.cases.procedure import PROCEDURES_DIR, ProcedureInvalid, load, shipped
from tests.cases.conftest import file_case, take

TODAY = timezone.localdate


def _cooperating(espcc):
    case = file_case(espcc, citations=["3.2"])
    take(case, "acknowledge", espcc.staff)
    case = take(case, "request_cooperation", espcc.staff)
    services.notices_retry()  # delivered by email
    return case


def _add_non_cooperation(case, espcc):
    return services.allegation_add(
        case=case,
        summary="Did not provide the records ESPCC asked for.",
        provisions=[espcc.provision("2.4")],
        source="non-cooperation",
        acting_user=espcc.staff,
    )


def _page(client, case) -> str:
    token = services.respondent_link_issue(case)
    return client.get(reverse("cases:respondent", kwargs={"token": token})).content.decode()


def test_an_allegation_added_after_notice_is_notified_with_its_own_deadline(espcc):
    case = _cooperating(espcc)
    added = _add_non_cooperation(case, espcc)
    notice = case.notices.get(template="allegations_added")
    assert notice.recipient_role == "respondent" and notice.status == Notice.Status.PENDING
    assert "Did not provide the records" in notice.body and "within 30 days" in notice.body
    deadline = case.deadlines.get(name=f"cooperation.added-{added.position}")
    assert deadline.covers == [added.position] and deadline.waits_for_delivery
    services.notices_retry()
    deadline.refresh_from_db()
    assert not deadline.waits_for_delivery
    assert deadline.due_on == TODAY() + dt.timedelta(days=30)


def test_before_notice_an_added_allegation_sends_nothing(espcc):
    case = file_case(espcc, citations=["3.2"])
    _add_non_cooperation(case, espcc)
    assert not case.notices.filter(recipient_role="respondent").exists()
    assert not case.deadlines.filter(name__contains="added").exists()


def test_the_respondents_page_lists_what_each_deadline_covers(client, espcc):
    case = _cooperating(espcc)
    added = _add_non_cooperation(case, espcc)
    services.notices_retry()
    page = _page(client, case)
    assert "For allegation 1." in page and f"For allegation {added.position}." in page


def test_an_answer_is_acknowledged_and_more_time_is_no_longer_offered(client, espcc):
    case = _cooperating(espcc)
    before = _page(client, case)
    assert "Ask for more time" in before and "Your answer arrived" not in before
    services.respondent_answer(case=case, body="Here is my account.", files=[])
    case.refresh_from_db()
    assert case.deadlines.get(name="cooperation").met_at is not None
    after = _page(client, case)
    assert "Your answer arrived on" in after
    assert "Ask for more time" not in after and "The holder's cooperation" not in after
    assert "supplement" in after
    services.respondent_answer(case=case, body="One more thing.", files=[])
    last = case.messages.order_by("-pk").first()
    assert "supplement" in last.author_label


def test_an_allegation_added_after_the_answer_can_be_answered_again(client, espcc):
    case = _cooperating(espcc)
    services.respondent_answer(case=case, body="Here is my account.", files=[])
    added = _add_non_cooperation(case, espcc)
    services.notices_retry()
    page = _page(client, case)
    assert f"For allegation {added.position}." in page and "Your answer</h2>" in page
    services.respondent_answer(case=case, body="About the records.", files=[])
    assert case.deadlines.get(name=f"cooperation.added-{added.position}").met_at is not None
    assert "supplement" not in case.messages.order_by("-pk").first().author_label


def test_the_answer_deadline_must_be_a_deadline_of_the_file():
    for procedure in shipped().values():
        assert procedure.declared.answer_deadline in procedure.deadlines
    text = (PROCEDURES_DIR / "csec-article-5.toml").read_text()
    with pytest.raises(ProcedureInvalid, match="answer_deadline: no deadline called 'reply'"):
        load(text.replace('answer_deadline = "answer"', 'answer_deadline = "reply"'))
