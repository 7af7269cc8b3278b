"""The staff case page opens with where the case is (the procedure's stages, from the procedure
file) and what the viewer can do now; long sections fold; a step sent back with problems lists
them at the top, which takes the focus, and the title says "Error:"; the page's own words."""

from __future__ import annotations

import re

import pytest

from ombuds.cases import services
from tests.cases.conftest import PDF, file_case, take

pytestmark = pytest.mark.django_db


def _url(case) -> str:
    return f"/staff/{case.organization.slug}/cases/{case.reference}/"


def test_the_page_opens_with_the_stepper_and_what_can_be_done_now(client, csec):
    case = take(file_case(csec), "acknowledge", csec.chair)
    client.force_login(csec.chair)
    html = client.get(_url(case)).content.decode()
    stepper = html.split('<ol class="stepper stepper-line">')[1].split("</ol>")[0]
    assert stepper.count("<li") >= 3
    current = re.findall(r'<li class="stage-current" aria-current="step">(.*?)</li>', stepper)
    assert len(current) == 1 and "stage-done" in stepper.split("stage-current")[0]
    where, now = html.index('id="where-h"'), html.index('id="steps"')
    assert where < now < html.index('id="parties"') < html.index('id="timeline-h"')
    # Long sections fold; the parties and the allegations stay open.
    for heading in ("deadlines", "documents", "messages-h", "notices-h", "timeline-h"):
        assert re.search(rf'<details class="fold"><summary><h2 id="{heading}">', html), heading
    assert '<details class="fold" open><summary><h2 id="parties">' in html
    assert "Handled by <strong>" in html  # the chair's first step made the case hers
    assert "<title>CSEC" in html and "Error:" not in html


def test_a_failed_step_lists_its_problems_at_the_top_and_says_error(client, csec):
    case = file_case(csec)
    client.force_login(csec.chair)
    response = client.post(
        _url(case),
        {"action": "step:dismiss", "step-dismiss-version": case.version},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r"<title>Error: ", html)
    top = html.index('aria-labelledby="page-errors-title"')
    assert top < html.index('id="where-h"') < html.index('id="steps"')
    summary = html[top : html.index("</div>", top)]
    assert 'href="#id_step-dismiss-reasons"' in summary and "Reasons" in summary
    assert "ombuds/site.js" in html  # the script that gives the summary the focus


def test_a_case_waiting_on_others_says_what_it_waits_for(client, csec):
    case = take(file_case(csec), "acknowledge", csec.chair)
    client.force_login(csec.committee)
    html = client.get(_url(case)).content.decode()
    assert "Nothing is open to you now: another role acts next" in html
    assert "waits for give" not in html.lower()


def test_documents_and_messages_read_as_words_not_names(client, csec):
    case = take(file_case(csec), "acknowledge", csec.chair)
    case = take(case, "request_efforts", csec.chair, message="Please send your proof.")
    case = take(case, "efforts_received", csec.chair, files={"efforts_proof": ("p.pdf", PDF)})
    services.message_post(
        case=case,
        audience="respondent",
        body="We deny it.",
        actor_label="respondent (link)",
        from_party=True,
    )
    client.force_login(csec.chair)
    html = client.get(_url(case)).content.decode()
    documents = html.split('<h2 id="documents">')[1].split("</details>")[0]
    assert "proof of efforts to resolve ·" in documents and "efforts_proof" not in documents
    assert "The respondent, through their link:" in html
    assert "(link) (party)" not in html
