"""The `sanction` input kind: a step that chooses the sanction (the sanction form's fields, its kinds
limited to the input's choices), through the services, the case page, the API and the CLI; the
procedure's next step imposes it on the register."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ombuds.bodies.models import BodyRole
from ombuds.cases.models import SanctionChoice
from ombuds.cases.procedure import PROCEDURES_DIR
from ombuds.cases.services import CaseRefused
from ombuds.register.models import Sanction
from ombuds.register.tokens import token_create
from tests.cases.conftest import end_appeal_window, file_case, take
from tests.cases.test_case_walkthrough import to_sanction

STEP = """
[[transitions]]
name = "choose_sanction"
label = "Choose the sanction"
from = ["sanction"]
to = "sanction"
roles = ["ethics_chair", "committee_member"]
inputs = [{ name = "chosen", kind = "sanction", label = "The sanction", choices = ["reprimand", "censure"] }]
"""


@pytest.fixture
def deciding(csec, tmp_path):
    path = tmp_path / "csec-with-sanction-step.toml"
    path.write_text((PROCEDURES_DIR / "csec-article-5.toml").read_text() + STEP)
    call_command("procedures", "install", str(path), "--org", "csec", stdout=StringIO())
    case = to_sanction(file_case(csec), csec)
    assert case.state == "sanction"
    return case


def reprimand(**more) -> dict:
    return {
        "kind": "reprimand",
        "summary": "Reprimanded for holding payments.",
        "effective_from": timezone.localdate().isoformat(),
        "publication": Sanction.Publication.PUBLIC,
        **more,
    }


def test_the_step_chooses_the_sanction_and_the_next_imposes_it(csec, deciding):
    case = take(deciding, "choose_sanction", csec.committee, chosen=reprimand())
    choice = SanctionChoice.objects.get(case=case)
    assert (choice.kind, choice.summary) == ("reprimand", "Reprimanded for holding payments.")
    assert [p.citation for p in choice.provisions.all()] == ["1.1(a)"]
    case = take(case, "impose_sanction", csec.committee)
    assert not Sanction.objects.exists()  # it waits for the appeal window
    end_appeal_window(case)
    assert Sanction.objects.get().kind == "reprimand"


def test_a_kind_outside_the_choices_or_a_missing_field_refuses_the_step(csec, deciding):
    with pytest.raises(CaseRefused) as refused:
        take(
            deciding,
            "choose_sanction",
            csec.committee,
            chosen=reprimand(kind="expulsion", summary=""),
        )
    assert refused.value.problems == [
        "The sanction: give its summary",
        "The sanction: the sanction is one of reprimand, censure",
    ]
    assert not SanctionChoice.objects.exists()


def test_the_case_page_shows_the_sanction_form_with_the_kinds_allowed(client, csec, deciding):
    client.force_login(csec.committee)
    page = f"/staff/csec/cases/{deciding.reference}/"
    html = client.get(page).content.decode()
    assert 'name="step-choose_sanction-chosen-kind" value="reprimand"' in html
    assert (
        'value="expulsion"'
        not in html.split('name="step-choose_sanction-chosen-kind"', 1)[1][:2000]
    )
    response = client.post(
        page,
        {
            "action": "step:choose_sanction",
            "step-choose_sanction-version": deciding.version,
            **{f"step-choose_sanction-chosen-{k}": v for k, v in reprimand(kind="censure").items()},
        },
    )
    assert response.status_code == 302
    assert SanctionChoice.objects.get(case=deciding).kind == "censure"


def test_the_api_and_the_cli_choose_it(client, csec, deciding):
    BodyRole.objects.create(user=csec.chair, organization=csec.org, role="staff")
    token = token_create(user=csec.chair, organization=csec.org, name="sync")[1]
    response = client.post(
        f"/api/v1/bodies/csec/cases/{deciding.reference}/steps",
        {
            "step": "choose_sanction",
            "expected_version": deciding.version,
            "inputs": {"chosen": reprimand()},
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.json()
    assert SanctionChoice.objects.get(case=deciding).kind == "reprimand"

    args = ["cases", "step", deciding.reference, "choose_sanction", "--as", csec.committee.username]
    fields = reprimand(kind="censure", summary="Censured.")
    call_command(*args, *[f"--input=chosen.{k}={v}" for k, v in fields.items()], stdout=StringIO())
    assert SanctionChoice.objects.get(case=deciding).kind == "censure"
    with pytest.raises(CommandError, match="no field called colour"):
        call_command(*args, "--input=chosen.colour=red", stdout=StringIO())


def test_check_names_a_sanction_the_register_does_not_have(tmp_path):
    path = tmp_path / "odd.toml"
    path.write_text(
        (PROCEDURES_DIR / "csec-article-5.toml").read_text()
        + STEP.replace('"censure"', '"flogging"')
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("procedures", "check", str(path), stdout=StringIO(), stderr=err)
    assert "step choose_sanction, input 'chosen': no sanction called 'flogging'" in err.getvalue()
