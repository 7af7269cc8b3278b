"""`ombuds certification ...`: the same services as the pages, a one-line reason and a non-zero exit
for bad input, and a user given with --as acting only if they are the body's staff."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ombuds.certification import workflow
from ombuds.certification.models import ExamWindow, Requirements
from tests.certification.conftest import REQUIREMENTS, eligible, fresh, submitted

pytestmark = pytest.mark.django_db

SHIPPED = Path(__file__).parents[2] / "ombuds" / "certification" / "programmes" / "espcc-cesp.toml"


def test_the_shipped_cesp_requirements_check(capsys):
    call_command("certification", "check-requirements", str(SHIPPED))
    assert capsys.readouterr().out.strip() == "ok"


def test_a_bad_requirements_file_lists_its_problems(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[programme]\nkey = "x"\n')
    with pytest.raises(CommandError, match="problems in"):
        call_command("certification", "check-requirements", str(bad))
    assert "'agreement' is required" in capsys.readouterr().err


def test_install_checks_the_citations_in_the_bodys_code(tmp_path, program, published, body):
    path = tmp_path / "r.toml"
    path.write_text(REQUIREMENTS.replace('cites = "2.1"', 'cites = "9.9"'))
    with pytest.raises(CommandError, match="nothing installed"):
        call_command("certification", "install-requirements", str(path), "--org", body.slug)
    path.write_text(REQUIREMENTS)
    call_command("certification", "install-requirements", str(path), "--org", body.slug)
    assert Requirements.objects.filter(program=program).count() == 1


def test_review_from_the_command_line(requirements, candidate, body, personas, capsys):
    application = submitted(requirements.program, candidate)
    call_command(
        "certification",
        "review",
        application.reference,
        "--org",
        body.slug,
        "--decision",
        "complete",
    )
    assert fresh(application).state == workflow.COMPLETE
    with pytest.raises(CommandError, match="needs a reason"):
        call_command(
            "certification",
            "review",
            application.reference,
            "--org",
            body.slug,
            "--decision",
            "refused",
        )
    with pytest.raises(CommandError, match="no staff role"):
        call_command(
            "certification",
            "review",
            application.reference,
            "--org",
            body.slug,
            "--decision",
            "eligible",
            "--as",
            personas["committee_member"].username,
        )
    call_command(
        "certification",
        "review",
        application.reference,
        "--org",
        body.slug,
        "--decision",
        "eligible",
        "--as",
        personas["body_admin"].username,
    )
    assert fresh(application).state == workflow.ELIGIBLE
    call_command("certification", "applications", "--org", body.slug, "--show", "eligible")
    assert application.reference in capsys.readouterr().out


def test_import_results_from_the_command_line(
    tmp_path, requirements, candidate, body, personas, capsys
):
    today = dt.date.today()
    call_command(
        "certification",
        "window",
        "--org",
        body.slug,
        "--program",
        "cgp",
        "--code",
        "w1",
        "--name",
        "W1",
        "--opens",
        today.isoformat(),
        "--closes",
        today.isoformat(),
    )
    assert ExamWindow.objects.filter(code="w1").exists()
    application = eligible(requirements.program, candidate, personas["body_staff"])
    path = tmp_path / "results.csv"
    path.write_text(f"reference,window,sat_on,result\n{application.reference},w1,{today},pass\n")
    with pytest.raises(CommandError, match="no staff role"):
        call_command(
            "certification",
            "import-results",
            str(path),
            "--org",
            body.slug,
            "--as",
            personas["signed_in_no_role"].username,
        )
    call_command("certification", "import-results", str(path), "--org", body.slug, "--dry-run")
    assert fresh(application).state == workflow.ELIGIBLE
    call_command("certification", "import-results", str(path), "--org", body.slug)
    out = capsys.readouterr().out
    assert "certified" in out and "CGP-00001" in out
    assert fresh(application).state == workflow.CERTIFIED
    path.write_text("reference,window,sat_on,result\nX,w1,not-a-date,maybe\n")
    with pytest.raises(CommandError, match="nothing was stored"):
        call_command("certification", "import-results", str(path), "--org", body.slug)
    assert "line 2, column sat_on" in capsys.readouterr().err


def test_unknown_body_and_missing_file_are_one_line_refusals(requirements):
    with pytest.raises(CommandError, match="no body with slug 'nope'"):
        call_command("certification", "applications", "--org", "nope")
    with pytest.raises(CommandError, match="no such file"):
        call_command("certification", "import-results", "/no/file.csv", "--org", "guild")
