"""The members' own side in a browser: an employee of a member agency turns on a second factor,
signs in with it (a wrong code refused first), and attests to the new version of the body's code
on their phone; the agency's administrator sees the agency's coverage rise.

`test_members_screens_for_the_docs` (with OMBUDS_SHOTS=1) takes the screenshots in docs/screenshots.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.oath import hotp
from playwright.sync_api import Page, expect

from ombuds.codes import services as codes
from ombuds.members import attestations
from ombuds.register import services as register
from ombuds.register.models import Affiliation, Agency, MembershipType, Person
from tests.conftest import small_code
from tests.e2e.screen import fits_its_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple 7"
CAMPAIGN = f"{dt.date.today().year} code of conduct attestation"
STATEMENT = (
    "I have read, understand and agree to abide by all provisions of the CSEC Code of Ethical "
    "Conduct, version v2."
)


@dataclass
class World:
    agency: Agency
    admin: Person  # the agency's administrator (a principal, not asked to attest)
    member: Person  # an employee with an account: the one who attests
    colleague: Person  # an employee without an account yet


@pytest.fixture
def world(settings, django_user_model) -> World:
    """A CSEC-like body with v1 and then v2 of its code published, a member agency with its
    administrator and two employees, and a campaign asking the agency's staff to attest to v2."""
    settings.OMBUDS_REQUIRE_SECOND_FACTOR = True
    body = register.organization_ensure(
        slug="csec", name="Child Support Enforcement Council", acronym="CSEC"
    )
    for label, changed in (("v1", False), ("v2", True)):
        version, _ = codes.code_version_import(
            organization=body,
            parsed=small_code(title="CSEC Code of Ethical Conduct", changed=changed),
            source=label.encode(),
            label=label,
            publish=True,
        )
    agency = Agency.objects.create(
        organization=body,
        legal_name="Faithful Support Recovery LLC",
        email="office@faithful.example",
    )
    agency_type = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    membership = register.membership_create(
        organization=body, membership_type=agency_type, number="CSEC-017", agency=agency
    )
    register.membership_transition(
        membership=membership,
        to_status="active",
        effective_date=timezone.localdate(),
        reason="Admitted by the board",
        renewal_date=timezone.localdate() + dt.timedelta(days=365),
    )

    def person(given: str, family: str, role: str, *, account: bool) -> Person:
        email = f"{given}.{family}@faithful.example".lower()
        user = django_user_model.objects.create_user(email, email, PASSWORD) if account else None
        found = Person.objects.create(
            organization=body, given_name=given, family_name=family, email=email, user=user
        )
        register.affiliation_save(agency=agency, person=found, role=role)
        return found

    admin = person("Dana", "Okafor", Affiliation.Role.PRINCIPAL, account=True)
    Affiliation.objects.filter(person=admin, agency=agency).update(agency_admin=True)
    member = person("Mia", "Santos", Affiliation.Role.EMPLOYEE, account=True)
    colleague = person("Leo", "Brandt", Affiliation.Role.EMPLOYEE, account=False)
    attestations.campaign_start(
        organization=body,
        code_version=version,
        title=CAMPAIGN,
        audience="agency_staff",
        due_on=timezone.localdate() + dt.timedelta(days=30),
        statement=STATEMENT,
        reminder_days=[14, 3],
    )
    return World(agency=agency, admin=admin, member=member, colleague=colleague)


class Authenticator:
    """The member's authenticator app, holding the key typed from the setup page. Like the app, it
    shows one code per 30-second step; the test does not wait for the next step, so a code asked for
    within the step of the last one is the next step's (within the server's tolerance of one)."""

    def __init__(self, secret: str):
        compact = re.sub(r"\s", "", secret).upper()
        self.key = base64.b32decode(compact + "=" * (-len(compact) % 8))
        self.last_step = -1

    def code(self) -> str:
        step = max(int(time.time()) // 30, self.last_step + 1)
        self.last_step = step
        return f"{hotp(self.key, step):06d}"

    def wrong_code(self) -> str:
        """A code that no step near now gives (so it cannot be taken for a replayed one either)."""
        now = int(time.time()) // 30
        near = {f"{hotp(self.key, step):06d}" for step in range(now - 3, now + 4)}
        return next(code for code in ("314159", "271828", "161803") if code not in near)


def _sign_in(page: Page, base: str, person: Person, next_url: str = "/me/") -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Username").fill(person.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()


def _set_up_second_factor(page: Page) -> Authenticator:
    """From the account page, set up an authenticator app by typing in the key the page shows."""
    page.get_by_role("link", name="Set up a second factor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    fits_its_width(page)
    app = Authenticator(page.get_by_role("figure").locator("code").inner_text())
    page.get_by_label("Code from the app").fill(app.code())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("Your second factor is set up.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    fits_its_width(page)
    page.get_by_role("link", name="I have saved my codes: continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("Set up: you confirm each sign-in")).to_be_visible()
    return app


def _person_row(page: Page, person: Person):
    return page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile(f"^{person.full_name}"))
    )


def _coverage(page: Page):
    return page.get_by_role("listitem").filter(has_text=CAMPAIGN)


def test_a_member_attests_on_their_phone_and_their_agency_sees_coverage_rise(
    page, phone, live_server, world
):
    base = live_server.url

    # (a) The agency's administrator (no role on the body, no second factor) opens its people.
    _sign_in(page, base, world.admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your home")
    page.get_by_role("link", name="its people").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "People of Faithful Support Recovery LLC"
    )
    expect(_coverage(page)).to_contain_text("0 of 2 attested, 2 pending")
    expect(_person_row(page, world.member)).to_contain_text("Pending")
    expect(_person_row(page, world.colleague)).to_contain_text("Pending")
    expect(page.get_by_role("rowheader", name=re.compile("Dana Okafor"))).to_have_count(0)

    # (b) On their phone, the employee turns on a second factor from their account page...
    _sign_in(phone, base, world.member)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your home")
    phone.get_by_role("link", name="Your account's security").click()
    app = _set_up_second_factor(phone)
    _sign_out(phone)

    # ...and from then on signs in with it: a wrong code is refused, saying why, the right one
    # lets them in.
    _sign_in(phone, base, world.member)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Enter your second-factor code")
    fits_its_width(phone)
    phone.get_by_label("Code", exact=True).fill(app.wrong_code())
    phone.get_by_role("button", name="Continue").click()
    expect(phone).to_have_title(re.compile("^Error: "))
    expect(phone.get_by_role("alert")).to_contain_text("That code is not right.")
    expect(phone.get_by_label("Code", exact=True)).to_have_accessible_description(
        re.compile("That code is not right")
    )
    phone.goto(f"{base}/me/")  # nowhere else until the second factor is passed
    expect(phone.get_by_role("heading", level=1)).to_have_text("Enter your second-factor code")
    # django-otp makes the next try wait after a wrong code: a second after the first.
    phone.wait_for_timeout(1_100)
    phone.get_by_label("Code", exact=True).fill(app.code())
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your home")
    fits_its_width(phone)

    # Their home says what is due; they follow it to the code's text and attest.
    due = phone.get_by_role("region", name="What is due")
    expect(due).to_contain_text("attest to version v2 of the code")
    expect(due).to_contain_text("pending")
    due.get_by_role("link", name=CAMPAIGN).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(CAMPAIGN)
    code = phone.get_by_role("article", name=re.compile("CSEC Code of Ethical Conduct"))
    expect(code).to_contain_text("keep every client's money in a separate trust account")
    expect(code).to_contain_text("Members may publish their fees.")
    expect(phone.get_by_role("group", name="The statement you confirm")).to_contain_text(STATEMENT)
    fits_its_width(phone)
    phone.get_by_role("button", name="Attest").click()  # without ticking: refused, saying why
    expect(phone.get_by_role("alert")).to_contain_text("Tick “I confirm” to confirm the statement.")
    phone.get_by_label("I confirm").check()
    phone.get_by_role("button", name="Attest").click()
    expect(phone.get_by_role("status").first).to_contain_text(
        "Thank you: your attestation to CSEC Code of Ethical Conduct, version v2, is recorded."
    )
    expect(phone.get_by_text("You attested to version v2 on")).to_be_visible()
    expect(phone.get_by_role("button", name="Attest")).to_have_count(0)
    phone.get_by_role("link", name="Your home", exact=True).click()
    expect(phone.get_by_role("region", name="What is due")).to_contain_text(
        "Nothing is due from you now."
    )

    # (c) The administrator reloads: one more of the agency's two employees has attested.
    page.reload()
    expect(_coverage(page)).to_contain_text("1 of 2 attested, 1 pending")
    expect(_person_row(page, world.member)).to_contain_text("Attested")
    expect(_person_row(page, world.member)).not_to_contain_text("Pending")
    expect(_person_row(page, world.colleague)).to_contain_text("Pending")


@pytest.mark.skipif(
    not os.environ.get("OMBUDS_SHOTS"), reason="takes the docs' screenshots: set OMBUDS_SHOTS=1"
)
def test_members_screens_for_the_docs(page, phone, live_server, world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ombuds.accounts.services import TOTP_DEVICE_NAME

    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    device = TOTPDevice.objects.create(
        user=world.member.user, name=TOTP_DEVICE_NAME, confirmed=True
    )
    app = Authenticator(base64.b32encode(device.bin_key).decode())

    # The code page, on a computer.
    _sign_in(page, base, world.member)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your second-factor code")
    page.screenshot(path=SHOTS / "two-factor.png", full_page=True)
    _sign_out(page)

    # The member's home and the attestation page, on a phone.
    _sign_in(phone, base, world.member)
    phone.get_by_label("Code", exact=True).fill(app.code())
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your home")
    fits_its_width(phone)
    phone.screenshot(path=SHOTS / "member-home-phone.png", full_page=True)
    phone.get_by_role("region", name="What is due").get_by_role("link", name=CAMPAIGN).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(CAMPAIGN)
    fits_its_width(phone)
    phone.screenshot(path=SHOTS / "attest-phone.png", full_page=True)
    phone.get_by_label("I confirm").check()
    phone.get_by_role("button", name="Attest").click()
    expect(phone.get_by_text("You attested to version v2 on")).to_be_visible()

    # The agency administrator's people page, on a computer, once one of two has attested.
    _sign_in(page, base, world.admin, next_url=f"/me/agency/{world.agency.pk}/people/")
    expect(_coverage(page)).to_contain_text("1 of 2 attested, 1 pending")
    page.screenshot(path=SHOTS / "agency-coverage.png", full_page=True)
