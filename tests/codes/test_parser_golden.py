"""Golden citations: for every code of ``../shared/corpus/codes/`` and both seeds, the citations a
careful reader would use, in document order, as data (``golden/<file>.txt``, one citation a line).

The files were generated once from the parser and then reviewed against each text: where the parser
was wrong the file states the right citations and the code is marked xfail below with what goes
wrong, so that a fix turns the test green (strict: an unexpected pass fails, and the mark must go).
Provisions without a citation (an unlabelled heading that adds nothing) are not listed. The texts
stay in the shared folder; only citations are kept here, and the tests skip without the folder.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ombuds.codes.parser import parse
from tests.shared_texts import read_shared, shared_dir

pytestmark = pytest.mark.shared

GOLDEN = Path(__file__).parent / "golden"

SEEDS = ["csec-code-of-ethical-conduct.txt", "espcc-cesp-code-of-conduct.txt"]

# The corpus files of MANIFEST.tsv when this was written; a file added since fails
# test_every_corpus_file_has_golden_citations until its citations are stated.
CORPUS = [
    "apache-code-of-conduct.md",
    "chihuahua-codigo-de-etica-poder-judicial-2022.md",
    "citizen-code-of-conduct-2.3.md",
    "contributor-covenant-1.4.md",
    "contributor-covenant-2.1.md",
    "django-code-of-conduct.md",
    "fr-code-de-deontologie-medicale-1995.md",
    "ieee-code-of-ethics-blog-page.txt",
    "linux-kernel-code-of-conduct-interpretation.rst",
    "linux-kernel-code-of-conduct.rst",
    "mozilla-cpg-2.3.md",
    "nspe-code-of-ethics-2019.txt",
    "numfocus-coc-template.md",
    "oregon-doc-20-1-3-code-of-conduct.md",
    "ph-code-of-professional-responsibility-1988.md",
    "psf-coc-enforcement-procedures.md",
    "psf-code-of-conduct.md",
    "pycon-us-staff-incident-procedure.md",
    "simpl-eeg-data-science-code-of-conduct.md",
    "ubuntu-code-of-conduct-2.0.md",
    "us-judges-code-of-conduct-canon-3.md",
    "w3c-cepc-editors-draft-2023.txt",
    "wa-rcw-42-23-municipal-officers-code-of-ethics.md",
]

# Where the parser (as of this file) cites otherwise than a careful reader, and how.
WRONG = {
    "chihuahua-codigo-de-etica-poder-judicial-2022.md": (
        "'**Artículo N.**' paragraphs are not provisions: the chapters swallow them and their "
        "fracciones are cited by chapter (1.I, then 1.I-2 for the next article's I); "
        "'CAPTIULO IV' (plain text) and the second '### CAPITULO V' give no chapters IV and "
        "V-2; the integrity rules' letters nest under one another ('4.i.J', '4.o.II'); "
        "expected: chapters I..VI, articles 1..36 (no 19), fracciones '3.IX', incisos '33.I.a'"
    ),
    "fr-code-de-deontologie-medicale-1995.md": (
        "'# Titre N : ...' headings get no citation (expected 'Titre 1'..'Titre 5'); the five "
        "parts of Titre 4 ('## 1. ...'..'## 5. ...') are cited 1..5 against articles 1..5 "
        "(renamed '1-2'.. with warnings) and articles 69..108 are cited under them "
        "('1-2.69') instead of standing alone; the '1°'..'7°' enumerations of articles 79 "
        "and 80 are not provisions (expected 79.1..79.7, 80.1..80.3)"
    ),
    "ieee-code-of-ethics-blog-page.txt": (
        "the page's debris becomes provisions: the blog's name 'Ordiy' (1), the post meta "
        "(2, 2.1), the appended Barlow declaration and the footer links (4..11); the code's "
        "10 items and 3 amendment items are cited 3.1..3.13 under a repeated title heading "
        "instead of 1..13"
    ),
    "oregon-doc-20-1-3-code-of-conduct.md": (
        "the lettered provisions of III. POLICY are not nested under it: '**A.**' and "
        "'**B.**' stay in III's text (B's items 1..6 become III.1..III.6), '## C.'..'## F.' "
        "become top-level, and the bold '**E.**', '**G.**'..'**P.**' are merged into D and F "
        "whose items collide (F.1-2 .. F.2-6, 11 warnings); '* A.' definitions are cited "
        "II.1..II.3 instead of II.A..II.C; IV is lost; expected III.A..III.P"
    ),
    "w3c-cepc-editors-draft-2023.txt": (
        "bare-line headings are all read at one level: 'Expected Behavior', 'Unacceptable "
        "Behavior' and 'Safety versus Comfort' belong under 'Code' (which has nothing else), "
        "'Immediately' and 'After the Meeting' under 'Reporting Violations ...', the glossary "
        "terms under 'Glossary'; the headings 'Safety versus Comfort' and 'Unwelcome sexual "
        "advance' are lost (their items run on into 5.23..5.26 and 'Transphobia')"
    ),
}


def _golden(name: str) -> list[str]:
    lines = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _citations(relpath: str) -> list[str]:
    name = relpath.rsplit("/", 1)[-1]
    parsed = parse(read_shared(relpath), filename=name)
    return [p.citation for p in parsed.walk() if p.citation]


def _case(relpath: str):
    name = relpath.rsplit("/", 1)[-1]
    marks = [pytest.mark.xfail(strict=True, reason=WRONG[name])] if name in WRONG else []
    return pytest.param(relpath, id=name, marks=marks)


@pytest.mark.parametrize(
    "relpath",
    [_case(f"seeds/{name}") for name in SEEDS] + [_case(f"corpus/codes/{name}") for name in CORPUS],
)
def test_citations_are_those_a_careful_reader_uses(relpath):
    expected = _golden(relpath.rsplit("/", 1)[-1])
    assert _citations(relpath) == expected


def test_every_corpus_file_has_golden_citations():
    manifest = shared_dir() / "corpus" / "codes" / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip(f"needs the shared folder ({manifest} is missing)")
    with manifest.open(encoding="utf-8", newline="") as handle:
        listed = {row["file"] for row in csv.DictReader(handle, delimiter="\t")}
    assert listed == set(CORPUS)
    assert {p.name for p in GOLDEN.glob("*.txt")} == {f"{n}.txt" for n in [*CORPUS, *SEEDS]}


def test_golden_files_hold_citations_only():
    """No text of the shared folder is copied here: each line is one citation, short and unspaced
    (a label, dots, parentheses, a keyword such as 'Titre 4')."""
    for path in GOLDEN.glob("*.txt"):
        for line in _golden(path.name.removesuffix(".txt")):
            assert len(line) <= 30 and line.count(" ") <= 1, (path.name, line)
