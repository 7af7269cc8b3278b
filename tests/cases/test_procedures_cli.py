"""`ombuds procedures check FILE...` and `ombuds procedures list`: no database involved."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ombuds.cases.procedure import PROCEDURES_DIR

CSEC = PROCEDURES_DIR / "csec-article-5.toml"
ESPCC = PROCEDURES_DIR / "espcc-ethics.toml"

# Three problems in one file: a step to an unknown state, an unknown role, an unknown deadline.
BROKEN = """\
[procedure]
key = "broken"
name = "Broken procedure"
initial = "open"

[states.open]
label = "Open"

[states.closed]
label = "Closed"
final = true

[[transitions]]
name = "close"
label = "Close"
from = ["open"]
to = "shut"
roles = ["chair"]
starts = ["answer"]
"""


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("procedures", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_refused(*args: str) -> tuple[str, str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("procedures", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(caught.value)


@pytest.fixture
def broken(tmp_path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_check_the_shipped_procedures():
    out, err = run("check", str(CSEC), str(ESPCC))
    assert out.splitlines() == [f"{CSEC}: ok", f"{ESPCC}: ok"]
    assert err == ""


def test_a_broken_file_lists_every_problem_on_its_own_line(broken):
    out, err, message = run_refused("check", str(broken))
    assert out == ""
    assert err.splitlines() == [
        f"{broken}: step close: to 'shut', which is not a state",
        f"{broken}: step close: role 'chair' is not one of administrator, committee_member, "
        "complainant, ethics_chair, investigator, respondent, staff, system",
        f"{broken}: step close: no deadline called 'answer'",
    ]
    assert message == "1 of 1 procedure file cannot be used"


def test_good_and_bad_files_together(broken, tmp_path):
    missing = tmp_path / "missing.toml"
    out, err, message = run_refused("check", str(CSEC), str(broken), str(missing))
    assert out.splitlines() == [f"{CSEC}: ok"]
    lines = err.splitlines()
    assert len(lines) == 4
    assert lines[-1].startswith(f"{missing}: cannot read it (")
    assert message == "2 of 3 procedure files cannot be used"


@pytest.mark.parametrize("what", ["missing", "directory", "not utf-8", "not toml"])
def test_an_unusable_path_is_a_problem_not_a_traceback(tmp_path, what):
    path = tmp_path / "procedure.toml"
    if what == "directory":
        path.mkdir()
    elif what == "not utf-8":
        path.write_bytes(b'[procedure]\nname = "Proc\xe9dure"\n')
    elif what == "not toml":
        path.write_text("this is not a procedure\n", encoding="utf-8")
    out, err, message = run_refused("check", str(path))
    assert out == ""
    [line] = err.splitlines()
    expected = "not valid TOML: " if what == "not toml" else "cannot read it ("
    assert line.startswith(f"{path}: {expected}")
    assert "Traceback" not in err
    assert message == "1 of 1 procedure file cannot be used"


def test_list_shows_both_shipped_procedures():
    out, err = run("list")
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 3
    community, csec, espcc = (line.split("\t") for line in lines)
    assert community[:2] == [
        "community-ladder",
        "Community code of conduct: the enforcement ladder",
    ]
    assert csec[:2] == ["csec-article-5", "CSEC complaint procedure (Article 5)"]
    assert espcc[:2] == ["espcc-ethics", "ESPCC ethics complaint procedure"]
    assert csec[2].endswith("5 deadlines")
    assert espcc[2].endswith("4 deadlines")


def test_exit_status_from_the_command_line(broken):
    ok = subprocess.run(
        [sys.executable, "-m", "ombuds", "procedures", "check", str(CSEC), str(ESPCC)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [f"{CSEC}: ok", f"{ESPCC}: ok"]
    bad = subprocess.run(
        [sys.executable, "-m", "ombuds", "procedures", "check", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert bad.stderr.count(f"{broken}: step close:") == 3
    assert "CommandError: 1 of 1 procedure file cannot be used" in bad.stderr
