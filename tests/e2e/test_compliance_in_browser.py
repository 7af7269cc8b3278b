"""Compliance returns in a browser. On a phone, an agency's administrator checks a return whose
files have a shape problem (every problem listed, the list taking the focus), then one with two
problems the rules find, files it, reads the finding with its provision and answers it. The other
finding is left unanswered until its time passes; the council's staff see it on their coverage
and review pages and open a case from it, landing on the case's page.

With OMBUDS_SHOTS=1 it also takes the screenshots docs/screenshots/compliance-*.png (the agency's
page on a phone, the council's coverage view).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ombuds.bodies.models import BodyRole, Organization
from ombuds.cases.models import BodyProcedure, Case
from ombuds.codes import services as codes
from ombuds.compliance import findings, periods, services, synthetic
from ombuds.compliance.models import Finding, Programme
from ombuds.register.models import Affiliation, Agency, Membership, MembershipType, Person
from tests.compliance.conftest import PROGRAMME, numbered_code
from tests.e2e.screen import fits_its_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple 7"
FILES = {
    "ledger": "Every movement of client money in the month (ledger)",
    "bank": "The trust account's closing balance on each statement date (bank)",
    "contracts": "The written contract on file for each client (contracts)",
}


@dataclass
class World:
    body: Organization
    agency: Agency
    admin: Person
    staff_username: str
    period: tuple[dt.date, dt.date]


@pytest.fixture
def world(django_user_model, tmp_path) -> World:
    """A council with CSEC's numbering and programme, installed a year ago; a member agency with
    its administrator and three other members; the council's staff; the complaint procedure
    cases run under."""
    folder = tmp_path / "members"
    body = Organization.objects.create(
        slug="csec", name="Child Support Enforcement Council", acronym="CSEC"
    )
    codes.code_version_import(organization=body, parsed=numbered_code(), label="v1", publish=True)
    services.programme_install(organization=body, text=PROGRAMME.read_text(), label="tests")
    year_ago = timezone.now() - dt.timedelta(days=365)
    Programme.objects.filter(organization=body).update(installed_at=year_ago)
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    agency = Agency.objects.create(organization=body, legal_name="Faithful Support Recovery LLC")
    kind = MembershipType.objects.create(
        organization=body, code="agency", name="Member agency", kind="organization"
    )
    Membership.objects.create(
        organization=body,
        membership_type=kind,
        agency=agency,
        number="CSEC-017",
        status=Membership.Status.ACTIVE,
        start_date=(timezone.now() - dt.timedelta(days=800)).date(),
    )
    user = django_user_model.objects.create_user("dana", "dana@faithful.example", PASSWORD)
    admin = Person.objects.create(
        organization=body, given_name="Dana", family_name="Okafor", user=user
    )
    Affiliation.objects.create(agency=agency, person=admin, role="principal", agency_admin=True)
    staff = django_user_model.objects.create_user("stella", "stella@csec.example", PASSWORD)
    BodyRole.objects.create(user=staff, organization=body, role="staff")
    period = periods.last("monthly", timezone.localdate())
    # Three other members: one files a return with problems, one an honest one, one is late.
    for n, (name, plant) in enumerate(
        [
            ("Northern Child Support Services", {"shortfall", "negative_balance", "never_paid"}),
            ("Harbor Family Recovery", set()),
            ("Keystone Support Agents", None),
        ]
    ):
        other = Agency.objects.create(organization=body, legal_name=name)
        Membership.objects.create(
            organization=body,
            membership_type=kind,
            agency=other,
            number=f"CSEC-02{n}",
            status=Membership.Status.ACTIVE,
            start_date=(timezone.now() - dt.timedelta(days=800)).date(),
        )
        if plant is not None:
            made = synthetic.Synthetic(seed=n, period=period, clients=12, plant=plant)
            services.return_file(
                organization=body,
                agency=other,
                return_key="trust_ledger",
                period=period,
                paths=made.write(folder / name),
                user=staff,
            )
    return World(body, agency, admin, "stella", period)


def _sign_in(page: Page, base: str, username: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _shot(page: Page, name: str) -> None:
    """With OMBUDS_SHOTS=1, the page as docs/screenshots shows it."""
    if os.environ.get("OMBUDS_SHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / name, full_page=True)


def _choose_files(page: Page, paths: dict[str, Path]) -> None:
    for key, label in FILES.items():
        page.get_by_label(label).set_input_files(paths[key])


def _files(world: World, folder: Path, plant: set[str]) -> dict[str, Path]:
    made = synthetic.Synthetic(seed=11, period=world.period, clients=12, plant=plant)
    return made.write(folder)


def test_an_agency_answers_a_finding_and_the_council_opens_a_case_from_another(
    page, phone, live_server, world, tmp_path
):
    base = live_server.url

    # (a) On a phone, the agency's administrator opens its compliance page and the filing form.
    _sign_in(phone, base, "dana", f"/me/agency/{world.agency.pk}/compliance/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Faithful Support Recovery LLC: compliance returns"
    )
    fits_its_width(phone)
    phone.get_by_role("link", name=re.compile("^File a return: Monthly trust ledger")).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("File a return")
    fits_its_width(phone)

    # Files with rows that cannot be right: every problem listed, the list read first.
    phone.get_by_label("Recent periods").select_option(f"{world.period[0]:%Y-%m}")
    _choose_files(phone, _files(world, tmp_path / "broken", {"records"}))
    phone.get_by_role("button", name="Check the files").click()
    summary = phone.get_by_role("alert")
    expect(summary).to_contain_text("The files were not accepted: 5 problems")
    expect(summary).to_be_focused()
    problems = phone.get_by_role("table", name="Every problem found in the files, by file")
    expect(problems.get_by_role("row").filter(has_text="kind is not one of")).to_contain_text(
        "kind"
    )
    fits_its_width(phone)

    # Corrected files with two problems the rules find: checked first, nothing filed...
    paths = _files(world, tmp_path / "return", {"no_contract", "fee_beyond_contract"})
    phone.get_by_label("Recent periods").select_option(f"{world.period[0]:%Y-%m}")
    _choose_files(phone, paths)
    phone.get_by_role("button", name="Check the files").click()
    expect(phone.get_by_role("status").filter(has_text="Nothing is filed yet")).to_contain_text(
        "The checks found 2 things to answer or correct"
    )
    # ...then filed.
    _choose_files(phone, paths)
    phone.get_by_role("button", name="File the return").click()
    expect(phone.get_by_role("status").first).to_contain_text("is filed. The checks found 2")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Return")
    fits_its_width(phone)

    # (b) Its page lists the findings to answer, each with its provision.
    phone.get_by_role("link", name=re.compile("compliance returns")).click()
    to_answer = phone.get_by_role("region", name="Findings to answer")
    expect(to_answer.get_by_role("rowheader", name="CSEC 1.3(a)")).to_be_visible()
    expect(to_answer.get_by_role("rowheader", name="CSEC 1.3(d)")).to_be_visible()
    fits_its_width(phone)
    _shot(phone, "compliance-agency-phone.png")

    # It reads the contract finding and answers it.
    no_contract = Finding.objects.get(rule_key="no_contract")
    to_answer.get_by_role("link", name=no_contract.detail).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        f"Finding {no_contract.pk}: CSEC 1.3(a)"
    )
    expect(phone.get_by_text(no_contract.detail).first).to_be_visible()
    fits_its_width(phone)
    phone.get_by_role("button", name="Send the answer to the council").click()  # empty: refused
    expect(phone.get_by_role("alert")).to_contain_text("Write the answer")
    phone.get_by_label("Your answer").fill(
        "The client signed on paper at our office; the scan is now on file."
    )
    phone.get_by_role("button", name="Send the answer to the council").click()
    expect(phone.get_by_role("status").first).to_contain_text("Your answer is recorded")
    expect(phone.get_by_role("region", name="What happened")).to_contain_text(
        "With the council to review"
    )

    # (c) The fee finding is left unanswered past its cure period: the daily job escalates it.
    fee = Finding.objects.get(rule_key="fee_beyond_contract")
    Finding.objects.filter(pk=fee.pk).update(cure_by=timezone.localdate() - dt.timedelta(days=1))
    assert findings.findings_escalate() == 1

    # (d) The council's staff: the coverage view, then the findings to review.
    _sign_in(page, base, world.staff_username, "/staff/csec/cases/")
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="CSEC compliance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CSEC compliance returns")
    expect(page.get_by_role("img", name="Unresolved findings by provision")).to_be_visible()
    figures = page.get_by_role("table", name="Unresolved findings by provision")
    expect(figures.get_by_role("row").filter(has_text="CSEC 1.3(d)")).to_contain_text("1")
    _shot(page, "compliance-coverage.png")
    page.get_by_role("link", name=re.compile("^Findings to review")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CSEC compliance findings")
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="Answered by the agency")).to_contain_text("CSEC 1.3(a)")
    expect(rows.filter(has_text="Not answered in time")).to_contain_text("CSEC 1.3(d)")

    # It opens a case from the unanswered finding and lands on the case's page.
    rows.filter(has_text="Not answered in time").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Finding {fee.pk}: CSEC 1.3(d)")
    expect(page.get_by_role("region", name="Evidence")).to_be_visible()
    page.get_by_role("button", name="Open a case from this finding").click()
    case = Case.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    expect(page.get_by_role("status").first).to_contain_text(f"Case {case.reference} is opened")
    assert case.respondent_agency == world.agency
    assert [p.citation for p in case.allegations.get().provisions.all()] == ["1.3(d)"]

    # The agency reads that its finding went to a case, without the council's case pages.
    phone.goto(f"{base}/me/agency/{world.agency.pk}/compliance/findings/{fee.pk}/")
    expect(phone.get_by_role("region", name="What happened")).to_contain_text(
        f"case {case.reference}"
    )
    expect(phone.get_by_role("link", name=re.compile(case.reference))).to_have_count(0)
