"""`ombuds compliance check|file|install`: the findings as JSON without filing anything, a one-line
reason and a non-zero exit for bad input, every shape problem listed, filing only as a user who
may."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ombuds.compliance import synthetic
from ombuds.compliance.models import Return
from tests.compliance.conftest import PROGRAMME


def write(folder, plant=()):
    made = synthetic.Synthetic(seed=11, period=synthetic.month("2026-05"), clients=10, plant=plant)
    return made.write(folder), made.planted


def args(council, paths, *extra, period="2026-05"):
    out = ["--org", "council", "--agency", str(council.agency.pk), "--period", period]
    for key, path in paths.items():
        out += [f"--{key}", str(path)]
    return [*out, *extra]


def test_check_prints_the_findings_as_json_and_files_nothing(council, tmp_path, capsys):
    paths, planted = write(tmp_path, plant={"late_distribution", "no_contract"})
    call_command("compliance", "check", *args(council, paths), "--json")
    printed = json.loads(capsys.readouterr().out)
    assert {(f["provision"], f["rule"], f["client"], f["date"]) for f in printed} == {
        (f"CSEC {p.provision}", p.rule, p.client, p.date.isoformat()) for p in planted
    }
    assert all({"amount", "detail"} <= set(f) for f in printed)
    assert not Return.objects.exists()


def test_an_honest_return_has_no_findings(council, tmp_path, capsys):
    paths, _ = write(tmp_path)
    call_command("compliance", "check", *args(council, paths), "--json")
    assert json.loads(capsys.readouterr().out) == []
    call_command("compliance", "check", *args(council, paths))
    assert capsys.readouterr().out.strip() == "no findings"


def test_shape_problems_are_listed_and_the_command_fails(council, tmp_path, capsys):
    paths, planted = write(tmp_path, plant={"records"})
    with pytest.raises(CommandError, match="shape has 5 problem"):
        call_command("compliance", "check", *args(council, paths), "--json")
    printed = json.loads(capsys.readouterr().out)
    assert len(printed) == len(planted) == 5
    assert {f["provision"] for f in printed} == {"CSEC 1.2(b)"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda a: a.__setitem__(3, "99999"), "no agency 99999 in council's register"),
        (lambda a: a.__setitem__(1, "nobody"), "no body 'nobody'"),
        (lambda a: a.__setitem__(5, "May 2026"), "--period 'May 2026' is not a month"),
        (lambda a: a.__setitem__(7, "/no/such.csv"), "--ledger: no file /no/such.csv"),
    ],
)
def test_bad_input_ends_with_a_one_line_reason(council, tmp_path, change, reason):
    paths, _ = write(tmp_path)
    argv = args(council, paths)
    change(argv)
    with pytest.raises(CommandError) as failed:
        call_command("compliance", "check", *argv)
    assert reason in str(failed.value) and "\n" not in str(failed.value)


def test_a_missing_file_is_a_one_line_reason(council, tmp_path):
    paths, _ = write(tmp_path)
    del paths["contracts"]
    with pytest.raises(CommandError, match="the contracts file is missing"):
        call_command("compliance", "check", *args(council, paths))


def test_file_as_an_agency_administrator_or_refused(council, tmp_path, capsys):
    paths, _ = write(tmp_path, plant={"shortfall"})
    with pytest.raises(CommandError, match="may not file"):
        call_command("compliance", "file", *args(council, paths, "--as", "eve"))
    with pytest.raises(CommandError, match="no user 'ghost'"):
        call_command("compliance", "file", *args(council, paths, "--as", "ghost"))
    assert not Return.objects.exists()
    call_command("compliance", "file", *args(council, paths, "--as", "ada", "--json"))
    captured = capsys.readouterr()
    filed = Return.objects.get()
    assert f"filed return {filed.pk}" in captured.err
    assert [f["rule"] for f in json.loads(captured.out)] == ["shortfall"]
    with pytest.raises(CommandError, match=f"return {filed.pk} was filed for this period"):
        call_command("compliance", "file", *args(council, paths, "--as", "ada"))
    call_command(
        "compliance", "file", *args(council, paths, "--as", "stella", "--amends", str(filed.pk))
    )
    assert Return.objects.filter(status="filed").count() == 1


def test_install_a_programme_for_a_body(council, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        PROGRAMME.read_text()
        .replace('"1.3(d)"', '"4.9(q)"')
        .replace('version = "1"', 'version = "2"')
    )
    with pytest.raises(CommandError, match="nothing installed"):
        call_command("compliance", "install", str(bad), "--org", "council")
    assert "the provision '4.9(q)' is not in the body's code" in capsys.readouterr().err
    call_command("compliance", "install", str(PROGRAMME), "--org", "council")
    assert capsys.readouterr().out.strip() == "installed csec-compliance v1"
