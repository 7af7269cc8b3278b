"""A candidate applies for a credential on their phone: the application opens their account through
the emailed link, they fill it in with a document, confirm the declarations and the candidate
agreement, and see where it stands; staff find them eligible on their page; the vendor's results
file passes them, and the credential is on the public register. No page scrolls sideways at 390px.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from ombuds.bodies.models import BodyRole
from ombuds.certification import services
from ombuds.certification.models import Application
from ombuds.codes import services as codes
from ombuds.register import services as register
from ombuds.register.models import CredentialProgram
from tests.certification.conftest import PDF, REQUIREMENTS
from tests.conftest import small_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 7"


def _fits_its_width(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


@pytest.fixture
def guild(django_user_model):
    body = register.organization_ensure(slug="guild", name="Guild of Examples", acronym="GOE")
    codes.code_version_import(
        organization=body, parsed=small_code(), source=b"v1", label="v1", publish=True
    )
    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )
    services.requirements_install(organization=body, text=REQUIREMENTS)
    staff = django_user_model.objects.create_user("sam", "sam@example.org", PASSWORD)
    BodyRole.objects.create(user=staff, organization=body, role="staff")
    return body, program, staff


def test_a_candidate_applies_on_their_phone_and_is_certified(
    phone, page, live_server, guild, tmp_path
):
    _body, program, staff = guild
    base = live_server.url
    phone.goto(f"{base}/guild/certification/")
    _fits_its_width(phone)
    phone.get_by_role("link", name="Apply for CGP").click()
    phone.get_by_label("Given name").fill("Rosa")
    phone.get_by_label("Family name").fill("Parks-Diaz")
    phone.get_by_label("Email address").fill("rosa@example.org")
    phone.get_by_role("button", name="Send me the link").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")

    link = re.search(r"http\S+/accounts/invitation/\S+/", mail.outbox[-1].body).group(0)
    phone.goto(link.replace("http://127.0.0.1:8000", base))
    phone.get_by_label("Choose a password").fill(PASSWORD)
    phone.get_by_label("Type the password again").fill(PASSWORD)
    phone.get_by_role("button", name="Open my account").click()
    phone.get_by_role("link", name="Your applications for certification").click()
    phone.get_by_role("link", name=re.compile(r"CGP-A-")).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Certified Guild Practitioner")
    _fits_its_width(phone)

    phone.get_by_label("Degree").check()
    phone.get_by_label("Education: where and when").fill("BA, Guild College, 2019")
    phone.get_by_label("Practice: hours").fill("150")
    phone.get_by_label("Practice: where and when").fill("Acme Practice, 2020-2024")
    diploma = Path(tmp_path) / "diploma.pdf"
    diploma.write_bytes(PDF)
    phone.get_by_label("Education: add a document (required)").set_input_files(str(diploma))
    phone.get_by_role("button", name="Save").click()
    expect(phone.get_by_role("status")).to_contain_text("Saved")
    phone.get_by_role("link", name="Review the declarations and submit").click()
    _fits_its_width(phone)
    phone.get_by_role("button", name="Submit my application").click()
    expect(phone.locator(".error-summary")).to_be_focused()
    expect(phone.locator(".error-summary")).to_contain_text("Confirm the declaration")
    phone.get_by_label(re.compile("What I say here is true")).check()
    phone.get_by_label(re.compile("I keep the examination confidential")).check()
    phone.get_by_role("button", name="Submit my application").click()
    expect(phone.locator(".status")).to_contain_text("Submitted: waiting for review")

    application = Application.objects.get(person__email="rosa@example.org")
    assert application.code_version.label == "v1" and application.code_sha256
    page.goto(f"{base}/accounts/login/?next=/staff/guild/certification/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=application.reference).click()
    page.get_by_label("Complete: decide eligibility next").check()
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_label("Eligible to sit the examination").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("status")).to_contain_text("The candidate is told")

    today = dt.date.today()
    services.window_save(
        program=program,
        values={"code": "w1", "name": "W1", "opens_on": today, "closes_on": today},
        acting_user=staff,
    )
    page.goto(f"{base}/staff/guild/certification/windows/")
    page.get_by_role("link", name="W1").click()
    results = Path(tmp_path) / "results.csv"
    results.write_text(f"reference,window,sat_on,score\n{application.reference},w1,{today},82\n")
    page.get_by_label("Results file (CSV)").set_input_files(str(results))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("1 passed")

    phone.reload()
    expect(phone.locator(".status")).to_contain_text("Certified")
    phone.get_by_role("link", name=re.compile("CGP CGP-00001")).click()
    expect(phone.locator("main")).to_contain_text("Rosa Parks-Diaz")
    _fits_its_width(phone)
