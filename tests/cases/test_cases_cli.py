"""`ombuds cases list|show|step|tick`: the same services as the pages and the API, and a one-line
reason for everything refused."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.audit.models import Event
from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.models import BodyProcedure, Case, CaseDeadline, Document
from ombuds.register.models import Credential, CredentialProgram, Person

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def csec_guild(body, published):
    BodyProcedure.objects.create(organization=body, procedure_key="csec-article-5")
    return body


@pytest.fixture
def chair(body, django_user_model):
    user = django_user_model.objects.create_user("cora", "cora@example.org", "pw")
    BodyRole.objects.create(user=user, organization=body, role="ethics_chair")
    return user


def file_case(organization, **fields) -> Case:
    values = {
        "what_happened": "They kept my payments.",
        "respondent_name": "Acme Recovery",
        "respondent_email": "acme@example.org",
        "complainant_name": "Pat Doe",
    }
    values.update(fields)
    case = services.case_file(
        organization=organization, complaint=services.Complaint(**values)
    ).case
    # Allegation 1 stands as the body's draft, not the complainant's words (see
    # tests/cases/test_allegation_drafting.py for the step held while it is not).
    case.allegations.update(verbatim=False)
    return case


def run(*args: str) -> str:
    out = StringIO()
    call_command("cases", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    message = str(caught.value)
    assert "\n" not in message, message
    return message


# --- list -----------------------------------------------------------------------------------------


def test_list_the_bodys_cases_newest_first(csec_guild, chair, other_body):
    first = file_case(csec_guild, respondent_name="Acme Recovery")
    second = file_case(csec_guild, respondent_name="Beta Collections")
    services.case_step(case=second, step="acknowledge", acting_user=chair)
    third = file_case(csec_guild, respondent_name="Gamma Agency")
    services.case_step(
        case=third,
        step="dismiss",
        acting_user=chair,
        inputs={"ground": "withdrawn", "reasons": "x"},
    )
    BodyProcedure.objects.create(organization=other_body, procedure_key="espcc-ethics")
    file_case(other_body, respondent_name="Elsewhere")
    lines = run("list", "--org", "guild").splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        third.reference,
        second.reference,
        first.reference,
    ]
    assert lines[1].split("\t") == [
        second.reference,
        "chair_review",
        f"{timezone.localdate():%Y-%m-%d}",
        "Beta Collections",
    ]
    assert run("list", "--org", "guild", "--state", "received").split("\t")[0] == first.reference
    opened = run("list", "--org", "guild", "--state", "open").splitlines()
    assert [line.split("\t")[0] for line in opened] == [second.reference, first.reference]
    assert run("list", "--org", "guild", "--state", "appeal") == ""


def test_list_refuses_an_unknown_body_or_state(csec_guild, other_body):
    assert refused("list", "--org", "nowhere") == "no body 'nowhere'"
    message = refused("list", "--org", "guild", "--state", "limbo")
    assert "no state 'limbo'" in message and "chair_review" in message
    assert run("list", "--org", "other") == ""  # a body without cases lists nothing


# --- show -----------------------------------------------------------------------------------------


def test_show_a_case(csec_guild, chair, published):
    cited = published.provisions.get(citation="1.1(a)")
    case = file_case(csec_guild, provisions=[cited])
    text = run("show", case.reference, "--as", "cora")
    assert f"{case.reference}: Received (version 1)" in text
    assert "respondent: Acme Recovery" in text
    assert "allegation 1 (1.1(a)): pending" in text
    assert "deadline: Acknowledge the complaint by" in text
    assert "steps open: acknowledge, dismiss" in text
    assert "steps open" not in run("show", case.reference)


def test_show_as_json(csec_guild, chair):
    case = file_case(csec_guild)
    data = json.loads(run("show", case.reference, "--json", "--as", "cora"))
    assert data["reference"] == case.reference
    assert data["state"] == "received" and data["state_label"] == "Received"
    assert data["version"] == 1
    assert data["facts"]["complainant_named"] is True
    assert data["facts"]["respondent_is_member"] is False
    assert data["allegations"][0]["determination"] == "pending"
    assert data["deadlines"][0]["running"] is True
    dt.date.fromisoformat(data["deadlines"][0]["due_on"])
    assert data["steps"] == ["acknowledge", "dismiss"]
    assert json.loads(run("show", case.reference, "--json"))["steps"] == []


def test_show_refuses_an_unknown_case_or_user(csec_guild):
    case = file_case(csec_guild)
    assert refused("show", "GOE-1999-0001") == "no case 'GOE-1999-0001'"
    assert refused("show", case.reference, "--as", "nobody") == "no user 'nobody'"


# --- step -----------------------------------------------------------------------------------------


def test_take_a_step(csec_guild, chair):
    case = file_case(csec_guild)
    out = run("step", case.reference, "acknowledge", "--as", "cora")
    assert out.strip() == f"{case.reference}: now With the Chair (version 2)"
    case.refresh_from_db()
    assert case.state == "chair_review"
    event = Event.objects.filter(action="case.step").get()
    assert event.actor == chair and event.data["step"] == "acknowledge"


def test_take_a_step_with_inputs(csec_guild, chair):
    case = file_case(csec_guild)
    run(
        "step",
        case.reference,
        "dismiss",
        "--as",
        "cora",
        "--input",
        "ground=outside the code",
        "--input",
        "reasons=Fees are not in the code. See a=b.",
    )
    case.refresh_from_db()
    assert case.state == "dismissed"
    data = Event.objects.filter(action="case.step").get().data
    assert data["inputs"] == {
        "ground": "outside the code",
        "reasons": "Fees are not in the code. See a=b.",
    }


def test_take_a_step_with_a_document(csec_guild, chair, body, tmp_path):
    program = CredentialProgram.objects.create(organization=body, code="cgp", name="CGP")
    holder = Person.objects.create(organization=body, given_name="Mel", family_name="Member")
    Credential.objects.create(program=program, holder=holder, number="CGP-7", status="active")
    case = file_case(csec_guild, respondent_person=holder, respondent_name="")
    run("step", case.reference, "acknowledge", "--as", "cora")
    run("step", case.reference, "request_efforts", "--as", "cora", "--input", "message=Send it.")
    proof = tmp_path / "letters.pdf"
    proof.write_bytes(PDF)
    run(
        "step",
        case.reference,
        "efforts_received",
        "--as",
        "cora",
        "--file",
        f"efforts_proof={proof}",
    )
    case.refresh_from_db()
    assert case.state == "chair_review" and case.efforts_proven_at is not None
    assert Document.objects.get(case=case, kind="efforts_proof").original_name == "letters.pdf"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--input", "nonsense"], "--input 'nonsense': write NAME=VALUE"),
        (["--input", "=value"], "--input '=value': write NAME=VALUE"),
        (["--file", "proof"], "--file 'proof': write NAME=PATH"),
        (["--file", "proof=/no/such/file.pdf"], "--file 'proof=/no/such/file.pdf': cannot read it"),
    ],
)
def test_a_bad_input_is_refused(csec_guild, chair, extra, reason):
    case = file_case(csec_guild)
    assert reason in refused("step", case.reference, "dismiss", "--as", "cora", *extra)
    case.refresh_from_db()
    assert case.state == "received"


def test_a_refused_step_says_why_in_one_line(csec_guild, chair, personas):
    case = file_case(csec_guild)
    message = refused("step", case.reference, "dismiss", "--as", "sam")
    assert message.startswith(f"{case.reference}: ")
    assert "taken by: ethics chair" in message
    message = refused("step", case.reference, "dismiss", "--as", "cora")
    assert "needs: Ground, Reasons given to the complainant" in message
    message = refused(
        "step",
        case.reference,
        "dismiss",
        "--as",
        "cora",
        "--input",
        "ground=boredom",
        "--input",
        "reasons=x",
    )
    assert "Ground must be one of" in message
    assert "has no step called 'fly'" in refused("step", case.reference, "fly", "--as", "cora")
    assert refused("step", "GOE-1999-0001", "acknowledge", "--as", "cora") == (
        "no case 'GOE-1999-0001'"
    )
    assert refused("step", case.reference, "acknowledge", "--as", "nobody") == "no user 'nobody'"
    case.refresh_from_db()
    assert case.state == "received" and case.version == 1
    assert not Event.objects.filter(action="case.step").exists()


def test_a_stale_expected_version_is_refused(csec_guild, chair):
    case = file_case(csec_guild)
    services.message_post(case=case, audience="internal", body="Seen.", acting_user=chair)
    message = refused(
        "step", case.reference, "acknowledge", "--as", "cora", "--expected-version", "1"
    )
    assert "changed since" in message
    case.refresh_from_db()
    assert case.state == "received"
    run("step", case.reference, "acknowledge", "--as", "cora", "--expected-version", "2")


def test_a_recused_user_cannot_take_a_step(csec_guild, chair):
    case = file_case(csec_guild)
    services.recusal_record(case=case, user=chair, reason="Conflict.", acting_user=chair)
    message = refused("step", case.reference, "acknowledge", "--as", "cora")
    assert message == f"no case {case.reference!r}"  # as for a case that does not exist


# --- tick -----------------------------------------------------------------------------------------


def test_tick_takes_the_expiry_steps_and_is_idempotent(csec_guild, chair, mailoutbox):
    case = file_case(csec_guild)
    services.case_step(case=case, step="acknowledge", acting_user=chair)
    case = services.case_step(
        case=Case.objects.get(pk=case.pk), step="notify_agency", acting_user=chair
    )
    services.notices_retry()  # delivered by email: the answer period counts
    CaseDeadline.objects.filter(case=case, name="answer").update(
        due_on=timezone.localdate() - dt.timedelta(days=1)
    )
    out = run("tick")
    assert "deadlines passed: 1" in out and "steps taken: 1" in out
    assert "notices sent on retry:" in out
    case.refresh_from_db()
    assert case.state == "investigation"
    step = Event.objects.filter(action="case.step").latest("seq")
    assert step.data["step"] == "no_answer" and step.actor is None
    again = run("tick")
    assert "deadlines passed: 0" in again and "steps taken: 0" in again
    case.refresh_from_db()
    assert case.state == "investigation"
