"""A named complainant on a phone: complains about a CSEC member agency, opens the personal link the
receipt email carries, sends the proof of efforts the Chair asks for from their own page, and
follows the stepper while the Chair (through the services) takes the case to the decision."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from ombuds.cases import services
from ombuds.cases.models import Case
from ombuds.register.models import Membership

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "complainant-page.png"
PDF = b"%PDF-1.4\n%%EOF\n"


def _link(case: Case) -> str:
    """The path of the personal link the receipt email carries."""
    for email in mail.outbox:
        found = re.search(r"https?://[^/\s]+(/\S+/complain/yours/[\w-]+/)", email.body)
        if found and case.reference in email.subject:
            return found.group(1)  # the site's address in the email is OMBUDS_BASE_URL
    raise AssertionError("no receipt email with a personal link")


def _current(page):
    return page.locator('ol.stepper li[aria-current="step"]')


def _chair_to_committee(case: Case, chair) -> Case:
    """The Chair's part after the proof: the allegation drafted, the agency notified, its answer,
    the investigation and the committee."""
    allegation = case.allegations.get()
    services.allegation_edit(
        case=case,
        allegation=allegation,
        text="The agency held a client's support payments for 94 days.",
        provisions=list(allegation.provisions.all()),
        expected_version=None,
        acting_user=chair,
    )
    case = services.case_step(case=case, step="notify_member", acting_user=chair)
    services.notices_retry()  # the notice goes out by email: that is its delivery
    services.respondent_answer(case=case, body="A bank error, since corrected.", files=[])
    case = services.case_step(case=case, step="investigate", acting_user=chair)
    return services.case_step(
        case=case,
        step="to_committee",
        acting_user=chair,
        inputs={"summary": "Bank records confirm the payments were held."},
    )


def test_a_named_complainant_sends_proof_and_follows_the_stepper_to_the_decision(
    phone, live_server, demo, django_user_model
):
    page = phone
    membership = (
        Membership.objects.filter(organization__slug="csec", agency__isnull=False, status="active")
        .exclude(agency__cases__isnull=False)
        .select_related("agency")
        .order_by("number")
        .first()
    )
    agency = membership.agency
    chair = django_user_model.objects.get(username="csec-chair")

    page.goto(f"{live_server.url}/csec/complain/")
    page.get_by_label("Your name", exact=True).fill("Ruth Adeyemi")
    page.get_by_label(re.compile("^Your email address")).fill("ruth@example.org")
    page.get_by_role("group", name="You are").get_by_label("Client of the respondent").check()
    page.get_by_label("Their name", exact=True).fill(agency.legal_name)
    page.get_by_label(re.compile("^Their credential or membership number")).fill(membership.number)
    page.get_by_label("What happened", exact=True).fill(
        "My support payments were held back for three months."
    )
    page.get_by_role("button", name="Send the complaint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your complaint has been received")
    case = Case.objects.get(complainant_relation="client", respondent_agency=agency)
    assert not case.anonymous

    # The receipt, sent from the outbox, carries the personal link.
    services.notices_retry()
    link = _link(case)
    page.goto(f"{live_server.url}{link}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Complaint {case.reference}")
    expect(_current(page)).to_contain_text("Received")
    expect(page.get_by_text("the CSEC Ethics Committee Chair")).to_be_visible()

    # The Chair acknowledges it and asks for proof of efforts (CSEC Article 5).
    case = services.case_step(case=case, step="acknowledge", acting_user=chair)
    case = services.case_step(
        case=case,
        step="request_efforts",
        acting_user=chair,
        inputs={"message": "Copies of your letters to the agency, please."},
    )
    page.reload()
    expect(_current(page)).to_contain_text("Review")
    proof = page.get_by_role("region", name="Send your proof of efforts")
    expect(proof).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if os.environ.get("OMBUDS_SHOTS"):  # the docs' screenshot, taken on request like the others
        page.screenshot(
            path=str(SCREENSHOT),
            full_page=True,
            clip={"x": 0, "y": 0, "width": 390, "height": 1700},
        )

    # A file that is not what it says is refused, with the summary focused.
    proof.get_by_label("Your proof of efforts").set_input_files(
        files=[{"name": "letters.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00"}]
    )
    proof.get_by_role("button", name="Send your proof").click()
    expect(page.get_by_role("alert")).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text("letters.pdf")

    proof = page.get_by_role("region", name="Send your proof of efforts")
    proof.get_by_label("Your proof of efforts").set_input_files(
        files=[{"name": "letters.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    proof.get_by_label("A note for the Chair").fill("My two letters; no reply came.")
    proof.get_by_role("button", name="Send your proof").click()
    expect(page.get_by_role("status").first).to_contain_text("Your proof was sent")
    expect(page.get_by_role("region", name="Send your proof of efforts")).to_have_count(0)
    expect(page.get_by_role("region", name="What you sent")).to_contain_text("letters.pdf")

    case.refresh_from_db()
    assert case.state == "chair_review" and case.efforts_proven_at is not None
    assert case.documents.get(kind="efforts_proof").original_name == "letters.pdf"

    # The Chair goes on; the complainant's stepper follows to the decision.
    case = _chair_to_committee(case, chair)
    page.reload()
    expect(_current(page)).to_contain_text("Decision")
    expect(page.get_by_text("The Ethics Committee is deciding each allegation.")).to_be_visible()
    allegation = case.allegations.get()
    services.determination_record(
        allegation=allegation,
        determination="not_upheld",
        reasons="The delay was the bank's.",
        acting_user=chair,
    )
    services.case_step(
        case=case, step="not_upheld", acting_user=chair, inputs={"reasons": "Not upheld."}
    )
    services.notices_retry()  # the respondent's decision goes out: that is its delivery...
    services.notices_retry()  # ...which releases the complainant's, held until then
    page.reload()
    expect(_current(page)).to_contain_text("Closed")
    expect(page.locator("ol.stepper li.stage-done").filter(has_text="Decision")).to_have_count(1)
    expect(page.get_by_role("region", name="From CSEC")).to_contain_text("The decision in")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
