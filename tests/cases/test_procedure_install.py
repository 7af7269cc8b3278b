"""A body installs its own procedure without a code change: `ombuds procedures install FILE --org`
checks the file (every problem, non-zero exit, nothing stored), stores it as the body's next version,
files the body's new cases under it while running cases keep theirs, and is on the record;
`procedures list --org` and `show` tell which version is current and how many cases run under each.
The checker also reports unknown notice templates and input kinds where the engine cannot use them.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ombuds.audit.models import Event
from ombuds.cases.models import BodyProcedure, Case, ProcedureVersion
from ombuds.cases.procedure import PROCEDURES_DIR, load, template_problems
from ombuds.cases.selectors import procedure_of
from ombuds.cases.services.procedures import procedure_problems
from tests.cases.conftest import file_case, take

CSEC = PROCEDURES_DIR / "csec-article-5.toml"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("procedures", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_refused(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("procedures", *args, stdout=out, stderr=err)
    return err.getvalue(), str(caught.value)


def variant(tmp_path: Path, old: str, new: str, name: str = "variant.toml") -> Path:
    """A copy of CSEC's procedure with one piece of text replaced."""
    text = CSEC.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# --- the checker ----------------------------------------------------------------------------------


def test_check_names_an_unknown_notice_template(tmp_path):
    path = variant(tmp_path, 'template = "dismissal" }', 'template = "dismisal" }')
    err, reason = run_refused("check", str(path))
    assert "step dismiss: no notice template called 'dismisal'" in err
    assert "1 of 1 procedure file cannot be used" in reason


def test_template_problems_take_the_known_names_from_the_case_layer():
    procedure = load(CSEC.read_text(encoding="utf-8"))
    assert template_problems(procedure, {"acknowledgement"})  # most are unknown to it
    missing = template_problems(procedure, {"acknowledgement", "dismissal"})
    assert any("'allegations'" in p for p in missing)


def test_check_refuses_determinations_outside_the_states_that_take_them(tmp_path):
    path = variant(
        tmp_path,
        'inputs = [{ name = "message", kind = "text"',
        'inputs = [{ name = "findings", kind = "determinations", label = "Findings" }, '
        '{ name = "message", kind = "text"',
    )
    err, _ = run_refused("check", str(path))
    assert "input 'findings': determinations are taken only in [case] determinations_in" in err


def test_check_refuses_a_sanction_input_given_by_a_party(tmp_path):
    path = variant(
        tmp_path,
        'inputs = [{ name = "grounds", kind = "text", label = "Grounds of appeal" }]',
        'inputs = [{ name = "grounds", kind = "sanction", label = "Grounds of appeal" }]',
    )
    err, _ = run_refused("check", str(path))
    assert "a sanction is chosen only in [case] sanction_in, not from 'appeal_window'" in err
    assert "a sanction input is given by the body's people only" in err


def test_check_refuses_a_when_reading_what_the_steps_own_input_changes(tmp_path):
    path = variant(
        tmp_path,
        'when = ["all_determined", "any_upheld", "respondent_is_member"]',
        'when = ["all_determined", "any_upheld", "respondent_is_member"]\n'
        'inputs = [{ name = "findings", kind = "determinations", label = "Findings" }]',
    )
    err, _ = run_refused("check", str(path))
    assert "the step's 'when' asks 'all_determined', which its own input changes" in err


def test_an_input_named_as_the_forms_own_field_is_refused(tmp_path):
    path = variant(tmp_path, '{ name = "note", kind = "text"', '{ name = "version", kind = "text"')
    assert any(
        "'version': the name is kept for the form" in p
        for p in procedure_problems(path.read_text(encoding="utf-8"))
    )


# --- install --------------------------------------------------------------------------------------


def test_install_lists_every_problem_and_stores_nothing(tmp_path, csec):
    path = variant(tmp_path, 'template = "dismissal" }', 'template = "nope" }')
    path.write_text(path.read_text().replace('to = "closed"', 'to = "shut"', 1))
    err, reason = run_refused("install", str(path), "--org", "csec")
    assert "to 'shut', which is not a state" in err
    assert "cannot be used" in reason
    assert not ProcedureVersion.objects.exists()
    assert BodyProcedure.objects.get(organization=csec.org).procedure_key == "csec-article-5"


def test_install_applies_to_new_cases_and_running_cases_keep_theirs(tmp_path, csec):
    running = file_case(csec)
    shipped_sha = running.procedure_sha256
    assert procedure_of(running).state("received").label == "Received"

    path = variant(tmp_path, 'label = "Received"', 'label = "Arrived"')
    out, _ = run(
        "install", str(path), "--org", "csec", "--as", csec.people["administrator"].username
    )
    assert "csec-article-5 version 2 installed" in out  # version 1: the shipped text, kept

    new = file_case(csec, respondent_name="Another agency")
    assert new.procedure_sha256 != shipped_sha
    assert procedure_of(new).state("received").label == "Arrived"
    running.refresh_from_db()
    assert running.procedure_sha256 == shipped_sha
    assert procedure_of(running).state("received").label == "Received"
    take(running, "acknowledge", csec.staff)  # the running case still moves under its own text

    event = Event.objects.get(action="procedure.installed")
    assert event.data["number"] == 2
    assert event.actor_id == csec.people["administrator"].pk

    out, _ = run("list", "--org", "csec")
    lines = out.splitlines()
    assert lines[0].split("\t")[:3] == ["csec-article-5", "v1", "-"]
    assert lines[0].split("\t")[4] == "1 case"
    assert lines[1].split("\t")[:3] == ["csec-article-5", "v2", "current"]
    assert lines[1].split("\t")[4] == "1 case"

    out, _ = run("show", "--org", "csec")
    assert 'label = "Arrived"' in out
    out, _ = run("show", "--org", "csec", "--version", "1")
    assert 'label = "Received"' in out


def test_installing_the_current_text_again_is_refused(tmp_path, csec):
    path = variant(tmp_path, 'label = "Received"', 'label = "Arrived"')
    run("install", str(path), "--org", "csec")
    _, reason = run_refused("install", str(path), "--org", "csec")
    assert "already CSEC's procedure" in reason
    assert ProcedureVersion.objects.count() == 1


def test_only_an_administrator_of_the_body_installs(tmp_path, csec, espcc):
    path = variant(tmp_path, 'label = "Received"', 'label = "Arrived"')
    for who in (csec.chair, csec.staff, espcc.people["administrator"]):
        _, reason = run_refused("install", str(path), "--org", "csec", "--as", who.username)
        assert "is not an administrator of csec" in reason
    _, reason = run_refused("install", str(path), "--org", "nobody")
    assert reason == "no body 'nobody'"
    assert not ProcedureVersion.objects.exists()


def test_a_body_installs_a_procedure_of_its_own_key(tmp_path, csec):
    path = variant(tmp_path, 'key = "csec-article-5"', 'key = "csec-own"', name="own.toml")
    run("install", str(path), "--org", "csec")
    case = file_case(csec)
    assert case.procedure_key == "csec-own"
    assert Case.objects.get(pk=case.pk).procedure_sha256 == ProcedureVersion.objects.get().sha256
    assert procedure_of(case).key == "csec-own"


def test_show_a_shipped_procedure_and_refuse_an_unknown_one(db):
    out, _ = run("show", "csec-article-5")
    assert out == CSEC.read_text(encoding="utf-8")
    _, reason = run_refused("show", "nope")
    assert reason == "no shipped procedure called 'nope'"


def test_a_body_on_its_own_key_lists_by_state_and_previews_its_notices(tmp_path, csec, client):
    path = variant(tmp_path, 'key = "csec-article-5"', 'key = "csec-own"', name="own.toml")
    run("install", str(path), "--org", "csec")
    file_case(csec)
    out = StringIO()
    call_command("cases", "list", "--org", "csec", "--state", "received", stdout=out)
    assert len(out.getvalue().splitlines()) == 1
    client.force_login(csec.people["administrator"])
    response = client.get("/staff/csec/cases/notices/acknowledgement")
    assert response.status_code == 200
