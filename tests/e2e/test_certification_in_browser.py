"""A candidate applies for a credential on their phone: the application opens their account through
the emailed link, they fill it in with a document, confirm the declarations and the candidate
agreement, and see where it stands; staff find them eligible on their page; the vendor's results
file passes them, and the credential is on the public register. No page scrolls sideways at 390px.

Then the holder downloads their verifiable credential from their account and `ombuds credentials
verify` finds it valid with the body's published key and status lists; a proctor reports an exam
leak naming the holder's application, which becomes a case citing exam confidentiality (2.3); the
case suspends the credential, and the very same file, unchanged, then verifies as suspended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from ombuds.bodies.models import BodyRole
from ombuds.cases import services as cases
from ombuds.cases.models import BodyProcedure
from ombuds.certification import services
from ombuds.certification.models import Application, Incident
from ombuds.codes import services as codes
from ombuds.codes.parser import ParsedCode
from ombuds.register import services as register
from ombuds.register.models import CredentialProgram, Sanction
from tests.cases.conftest import end_appeal_window, take
from tests.cases.test_case_walkthrough import choose, decide_all
from tests.certification.conftest import PDF, REQUIREMENTS
from tests.conftest import small_code
from tests.e2e.screen import fits_its_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 7"


def _code_with_exam_confidentiality() -> ParsedCode:
    """The tests' small code with two more provisions in article 2, the second on keeping the
    examination confidential (cited, as ESPCC's is, as 2.3)."""
    code = small_code().to_dict()
    article_2 = next(p for p in code["provisions"] if p["citation"] == "2")
    for citation, text in (
        ("2.2", "Members shall give the guild true and complete information."),
        ("2.3", "Members and candidates shall keep the guild's examinations confidential."),
    ):
        article_2["children"].append(
            {
                "label": citation,
                "citation": citation,
                "text": text,
                "full_text": text,
                "modality": "obligation",
                "subject": "Members",
            }
        )
    return ParsedCode.from_dict(code)


@pytest.fixture
def guild(django_user_model):
    """The Guild, its code with 2.3 in force, the CGP programme whose candidate agreement cites
    2.3, its ethics procedure, and its people: Sam (staff) and the committee who decide cases."""
    body = register.organization_ensure(slug="guild", name="Guild of Examples", acronym="GOE")
    codes.code_version_import(
        organization=body,
        parsed=_code_with_exam_confidentiality(),
        source=b"v1",
        label="v1",
        publish=True,
    )
    program = CredentialProgram.objects.create(
        organization=body, code="cgp", name="Certified Guild Practitioner", abbreviation="CGP"
    )
    agreement = '[agreement]\ncites = "2.1"'
    assert agreement in REQUIREMENTS
    services.requirements_install(
        organization=body, text=REQUIREMENTS.replace(agreement, '[agreement]\ncites = "2.3"')
    )
    BodyProcedure.objects.create(organization=body, procedure_key="espcc-ethics")
    staff = django_user_model.objects.create_user("sam", "sam@example.org", PASSWORD)
    BodyRole.objects.create(user=staff, organization=body, role="staff")
    for role in ("ethics_chair", "committee_member", "investigator"):
        user = django_user_model.objects.create_user(role, f"{role}@example.org", PASSWORD)
        BodyRole.objects.create(user=user, organization=body, role=role)
    return body, program, staff


def _verify(credential_file: Path, page: Page, base: str, folder: Path) -> tuple[int, str]:
    """`ombuds credentials verify` on the file, offline: with the body's DID document and both
    status lists as the site publishes them now (downloaded, as an employer saves them)."""
    given = []
    for name, url in (
        ("did.json", "/guild/did.json"),
        ("suspension.jwt", "/guild/credentials/status/suspension"),
        ("revocation.jwt", "/guild/credentials/status/revocation"),
    ):
        answer = page.request.get(base + url)
        assert answer.ok, url
        (folder / name).write_bytes(answer.body())
        given.append(str(folder / name))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command(
            "credentials",
            "verify",
            str(credential_file),
            "--keys",
            given[0],
            "--status-list",
            given[1],
            "--status-list",
            given[2],
            stdout=out,
        )
    return exited.value.code, out.getvalue()


def test_a_candidate_applies_on_their_phone_is_certified_and_suspended_after_an_exam_leak(
    browser, phone, page, live_server, guild, tmp_path
):
    body, program, staff = guild
    base = live_server.url
    phone.goto(f"{base}/guild/certification/")
    fits_its_width(phone)
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
    fits_its_width(phone)

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
    expect(phone.get_by_role("heading", level=1)).to_have_text("Declarations and submission")
    fits_its_width(phone)
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
    fits_its_width(phone)

    # The holder downloads their verifiable credential from their account, and it verifies.
    phone.goto(f"{base}/me/")
    fits_its_width(phone)
    with phone.expect_download() as downloading:
        phone.get_by_role("button", name="Download CGP-00001 (Open Badge)").click()
    download = downloading.value
    assert download.suggested_filename == "credential-CGP-00001.jwt"
    credential_file = Path(tmp_path) / download.suggested_filename
    download.save_as(credential_file)
    signed = hashlib.sha256(credential_file.read_bytes()).hexdigest()
    code, said = _verify(credential_file, page, base, tmp_path)
    assert code == 0, said
    assert said.startswith("Valid") and "CGP-00001" in said

    # A proctor reports the holder's application: a case citing exam confidentiality, 2.3.
    proctor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    proctor.set_default_timeout(10_000)
    proctor.goto(f"{base}/guild/certification/report")
    proctor.get_by_label("Exam questions exposed or shared").check()
    proctor.get_by_label("Describe it").fill("The candidate posted the W1 form's questions online.")
    proctor.get_by_label("Exam window, if you know it").fill("w1")
    proctor.get_by_label("Candidate's application reference, if you know it").fill(
        application.reference
    )
    proctor.get_by_label("A proctor or the testing vendor").check()
    proctor.get_by_label("Your name").fill("Pat Proctor")
    proctor.get_by_label("Your email address").fill("pat@vendor.example")
    proctor.get_by_role("button", name="Send the report").click()
    expect(proctor.get_by_role("heading", level=1)).to_contain_text("your report is received")
    incident = Incident.objects.select_related("case").get()
    case = incident.case
    expect(proctor.locator("main")).to_contain_text(case.reference)
    proctor.context.close()
    assert case.respondent_person == application.person
    assert [p.citation for p in case.allegations.get().provisions.all()] == ["2.3"]
    people = SimpleNamespace(
        staff=staff,
        chair=BodyRole.objects.get(organization=body, role="ethics_chair").user,
        committee=BodyRole.objects.get(organization=body, role="committee_member").user,
        investigator=BodyRole.objects.get(organization=body, role="investigator").user,
    )
    # Staff put the allegation in the body's words before the holder is told of it.
    allegation = case.allegations.get()
    cases.allegation_edit(
        case=case,
        allegation=allegation,
        text="The candidate disclosed examination questions, breaching the candidate agreement.",
        provisions=list(allegation.provisions.all()),
        expected_version=None,
        acting_user=staff,
    )

    # Staff find it among the incidents and acknowledge the case from its page.
    page.goto(f"{base}/staff/guild/certification/incidents/")
    page.get_by_role("link", name="Exam questions exposed or shared").click()
    expect(page.locator("main")).to_contain_text(application.reference)
    page.get_by_role("link", name=case.reference).click()
    expect(page.locator("main")).to_contain_text("2.3")
    page.get_by_role("button", name="Acknowledge and review").click()
    expect(page.get_by_role("button", name="Ask the holder to cooperate")).to_be_visible()
    case.refresh_from_db()
    assert case.state == "review"

    # The case runs under the body's procedure; the committee upholds the allegation and suspends
    # the credential, which takes effect when the appeal period ends without an appeal.
    take(case, "request_cooperation", staff)
    cases.respondent_answer(case=case, body="I did not post them.", files=[])
    take(case, "investigate", people.investigator)
    take(case, "to_committee", people.investigator, summary="The questions match the W1 form.")
    decide_all(case, people.committee)
    case = take(case, "uphold", people.committee)
    until = dt.date.today() + dt.timedelta(days=90)
    choose(case, people, "suspension", effective_until=until)
    case = take(case, "impose_sanction", people.committee)
    case = end_appeal_window(case)
    sanction = Sanction.objects.get()
    assert sanction.state == "in_effect" and sanction.credential.number == "CGP-00001"
    assert sanction.credential.status == "suspended"

    phone.goto(f"{base}/me/")
    expect(phone.locator("main")).to_contain_text("Not while suspended")
    phone.goto(f"{base}/guild/register/CGP-00001/")
    expect(phone.locator("main")).to_contain_text(re.compile("suspended", re.IGNORECASE))

    # The same file, unchanged, now verifies as suspended.
    assert hashlib.sha256(credential_file.read_bytes()).hexdigest() == signed
    code, said = _verify(credential_file, page, base, tmp_path)
    assert code == 6, said
    assert said.startswith("Suspended")
