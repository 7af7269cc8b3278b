"""The modal-verb pattern of ``semantics``, written for speed, finds what its plain form finds.

``semantics._MODAL`` opens with a case-sensitive set of first letters (so the regular-expression
engine can skip to candidates) and checks each word's first letter by a look-behind. Its plain form,
below, writes every word whole, as the pattern did before; both must find the same matches (start,
end and kind) in every line of the corpus and in the cases written here.
"""

from __future__ import annotations

import re

import pytest

from ombuds.codes._parsing import semantics
from tests.shared_texts import read_shared, shared_dir

_PLAIN = re.compile(
    r"\b(?:"
    rf"(?P<prohibition>(?:shall|must|{semantics._EPISTEMIC_MAY})\s+(?:not|never)\b"
    r"|(?:shall|must|should)\s+(?:at\s+all\s+times\s+)?(?:refrain|abstain)\s+from\b"
    r"|never\b|do\s+not\b|don['’]t\b"
    r"|no\s+(?:[\w'’-]+,?\s+){0,8}?(?:shall|must|may)\s+be\b"
    r"|(?:is|are)\s+(?:strictly\s+)?(?:prohibited|forbidden)\b"
    r"|(?:is|are)\s+not\s+(?:permitted|allowed|acceptable|tolerated)\b"
    r"|will\s+not\s+be\s+(?:tolerated|accepted|permitted|allowed)\b)"
    r"|(?P<obligation>shall\b|must\b|(?:is|are)\s+(?:required|obliged|obligated)\s+to\b)"
    rf"|(?P<permission>{semantics._PERMISSIVE_MAY}|(?:is|are)\s+(?:permitted|allowed|entitled)\s+to\b)"
    r"|(?P<advice>should\b(?<!\bthat\sshould)(?<!\bwhich\sshould)|ought\s+to\b)"
    r")",
    re.IGNORECASE,
)

CASES = [
    "Members shall not accept gifts; they must keep records and may refuse.",
    "MEMBERS MUST NOT LIE. Members SHALL refrain from abuse. They Should report it.",
    "ſhall not",
    "İs prohibited",
    "ıs required to",
    "Don’t lie. Don't steal. do not cheat. dont.",
    "It may seem odd; there may be fees; as may be required; conduct that may harm.",
    "No false name, title or badge shall be used. No member may be paid.",
    "Gifts are strictly forbidden, are not tolerated, will not be tolerated; is entitled to.",
    "A fee that should cover costs ought to be fair; which should be noted. may 3 times.",
    "amay ashall imust island arena domain notice willow oughta ismay Ismust",
    "shall",
    "m",
    "s",
    "(a) shall",
    "x-shall",
    "_shall",
    "1shall",
    "é shall",
    "\u00e9shall",
]


def _found(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str | None]]:
    return [(m.start(), m.end(), m.lastgroup) for m in pattern.finditer(text)]


def test_first_letters_are_every_character_a_modal_word_can_open_with() -> None:
    expected = {chr(code) for code in range(0x110000) if re.fullmatch("(?i)[smdnoiaw]", chr(code))}
    assert set(semantics._MODAL_FIRST) == expected


@pytest.mark.parametrize("text", CASES)
def test_same_matches_as_the_plain_pattern(text: str) -> None:
    assert _found(semantics._MODAL, text) == _found(_PLAIN, text)


def test_the_cases_find_every_kind() -> None:
    kinds = {kind for text in CASES for _, _, kind in _found(_PLAIN, text)}
    assert kinds == {"prohibition", "obligation", "permission", "advice"}


@pytest.mark.shared
def test_same_matches_on_every_line_of_the_corpus() -> None:
    folder = shared_dir() / "corpus" / "codes"
    names = sorted(p.name for p in folder.glob("*") if p.suffix in (".md", ".txt", ".rst"))
    if not names:
        read_shared("corpus/codes/MANIFEST.tsv")  # skips, saying why
    checked = 0
    for name in names:
        for line in read_shared(f"corpus/codes/{name}").splitlines():
            assert _found(semantics._MODAL, line) == _found(_PLAIN, line), (name, line)
            checked += bool(_found(_PLAIN, line))
    assert checked > 100
