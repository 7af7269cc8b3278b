"""The `allegation` input kind: a step that adds an allegation found in the investigation (its text and
the provisions it cites), through the services, the case page, the API and the CLI, each adding it
in the step's own transaction or refusing the whole step."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ombuds.bodies.models import BodyRole
from ombuds.cases import services
from ombuds.cases.procedure import PROCEDURES_DIR
from ombuds.cases.services import CaseRefused
from ombuds.register.tokens import token_create
from tests.cases.conftest import file_case, take

STEP = """
[[transitions]]
name = "add_allegation"
label = "Add an allegation found in the investigation"
from = ["investigation"]
to = "investigation"
roles = ["ethics_chair", "investigator"]
inputs = [{ name = "found", kind = "allegation", label = "The allegation" }]
"""


@pytest.fixture
def investigated(csec, tmp_path):
    """A case about the non-member agency under investigation, under CSEC's procedure with a step
    that adds an allegation (installed for the body)."""
    path = tmp_path / "csec-with-allegations.toml"
    path.write_text((PROCEDURES_DIR / "csec-article-5.toml").read_text() + STEP)
    call_command("procedures", "install", str(path), "--org", "csec", stdout=StringIO())
    case = file_case(csec, respondent_agency=csec.non_member_agency)
    case = take(case, "acknowledge", csec.staff)
    case = take(case, "notify_agency", csec.chair)
    case = services.respondent_answer(case=case, body="We deny it.", files=[])
    return take(case, "investigate", csec.investigator)


def added(case) -> list[tuple[str, list[str]]]:
    return [
        (a.summary, [p.citation for p in a.provisions.order_by("position")])
        for a in case.allegations.order_by("position")
    ][1:]


def test_the_step_adds_the_allegation_with_its_provisions(csec, investigated):
    version = investigated.version
    case = take(
        investigated,
        "add_allegation",
        csec.investigator,
        found={"summary": "No records were kept.", "provisions": ["1.2", "1.1(a)"]},
    )
    assert case.state == "investigation"
    assert added(case) == [("No records were kept.", ["1.1(a)", "1.2"])]
    assert case.version > version


def test_an_unknown_provision_refuses_the_whole_step(csec, investigated):
    with pytest.raises(CaseRefused, match=r"no provision 9\.9 in the code"):
        take(
            investigated,
            "add_allegation",
            csec.chair,
            found={"summary": "Something.", "provisions": ["9.9"]},
        )
    assert added(investigated) == []


def test_the_case_page_asks_for_the_text_and_the_provisions(client, csec, investigated):
    client.force_login(csec.investigator)
    page = f"/staff/csec/cases/{investigated.reference}/"
    html = client.get(page).content.decode()
    assert 'name="step-add_allegation-found"' in html
    assert 'name="step-add_allegation-found-provisions"' in html
    response = client.post(
        page,
        {
            "action": "step:add_allegation",
            "step-add_allegation-version": investigated.version,
            "step-add_allegation-found": "Payments held back.",
            "step-add_allegation-found-provisions": ["1.1(a)"],
        },
    )
    assert response.status_code == 302
    assert added(investigated) == [("Payments held back.", ["1.1(a)"])]


def test_the_api_takes_the_allegation(client, csec, investigated):
    BodyRole.objects.create(user=csec.chair, organization=csec.org, role="staff")
    token = token_create(user=csec.chair, organization=csec.org, name="sync")[1]
    response = client.post(
        f"/api/v1/bodies/csec/cases/{investigated.reference}/steps",
        {
            "step": "add_allegation",
            "expected_version": investigated.version,
            "inputs": {"found": {"summary": "Late payments.", "provisions": ["1.2"]}},
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["allegations"][-1]["provisions"] == ["1.2"]


def test_the_cli_takes_the_allegation(csec, investigated):
    out = StringIO()
    call_command(
        "cases",
        "step",
        investigated.reference,
        "add_allegation",
        "--as",
        csec.investigator.username,
        "--input",
        "found=Records destroyed.",
        "--input",
        "found.cite=1.2",
        stdout=out,
    )
    assert "now Under investigation" in out.getvalue()
    assert added(investigated) == [("Records destroyed.", ["1.2"])]
    with pytest.raises(CommandError, match="no provision 7 in the code"):
        call_command(
            "cases",
            "step",
            investigated.reference,
            "add_allegation",
            "--as",
            csec.investigator.username,
            "--input",
            "found=Another.",
            "--input",
            "found.cite=7",
            stdout=StringIO(),
        )
