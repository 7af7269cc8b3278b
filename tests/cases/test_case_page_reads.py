"""The staff case page answers the procedure's facts, and previews the respondent's notice, from
what it reads anyway (the case's allegations, notices, deadlines and sanction choice): at every
stage of a case, the same answers and the same words as when they are read afresh."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ombuds.cases import selectors, services
from ombuds.cases.facts import facts
from ombuds.cases.notices import Read
from ombuds.cases.services.notifications import respondent_notice_preview
from tests.cases.conftest import end_appeal_window, file_case, take

pytestmark = pytest.mark.django_db

CHAIR = {"ethics_chair"}


def _same_as_read_afresh(case) -> dict[str, bool]:
    case.refresh_from_db()
    page = selectors.case_page(case, CHAIR)
    assert page.facts == facts(case)
    read = Read(
        deadlines=page.deadlines, allegations=page.allegations, sanction_choice=page.sanction_choice
    )
    for step in page.procedure.transitions:
        with_read = respondent_notice_preview(case, step, page.facts, read)
        assert with_read == respondent_notice_preview(case, step)
    return page.facts


def test_the_page_answers_every_fact_as_the_case_read_afresh_does(csec):
    case = file_case(csec)
    _same_as_read_afresh(case)
    take(case, "acknowledge", csec.chair)
    take(case, "waive_efforts", csec.chair, waiver_reason="The agency would not answer.")
    take(case, "notify_member", csec.chair)
    assert not _same_as_read_afresh(case)["respondent_notified"]  # made, not yet delivered
    services.notices_retry()
    assert _same_as_read_afresh(case)["respondent_notified"]
    services.respondent_answer(case=case, body="We disagree.", files=[])
    take(case, "investigate", csec.chair)
    take(case, "to_committee", csec.chair, summary="Records confirm it.")
    assert not _same_as_read_afresh(case)["all_determined"]
    for allegation in case.allegations.all():
        services.determination_record(
            allegation=allegation,
            determination="upheld",
            reasons="Funds were held for 94 days.",
            acting_user=csec.committee,
        )
    answered = _same_as_read_afresh(case)
    assert answered["all_determined"] and answered["any_upheld"]
    take(case, "uphold", csec.committee)
    assert not _same_as_read_afresh(case)["sanction_chosen"]
    services.sanction_choose(
        case=case,
        kind="censure",
        summary="Public censure for holding client funds.",
        effective_from=timezone.localdate(),
        publication="public",
        acting_user=csec.committee,
    )
    assert _same_as_read_afresh(case)["sanction_chosen"]
    take(case, "impose_sanction", csec.committee)
    _same_as_read_afresh(case)
    case = end_appeal_window(case)  # the sanction on the register: none left to impose
    assert not _same_as_read_afresh(case)["sanction_chosen"]
