"""A CSEC case in a browser, as the Chair: from receipt, through the proof-of-efforts gate (Article 5),
the agency's answer and the committee's decision, to a public censure that the public register then
shows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ombuds.cases import services
from ombuds.cases.models import Case, Notice
from ombuds.register.models import Membership
from tests.cases.conftest import end_appeal_window

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _step(page, label: str):
    """The form of one step on the case page."""
    return page.locator("form.step").filter(has=page.get_by_role("heading", name=label, exact=True))


def _take(page, label: str, **fields: str) -> None:
    form = _step(page, label)
    for name, value in fields.items():
        form.get_by_label(name).fill(value)
    form.get_by_role("button", name=label).click()
    expect(page.get_by_role("status").first).to_contain_text(f"Done: {label}")


def test_the_chair_carries_a_case_from_receipt_to_a_public_censure(page, live_server, demo):
    password = demo.password
    membership = (
        Membership.objects.filter(organization__slug="csec", agency__isnull=False, status="active")
        .exclude(agency__cases__isnull=False)
        .select_related("agency")
        .order_by("number")
        .first()
    )
    agency = membership.agency
    # A client complains through the public form (the complaint form has its own browser test).
    filed = services.case_file(
        organization=membership.organization,
        complaint=services.Complaint(
            what_happened="My support payments were held back for three months.",
            respondent_name=agency.legal_name,
            respondent_agency=agency,
            complainant_name="Ruth Adeyemi",
            complainant_email="ruth@example.org",
            complainant_relation="client",
        ),
    )
    reference = filed.case.reference

    page.goto(f"{live_server.url}/accounts/login/?next=/staff/csec/cases/")
    page.get_by_label("Username").fill("csec-chair")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CSEC cases")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)

    _take(page, "Acknowledge and review")
    # Article 5: a member agency is notified only once proof of efforts to resolve is given.
    expect(_step(page, "Notify the member agency")).to_have_count(0)
    _take(
        page,
        "Ask for proof of efforts to resolve",
        **{"What the complainant is asked for": "Copies of your letters to the agency, please."},
    )
    form = _step(page, "Record the proof of efforts")
    form.get_by_label("Proof of efforts to resolve").set_input_files(
        files=[
            {"name": "letters.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
        ]
    )
    form.get_by_role("button", name="Record the proof of efforts").click()
    expect(page.get_by_role("status").first).to_contain_text("Done: Record the proof of efforts")
    # The complainant did not consent: their own words are not sent, the Chair drafts allegation 1
    # (the notify step shows what the agency will receive).
    page.get_by_text("Edit or redact allegation 1").click()
    page.get_by_label("Allegation 1, as the respondent reads it").fill(
        "The agency held a client's support payments for 94 days."
    )
    page.get_by_role("button", name="Save allegation 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Allegation 1 changed")
    expect(_step(page, "Notify the member agency")).to_contain_text(
        "The agency held a client's support payments for 94 days."
    )
    _take(page, "Notify the member agency")

    # The agency answers through the personal link sent with the notice.
    notice = Notice.objects.get(case__reference=reference, template="allegations")
    link = f"/respond/{notice.link_token}/"  # what the agency's email carries
    chair_page = page.url
    page.goto(f"{live_server.url}{link}")
    expect(page.get_by_text("Not shared")).to_be_visible()  # no consent: the complainant is hidden
    page.get_by_role("textbox", name=re.compile("^Your answer")).fill(
        "We paid late because of a bank error, since corrected."
    )
    page.get_by_role("button", name="Send your answer").click()
    expect(page.get_by_role("status").first).to_contain_text("Your answer was sent")

    page.goto(chair_page)
    _take(page, "Open the investigation")
    _take(
        page,
        "Put the case to the Ethics Committee",
        **{"Summary of the investigation": "Bank records confirm payments held for 94 days."},
    )
    decide = page.get_by_role("group", name="Decide allegation 1")
    decide.get_by_label("Upheld", exact=True).check()
    decide.get_by_label("Reasons").fill("Payments were held for 94 days.")
    page.get_by_role("button", name="Record the determination").click()
    _take(page, "Allegations upheld: go on to the sanction")

    page.get_by_label("Public censure").check()
    page.get_by_label("Summary (shown publicly when the sanction is public)").fill(
        "Public censure for holding client funds back for three months."
    )
    page.get_by_label("In effect from").fill(
        Case.objects.get(reference=reference).filed_at.date().isoformat()
    )
    page.get_by_role("group", name="Publication").get_by_label("Public", exact=True).check()
    page.get_by_role("button", name="Choose this sanction").click()
    _take(page, "Impose the sanction")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decided, open to appeal")

    # Open to appeal, the censure is not on the register yet; it is once the period ends unappealed.
    page.goto(f"{live_server.url}/csec/register/members/{membership.number}/")
    expect(page.get_by_text("holding client funds back")).to_have_count(0)
    end_appeal_window(Case.objects.get(reference=reference))

    # The public register shows the censure on the agency's membership.
    page.goto(f"{live_server.url}/csec/register/members/{membership.number}/")
    sanctions = page.get_by_role("region", name="Public sanctions")
    expect(sanctions).to_contain_text("Public censure")
    expect(sanctions).to_contain_text("holding client funds back")
