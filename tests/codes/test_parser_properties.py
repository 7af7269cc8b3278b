"""Properties of ``parse`` that hold for any text: it never raises, never loses a sentence that is not
page debris, never cites two provisions alike, and its output survives the interchange format."""

from __future__ import annotations

import json
import os
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ombuds.codes.parser import ParsedCode, Provision, parse

# OMBUDS_PARSER_EXAMPLES=5000 hunts longer than the default run does.
FAST = settings(
    max_examples=int(os.environ.get("OMBUDS_PARSER_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Words that cannot be mistaken for markup, page chrome, dates or label decoration.
WORDS = [
    "members",
    "agency",
    "client",
    "record",
    "account",
    "complaint",
    "committee",
    "notice",
    "payment",
    "service",
    "contract",
    "duty",
    "conduct",
    "standard",
    "information",
    "colleague",
    "office",
    "parent",
    "order",
    "trust",
    "timely",
    "written",
    "accurate",
    "prompt",
    "fair",
    "open",
    "honest",
    "complete",
    "separate",
    "professional",
    "public",
    "private",
    "keep",
    "answer",
    "inform",
    "respect",
    "protect",
    "deliver",
    "review",
    "within",
    "every",
    "all",
    "any",
    "their",
    "each",
    "other",
]
VERBS = [
    "keep",
    "answer",
    "inform",
    "respect",
    "protect",
    "deliver",
    "review",
    "maintain",
    "provide",
    "record",
]


def _sentence(words: list[str], end: str = ".") -> str:
    return " ".join(words).capitalize() + end


sentences = st.lists(st.sampled_from(WORDS), min_size=3, max_size=14).map(_sentence)
title_words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(
    lambda ws: " ".join(w.capitalize() for w in ws)
)
numbers = st.integers(min_value=1, max_value=30)


@st.composite
def fragment(draw) -> tuple[list[str], list[str]]:
    """(lines of a document, the pieces of those lines that must survive parsing)."""
    kind = draw(
        st.sampled_from(
            [
                "prose",
                "prose",
                "article",
                "section",
                "canon",
                "roman",
                "caps",
                "markdown",
                "clause",
                "glued",
                "rule",
                "alnum",
                "inline",
                "bullet",
                "nested",
                "numbered",
                "lettered",
                "paren_bullet",
                "paren",
                "quote",
                "wrapped",
                "debris",
                "blank",
                "underline",
            ]
        )
    )
    n = draw(numbers)
    words = draw(title_words)
    text = draw(sentences)
    if kind == "prose":
        return [text], [text]
    if kind == "article":
        return [f"ARTICLE {n} - {words.upper()}"], [words.upper()]
    if kind == "section":
        return [f"Section {n}: {words}"], [words]
    if kind == "canon":
        return [f"Canon {n} - {words}"], [words]
    if kind == "roman":
        return [f"{draw(st.sampled_from(['I', 'II', 'IV', 'IX']))}. {words}"], [words]
    if kind == "caps":
        return [words.upper()], [words.upper()]
    if kind == "markdown":
        return [f"{'#' * draw(st.integers(1, 4))} {words}"], [words]
    if kind == "underline":
        char = draw(st.sampled_from("=-~"))
        return [words, char * len(words)], [words]
    if kind == "clause":
        return [f"{n}.{draw(numbers)}. {text}"], [text]
    if kind == "glued":
        return [f"{n}.{draw(numbers)}.{text}"], [text]
    if kind == "rule":
        return [f"Rule {n}.0{draw(st.integers(1, 9))} - {text}"], [text]
    if kind == "alnum":
        return [f"A{n}. {text}"], [text]
    if kind == "inline":
        parts = [" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=6)))]
        parts += [" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=6)))]
        line = f"{n}.1. Members shall: (a) {draw(st.sampled_from(VERBS))} {parts[0]}; and (b) {parts[1]}."
        return [line], ["Members shall:", parts[0], parts[1]]
    if kind == "bullet":
        return [f"{draw(st.sampled_from('-*+'))} {text}"], [text]
    if kind == "nested":
        return [f"- {text}", f"  - {words}"], [text, words]
    if kind == "numbered":
        return [f"{n}. {text}"], [text]
    if kind == "lettered":
        return [f"{draw(st.sampled_from('abcd'))}. {text}"], [text]
    if kind == "paren":
        return [f"({draw(st.sampled_from('abcd'))}) {text}"], [text]
    if kind == "quote":
        return [f"> {text}"], [text]
    if kind == "paren_bullet":
        return [f"- ({draw(st.sampled_from('abcd'))}) {text}"], [text]
    if kind == "wrapped":
        words_ = text.rstrip(".").split()
        middle = max(1, len(words_) // 2)
        return [" ".join(words_[:middle]), " ".join(words_[middle:]) + "."], words_
    if kind == "debris":
        line = draw(
            st.sampled_from(
                [
                    "Skip to main content",
                    "© 2024 Example Guild. All rights reserved.",
                    "We use cookies to improve your experience. Accept all cookies",
                    "Back to top",
                ]
            )
        )
        return [line], []
    return [""], []


@st.composite
def documents(draw) -> tuple[str, list[str], str]:
    """A document built from realistic fragments, the pieces that must survive, and a file name."""
    fragments = draw(st.lists(fragment(), min_size=1, max_size=25))
    separator = draw(st.sampled_from(["\n", "\n\n"]))
    lines: list[str] = []
    pieces: list[str] = []
    for fragment_lines, fragment_pieces in fragments:
        lines.extend(fragment_lines)
        lines.append("") if separator == "\n\n" else None
        pieces.extend(fragment_pieces)
    if draw(st.booleans()):
        lines += ["In this Section", "- » Our Members", "- » Board Members"]
    filename = draw(st.sampled_from(["code.txt", "code.md", "code.rst", None]))
    return "\n".join(lines), pieces, filename


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _everything(parsed: ParsedCode) -> str:
    words = [parsed.title or "", parsed.issuer or "", *parsed.preamble]
    for provision in parsed.walk():
        words += [provision.heading or "", provision.text]
    return _collapse(" \n ".join(words))


def _citations(parsed: ParsedCode) -> list[str]:
    return [p.citation for p in parsed.walk() if p.citation is not None]


@FAST
@given(st.text())
def test_parse_never_raises_on_arbitrary_text(text):
    parsed = parse(text)
    assert isinstance(parsed, ParsedCode)
    json.dumps(parsed.to_dict())


@FAST
@given(st.text(alphabet=st.sampled_from(list("#*-_=.:;()[]<>`|»•1aAIvx \n\t")), max_size=400))
def test_parse_never_raises_on_markup_soup(text):
    for fmt in ("text", "markdown", "rst"):
        parse(text, format=fmt)


@FAST
@given(documents())
def test_parse_never_raises_on_realistic_documents(document):
    text, _, filename = document
    parse(text, filename=filename)


@FAST
@given(documents())
def test_every_sentence_that_is_not_debris_survives(document):
    text, pieces, filename = document
    everything = _everything(parse(text, filename=filename))
    lost = [piece for piece in pieces if _collapse(piece) not in everything]
    assert not lost, f"lost {lost!r} from\n{text}"


@FAST
@given(documents())
def test_page_debris_is_dropped(document):
    text, _, filename = document
    everything = _everything(parse(text, filename=filename))
    for debris in ("Skip to main content", "All rights reserved", "We use cookies", "Our Members"):
        assert debris not in everything


@FAST
@given(st.one_of(documents().map(lambda d: d[0]), st.text()))
def test_citations_are_unique(text):
    counts = Counter(_citations(parse(text)))
    assert [c for c, n in counts.items() if n > 1] == []


@FAST
@given(documents())
def test_duplicates_are_renamed_with_a_warning(document):
    text, _, _ = document
    parsed = parse(text + "\n1.1. Members shall keep records.\n1.1. Members shall keep records.\n")
    renamed = [c for c in _citations(parsed) if re.search(r"-\d+$", c)]
    if renamed:
        assert any("is used twice" in w for w in parsed.warnings)


@FAST
@given(st.one_of(documents().map(lambda d: d[0]), st.text()))
def test_the_interchange_format_round_trips(text):
    parsed = parse(text)
    data = json.loads(json.dumps(parsed.to_dict()))
    assert ParsedCode.from_dict(data) == parsed
    assert ParsedCode.from_dict(data).to_dict() == data


@FAST
@given(documents())
def test_every_provision_is_well_formed(document):
    text, _, filename = document
    parsed = parse(text, filename=filename)
    for provision in parsed.walk():
        assert isinstance(provision, Provision)
        assert provision.modality in (None, "obligation", "prohibition", "permission")
        if provision.heading is not None and not provision.text:
            assert provision.modality is None  # a title alone states no duty
        assert provision.text == provision.text.strip()
        if provision.text:
            assert provision.full_text
    assert all(w.startswith(("line ", "no recognisable", "... and ")) for w in parsed.warnings)
