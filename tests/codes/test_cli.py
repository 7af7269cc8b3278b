"""`ombuds codes ...` on the command line: the same services as the pages, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ombuds.codes.models import CodeVersion, Provision

# A small code written for these tests.
CODE_V1 = """Rules of the Example Guild
ARTICLE 1 - CLIENTS
1.1. Members shall: (a) answer every complaint; and (b) keep records of all payments.
1.2. Members shall not mislead a client.
ARTICLE 2 - COLLEAGUES
2.1. Members may publish their fees.
"""
CODE_V2 = CODE_V1.replace(
    "keep records of all payments", "keep accurate records of all payments"
).replace(
    "2.1. Members may publish their fees.\n",
    "2.1. Members may publish their fees.\n2.2. Members shall not disparage a colleague.\n",
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("codes", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def v1_file(tmp_path):
    path = tmp_path / "guild-code.txt"
    path.write_text(CODE_V1, encoding="utf-8")
    return path


def _leaf_citations(provisions):
    for p in provisions:
        if p["children"]:
            yield from _leaf_citations(p["children"])
        else:
            yield p["citation"]


def test_parse_prints_the_interchange_format_without_a_database(v1_file):
    data = json.loads(run("parse", str(v1_file), "--json"))
    assert set(data) == {"title", "issuer", "effective", "preamble", "provisions", "warnings"}
    assert list(_leaf_citations(data["provisions"])) == ["1.1(a)", "1.1(b)", "1.2", "2.1"]
    b = data["provisions"][0]["children"][0]["children"][1]
    assert b["full_text"] == "Members shall keep records of all payments"
    assert b["modality"] == "obligation"


def test_parse_without_json_prints_an_outline(v1_file):
    out = run("parse", str(v1_file))
    assert "1.1(a)  answer every complaint" in out
    assert "[prohibition]" in out


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\x03binary\x00\x00", "binary"),
        (b"Members shall \xff\xfe pay.", "not UTF-8"),
    ],
)
def test_unreadable_files_get_a_one_line_reason(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=reason) as excinfo:
        run("parse", str(path))
    assert "\n" not in str(excinfo.value)


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    with pytest.raises(CommandError, match="too large: 52,428,800 bytes"):
        run("parse", str(path))


def test_the_console_script_exits_non_zero_with_one_line(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "ombuds", "codes", "parse", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "empty" in result.stderr


@pytest.mark.django_db
def test_import_publish_list_export_and_diff(body, tmp_path, v1_file):
    assert "imported guild v1 (published)" in run(
        "import", str(v1_file), "--org", "guild", "--version", "v1", "--publish"
    )
    v2_file = tmp_path / "v2.txt"
    v2_file.write_text(CODE_V2, encoding="utf-8")
    assert "imported guild v2 (draft)" in run(
        "import", str(v2_file), "--org", "guild", "--version", "v2", "--effective", "2025-03-01"
    )
    assert "published guild v2" in run("publish", "--org", "guild", "v2")

    listing = run("list", "--org", "guild")
    assert listing.splitlines()[0].startswith("* v2")

    diff = run("diff", "--org", "guild", "v1", "v2")
    assert "1 added, 0 removed, 1 changed" in diff
    assert "~ 1.1(b)  keep {+accurate+} records of all payments" in diff
    assert "+ 2.2" in diff

    exported = run("export", "--org", "guild", "--version", "v1", "--format", "json")
    assert json.loads(exported)["provisions"][0]["citation"] == "1"
    markdown = run("export", "--org", "guild", "--format", "markdown")
    assert "\n## 1 CLIENTS <!-- ombuds " in markdown
    assert "\n### 2.2 <!-- ombuds " in markdown
    assert "\nMembers shall not disparage a colleague.\n" in markdown


@pytest.mark.django_db
def test_an_export_imports_back_unchanged(body, tmp_path, v1_file):
    run("import", str(v1_file), "--org", "guild", "--version", "v1", "--publish")
    exported = tmp_path / "export.json"
    exported.write_text(run("export", "--org", "guild", "--format", "json"), encoding="utf-8")
    run("import", str(exported), "--org", "guild", "--version", "copy", "--publish")
    diff = run("diff", "--org", "guild", "v1", "copy")
    assert "no differences" in diff


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing(body, v1_file):
    run("import", str(v1_file), "--org", "guild", "--version", "v1", "--publish")
    out = run("import", str(v1_file), "--org", "guild", "--version", "v1", "--publish")
    assert "already imported, unchanged" in out
    assert CodeVersion.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--org", "nobody"], "no body with slug 'nobody'"),
        (["--org", "guild", "--effective", "March 2025"], "--effective must be a date"),
    ],
)
def test_import_refuses_bad_arguments_and_stores_nothing(body, v1_file, args, reason):
    with pytest.raises(CommandError, match=reason):
        run("import", str(v1_file), *args)
    assert Provision.objects.count() == 0


@pytest.mark.django_db
def test_a_binary_file_import_stores_nothing(body, tmp_path):
    path = tmp_path / "code.txt"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(CommandError, match="binary"):
        run("import", str(path), "--org", "guild")
    assert CodeVersion.objects.count() == 0


def test_parse_json_lists_each_warning_with_its_line(tmp_path):
    path = tmp_path / "gappy.txt"
    path.write_text(
        "Guild Code\nARTICLE 1 - FEES\n1.1 Members shall publish fees.\n\nA stray paragraph.\n\n"
        "1.3 Members shall not hide fees.\n",
        encoding="utf-8",
    )
    data = json.loads(run("parse", str(path), "--json"))
    assert data["warnings"] == [
        "line 5: a paragraph between 1.1 (line 3) and 1.3 (line 7) was put in the text of 1; "
        "check whether it belongs to 1.1",
        "line 7: 1.3 follows 1.1 (line 3), so one provision is missing",
    ]


def test_parse_with_a_profile_prints_the_tree_and_warnings_as_json(tmp_path, v1_file):
    profile = tmp_path / "p.toml"
    profile.write_text('citation_prefix = "GX"\ndebris = ["Rules of the Example Guild"]\n')
    data = json.loads(run("parse", str(v1_file), "--profile", str(profile), "--json"))
    assert data["citation_prefix"] == "GX"
    assert data["title"] != "Rules of the Example Guild"  # the profile made that line debris
    assert list(_leaf_citations(data["provisions"])) == ["1.1(a)", "1.1(b)", "1.2", "2.1"]
    assert isinstance(data["warnings"], list)


def test_a_bad_profile_exits_non_zero_with_one_line(tmp_path, v1_file):
    profile = tmp_path / "p.toml"
    profile.write_text('styles = ["verse"]\ncolour = "blue"\n')
    result = subprocess.run(
        [sys.executable, "-m", "ombuds", "codes", "parse", str(v1_file), "--profile", str(profile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "unknown style 'verse'" in result.stderr and "colour: unknown key" in result.stderr


@pytest.mark.django_db
def test_import_with_a_profile_keeps_it_for_the_next_import(body, tmp_path, v1_file):
    from ombuds.codes import code_settings

    profile = tmp_path / "p.toml"
    profile.write_text('citation_prefix = "GX"\n')
    run("import", str(v1_file), "--org", "guild", "--profile", str(profile))
    code = code_settings.body_code(body)
    assert (code.citation_prefix, code.parsing_profile) == ("GX", 'citation_prefix = "GX"\n')
    exported = json.loads(run("export", "--org", "guild", "--version", "v1"))
    assert exported["citation_prefix"] == "GX"
