"""Exports import back: a code's Markdown and JSON exports re-import to the same tree.

The corpus and seed tests read other people's words from the shared folder and skip without it;
the others use short codes written here.
"""

from __future__ import annotations

import dataclasses
import json
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombuds.codes import exports, services
from ombuds.codes.parser import ParsedCode, Provision, duties_of, parse, to_markdown
from tests.shared_texts import read_shared, shared_dir

GUILD = """Guild Code
For members of the Example Guild
The guild keeps this code.
ARTICLE 1 - CLIENTS
1.1. Members shall: (a) answer every complaint; and (b) keep records of all payments.
1.2. Members shall not mislead a client.
ARTICLE 2 - COLLEAGUES
2.1. Members may publish their fees.
"""


def tree(code: ParsedCode) -> list[tuple]:
    """Every provision as (depth, label, citation, heading, text), in document order."""

    def rows(provisions: list[Provision], depth: int):
        for p in provisions:
            yield (depth, p.label, p.citation, p.heading, p.text)
            yield from rows(p.children, depth + 1)

    return list(rows(code.provisions, 0))


def same_code(before: ParsedCode, after: ParsedCode) -> None:
    assert tree(after) == tree(before)
    a, b = before.to_dict(), after.to_dict()
    a.pop("warnings"), b.pop("warnings")
    assert b == a  # title, issuer, date, preamble, full texts, modalities and subjects too


# Markdown, with codes written here -----------------------------------------------------------------


def test_a_markdown_export_parses_back_to_the_same_code():
    code = parse(GUILD)
    markdown = to_markdown(code, version_label="v1")
    again = parse(markdown)
    same_code(code, again)
    assert again.warnings == []
    assert [p.citation for p in again.walk()] == ["1", "1.1", "1.1(a)", "1.1(b)", "1.2", "2", "2.1"]


def test_the_export_reads_as_markdown():
    markdown = to_markdown(parse(GUILD), version_label="v1")
    assert "\n# Guild Code\n" in markdown
    assert "\n## 1 CLIENTS <!-- ombuds " in markdown
    assert "\n#### 1.1(a) <!-- ombuds " in markdown
    assert "\nanswer every complaint; and\n" in markdown
    assert "\n*Example Guild · Version v1*\n" in markdown


def test_words_that_look_like_markup_come_back_as_written():
    provision = Provision(
        label="1",
        citation="1",
        heading="Fees_and *dues* [draft]",
        text="# not a heading\n\\ a backslash, <!-- not a comment --> and *stars* and `code`\n"
        "## 2 neither",
        full_text="# not a heading",
        modality="obligation",
        subject="Members",
    )
    code = ParsedCode(
        title="A *bold* title",
        issuer="Guild <of> Scribes",
        effective="2020-05-01",
        preamble=["*not the meta line*", "#hash first"],
        provisions=[provision],
    )
    same_code(code, parse(to_markdown(code, version_label="2020")))


def test_deep_nesting_and_provisions_without_citation_or_heading_come_back():
    leaf = Provision(label="(i)", citation="1.1.1.1.1.1(i)", text="the deepest words")
    for depth in range(6, 0, -1):
        leaf = Provision(
            label=str(depth), citation="1" * depth, heading=f"Level {depth}", children=[leaf]
        )
    code = ParsedCode(
        title=None,
        issuer=None,
        effective=None,
        provisions=[leaf, Provision(label=None, citation=None, text="An unnumbered note.")],
    )
    same_code(code, parse(to_markdown(code)))


def test_an_edited_text_gets_its_modality_worked_out_again():
    markdown = to_markdown(parse(GUILD))
    edited = markdown.replace(
        "Members may publish their fees.", "Members shall publish their fees."
    )
    again = parse(edited)
    provision = next(p for p in again.walk() if p.citation == "2.1")
    assert provision.text == "Members shall publish their fees."
    assert provision.modality == "obligation"
    assert again.warnings == []


def test_a_lost_provision_is_a_warning_never_silent():
    markdown = to_markdown(parse(GUILD))
    start = markdown.index("### 1.2 ")
    end = markdown.index("## 2 ")
    again = parse(markdown[:start] + markdown[end:])
    assert "1.2" not in [p.citation for p in again.walk()]
    assert again.warnings == [
        "the export held 7 provisions but 6 were read: provisions were added or lost since the export"
    ]


def test_a_heading_added_by_hand_is_read_and_said():
    markdown = to_markdown(parse(GUILD)) + "\n### 2.2 Advertising\n\nMembers may advertise.\n"
    again = parse(markdown)
    added = again.provisions[-1].children[-1]
    assert (added.citation, added.heading, added.text) == (
        "2.2",
        "Advertising",
        "Members may advertise.",
    )
    assert added.modality == "permission"
    line = markdown.splitlines().index("### 2.2 Advertising") + 1
    assert again.warnings[0] == (
        f"line {line}: a heading with no Ombuds note, read as provision 2.2"
    )
    assert "held 7 provisions but 8 were read" in again.warnings[1]


# JSON, with a code written here ---------------------------------------------------------------------


def test_a_json_export_reads_back_to_the_same_code():
    code = parse(GUILD)
    data = json.dumps(code.to_dict()).encode()
    same_code(code, services.read_code_file(data, filename="export.json"))


# Every corpus code and both seeds (the shared folder) ----------------------------------------------


def _shared_files() -> list[str]:
    manifest = shared_dir() / "corpus" / "codes" / "MANIFEST.tsv"
    seeds = ["seeds/csec-code-of-ethical-conduct.txt", "seeds/espcc-cesp-code-of-conduct.txt"]
    if not manifest.is_file():
        return seeds
    rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
    return [f"corpus/codes/{row.split(chr(9))[0]}" for row in rows if row.strip()] + seeds


SHARED = pytest.mark.parametrize("relpath", _shared_files(), ids=lambda p: p.rsplit("/", 1)[-1])


@pytest.mark.shared
@SHARED
def test_every_shared_code_comes_back_from_its_markdown_export(relpath):
    code = parse(read_shared(relpath), filename=relpath)
    again = parse(to_markdown(code, version_label="v1"))
    same_code(code, again)
    assert again.warnings == []


@pytest.mark.shared
@SHARED
def test_every_shared_code_comes_back_from_its_json_export(relpath):
    code = parse(read_shared(relpath), filename=relpath)
    data = json.dumps(code.to_dict(), ensure_ascii=False).encode()
    same_code(code, services.read_code_file(data, filename="export.json"))


@pytest.mark.shared
@pytest.mark.django_db
@SHARED
def test_every_shared_code_imported_from_its_json_comes_back_from_the_database(body, relpath):
    """parse -> JSON -> import (stored) -> export: the same tree, and the prefix the file gave."""
    code = parse(read_shared(relpath), filename=relpath)
    code.citation_prefix = "XYZ"
    data = json.dumps(code.to_dict(), ensure_ascii=False).encode()
    version, _ = services.code_version_import(
        organization=body, parsed=services.read_code_file(data, filename="x.json"), source=data
    )
    exported = exports.version_to_dict(version)
    assert exported["citation_prefix"] == "XYZ"
    again = services.read_code_file(json.dumps(exported).encode(), filename="again.json")
    code.citation_prefix = None
    again.citation_prefix = None
    code.title = code.title or "Code of Conduct"  # what a code without a title is stored as
    assert tree(again) == tree(code)
    a, b = code.to_dict(), again.to_dict()
    a.pop("warnings"), b.pop("warnings")
    assert b == a


# Through the database and the command line ---------------------------------------------------------


def _run(*args: str) -> str:
    out = StringIO()
    call_command("codes", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_the_cli_markdown_export_imports_back_unchanged(body, tmp_path):
    source = tmp_path / "guild.txt"
    source.write_text(GUILD, encoding="utf-8")
    _run("import", str(source), "--org", body.slug, "--version", "v1", "--publish")
    exported = tmp_path / "export.md"
    exported.write_text(
        _run("export", "--org", body.slug, "--format", "markdown"), encoding="utf-8"
    )
    assert (
        json.loads(_run("parse", str(exported), "--json"))["provisions"]
        == parse(GUILD).to_dict()["provisions"]
    )
    _run("import", str(exported), "--org", body.slug, "--version", "copy", "--publish")
    assert "no differences" in _run("diff", "--org", body.slug, "v1", "copy")


@pytest.mark.shared
@pytest.mark.django_db
def test_the_csec_markdown_export_keeps_all_its_provisions(body, tmp_path):
    text = read_shared("seeds/csec-code-of-ethical-conduct.txt")
    source = tmp_path / "csec.txt"
    source.write_text(text, encoding="utf-8")
    _run("import", str(source), "--org", body.slug, "--version", "v1")
    markdown = _run("export", "--org", body.slug, "--version", "v1", "--format", "markdown")
    again = parse(markdown)
    assert sum(1 for _ in again.walk()) == 33
    same_code(parse(text), again)


@pytest.mark.django_db
def test_the_canonical_text_that_attestations_hash_is_unchanged(body):
    """Attestations and applications record the SHA-256 of ``version_to_markdown``: the export's new
    layout must not change it."""
    version, _ = services.code_version_import(organization=body, parsed=parse(GUILD), label="v1")
    assert exports.version_to_markdown(version) == (
        "# Guild Code\n\nExample Guild · Version v1\n\nFor members of the Example Guild\n\n"
        "The guild keeps this code.\n\n## 1 CLIENTS\n\n**1.1** Members shall:\n\n"
        "**1.1(a)** answer every complaint; and\n\n**1.1(b)** keep records of all payments.\n\n"
        "**1.2** Members shall not mislead a client.\n\n## 2 COLLEAGUES\n\n"
        "**2.1** Members may publish their fees.\n"
    )


# Any tree: the Markdown export is exact, whatever the words -----------------------------------------

_PIECES = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")) | st.sampled_from(
    [*"*_`[]<>\\#-!:;.()| ", "<!--", "-->", "<!-- ombuds {} -->", "\\n", "# ", "## 1 "]
)


def _words(max_size: int):
    return st.lists(_PIECES, max_size=max_size).map("".join)


_LINE = _words(12).map(str.strip).filter(bool)
_TEXT = st.lists(_words(12), max_size=3).map(lambda ls: "\n".join(ls).strip())
_MAYBE = st.none() | _LINE


def _provisions(depth: int = 0):
    children = (
        st.just([])
        if depth >= 7
        else st.lists(st.deferred(lambda: _provisions(depth + 1)), max_size=2)
    )
    # A provision's duties are worked out from its text, never given (`duties_of`): a tree built
    # with none for a full text that states one ("DO", "may") is no tree a code can have.
    return st.builds(
        Provision,
        label=_MAYBE,
        citation=_MAYBE,
        heading=_MAYBE,
        text=_TEXT,
        full_text=_TEXT,
        modality=st.sampled_from([None, "obligation", "prohibition", "permission"]),
        subject=_MAYBE,
        children=children,
    ).map(lambda p: dataclasses.replace(p, duties=duties_of(p.text, p.full_text)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=_MAYBE,
    issuer=_MAYBE,
    preamble=st.lists(_LINE, max_size=3),
    provisions=st.lists(_provisions(), min_size=1, max_size=3),
    label=_MAYBE,
)
def test_any_tree_comes_back_from_its_markdown_export(title, issuer, preamble, provisions, label):
    code = ParsedCode(
        title=title, issuer=issuer, effective="2020-05-01", preamble=preamble, provisions=provisions
    )
    again = parse(to_markdown(code, version_label=label))
    same_code(code, again)
    assert again.warnings == []


def test_a_duty_that_only_the_full_text_states_comes_back():
    """Found by the test above: a provision whose own text ("0") states nothing, whose full text
    ("DO") is an order, has that duty before its export and after its re-import."""
    plain = Provision(label=None, citation=None, heading=None, text="", full_text="")
    order = Provision(label=None, citation=None, heading=None, text="0", full_text="DO")
    order.duties = duties_of(order.text, order.full_text)
    assert order.duties == [{"kind": "obligation", "sentence": "DO"}]
    code = ParsedCode(
        title=None, issuer=None, effective="2020-05-01", preamble=[], provisions=[plain, order]
    )
    same_code(code, parse(to_markdown(code, version_label=None)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES | st.just("\n"), max_size=120).map("".join))
def test_a_damaged_export_never_raises(tail):
    parsed = parse(f'<!-- ombuds-export {{"provisions": 2}} -->\n{tail}')
    assert isinstance(parsed, ParsedCode)
