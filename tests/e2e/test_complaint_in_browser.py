"""A complaint on a phone: a member of the public complains anonymously about a CSEC agency, keeps
the receipt code, and follows the complaint with it and the passphrase. Keyboard and labels only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ombuds.cases.models import Case
from ombuds.register.models import Agency

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSPHRASE = "blue kettle on the stove"
RECEIPT = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


def _type(page, label, text: str) -> None:
    """Tab-free typing into a field found by its label, as a keyboard user would."""
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.type(text)


def test_an_anonymous_complaint_about_a_csec_agency_followed_on_a_phone(phone, live_server, demo):
    page = phone
    agency = Agency.objects.filter(organization__slug="csec").order_by("external_id").first()

    page.goto(f"{live_server.url}/csec/")
    page.get_by_role("link", name="Complain").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a complaint to CSEC")
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Anonymity, chosen with the keyboard: the name fields go, the passphrase fields come.
    named = page.get_by_role("radio", name="I give my name")
    expect(named).to_be_checked()
    named.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="I want to stay anonymous")).to_be_checked()
    expect(page.get_by_label("Your name", exact=True)).to_be_hidden()
    _type(page, "Choose a passphrase", PASSPHRASE)
    _type(page, "The passphrase again", PASSPHRASE)
    page.get_by_role("group", name="You are").get_by_label("Member of the public").check()

    about = page.get_by_role("group", name="The complaint is about")
    expect(about.get_by_role("radio", name="An agency or company")).to_be_checked()
    _type(page, "Their name", agency.trade_names[0])
    _type(page, "What happened", "The agency took <b>twice</b> the fee it agreed in writing.")

    # The provision picker: Enter in its filter does not send the form; the list narrows.
    finder = page.get_by_label("Find a provision by its number or words")
    finder.focus()
    page.keyboard.type("fee")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/csec/complain/")
    expect(page.get_by_role("status").filter(has_text="provisions shown")).to_be_visible()
    provisions = page.get_by_role("group", name="Which parts of the code you think were broken")
    first = provisions.get_by_role("checkbox").filter(visible=True).first
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()

    page.get_by_role("button", name="Send the complaint").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your complaint has been received")
    receipt_region = page.get_by_role("region", name="Your receipt code")
    receipt = receipt_region.locator("strong").first.inner_text().strip()
    assert RECEIPT.match(receipt), receipt
    case = Case.objects.get(receipt_code=receipt)
    assert case.anonymous and case.respondent_agency == agency
    assert case.allegations.get().provisions.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Copy and print are offered (scripts run); until the code is kept, leaving the page asks
    # first: here the complainant says they noted it.
    expect(receipt_region.get_by_role("button", name="Copy the code")).to_be_visible()
    expect(receipt_region.get_by_role("button", name="Print this page")).to_be_visible()
    receipt_region.get_by_label("I have noted my receipt code").check()

    # A reload soon after shows it again.
    page.reload()
    expect(page.get_by_role("region", name="Your receipt code")).to_contain_text(receipt)
    page.get_by_label("I have noted my receipt code").check()

    page.get_by_role("link", name="follow your complaint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow your complaint")
    # The code typed as a person might copy it: lower case, spaces for the dashes.
    _type(page, "Receipt code", receipt.lower().replace("-", " "))
    _type(page, "Passphrase", PASSPHRASE)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Complaint {case.reference}")
    # Where it is: the state's label, under its term.
    expect(page.get_by_role("definition").filter(has_text=re.compile(r"^Received"))).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text=agency.trade_names[0])).to_be_visible()

    _type(page, "Your message", "I can send the signed agreement.")
    page.get_by_role("button", name="Send the message").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your message was sent.")
    expect(page.get_by_role("region", name="Messages")).to_contain_text(
        "I can send the signed agreement."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_problems_are_listed_and_lead_to_their_fields_on_a_phone(phone, live_server, demo):
    page = phone
    cases = Case.objects.count()  # the demo's own
    page.goto(f"{live_server.url}/csec/complain/")
    page.get_by_role("radio", name="I want to stay anonymous").check()
    _type(page, "Choose a passphrase", "short")
    _type(page, "The passphrase again", "shorter")
    page.get_by_role("button", name="Send the complaint").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("at least 10 characters")
    expect(summary).to_contain_text("The two passphrases differ.")
    expect(summary).to_contain_text("Say who the complaint is about.")
    expect(summary).to_contain_text("Say what happened.")
    summary.get_by_role("link", name=re.compile("^What happened")).click()
    expect(page.get_by_label("What happened", exact=True)).to_be_focused()
    assert Case.objects.count() == cases
